import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from testimonies import models
from testimonies.tests.factories import make_passage, make_testimony

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("missing", ["consent_basis", "consent_date", "consent_scope"])
def test_clean_refuses_to_publish_without_each_part_of_the_consent_record(missing):
    testimony = make_testimony(is_published=False)
    setattr(testimony, missing, None if missing == "consent_date" else "")
    testimony.is_published = True
    with pytest.raises(ValidationError) as excinfo:
        testimony.full_clean()
    assert missing in excinfo.value.message_dict


def test_clean_treats_a_blank_scope_as_missing():
    testimony = make_testimony(is_published=False)
    testimony.consent_scope = "   "
    testimony.is_published = True
    with pytest.raises(ValidationError) as excinfo:
        testimony.clean()
    assert "consent_scope" in excinfo.value.message_dict


def test_a_draft_needs_no_consent_record():
    testimony = make_testimony(is_published=False, consent_basis="", consent_date=None, consent_scope="")
    testimony.full_clean()


def test_database_refuses_publishing_without_consent_on_a_direct_update():
    testimony = make_testimony(is_published=False, consent_basis="", consent_date=None, consent_scope="")
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Testimony.objects.filter(pk=testimony.pk).update(is_published=True)
    testimony.refresh_from_db()
    assert not testimony.is_published


def test_database_refuses_removing_consent_from_a_published_testimony():
    testimony = make_testimony()
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Testimony.objects.filter(pk=testimony.pk).update(consent_date=None)


def test_published_queryset_leaves_drafts_out():
    published = make_testimony()
    make_testimony(is_published=False)
    assert list(models.Testimony.objects.published()) == [published]


def test_passages_come_in_position_order():
    testimony = make_testimony()
    second = make_passage(testimony, position=2)
    first = make_passage(testimony, position=1)
    assert list(testimony.passages.all()) == [first, second]
