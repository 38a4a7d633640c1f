import pytest
from django.urls import reverse

from testimonies import models
from testimonies.tests.factories import make_passage, make_testimony, make_topic
from tests.factories import make_content_editor, sign_in_staff
from translations.testing import admin_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    sign_in_staff(client, make_content_editor())
    return client


def change_form_data(testimony, **overrides):
    data = {
        "name": testimony.name,
        "slug": testimony.slug,
        "summary": testimony.summary,
        "body": testimony.body,
        "topics": [t.pk for t in testimony.topics.all()],
        "detention_place": testimony.detention_place,
        "years_detained": testimony.years_detained or "",
        "age_when_imprisoned": testimony.age_when_imprisoned or "",
        "given_at": testimony.given_at,
        "source": testimony.source,
        "source_url": testimony.source_url,
        "consent_basis": testimony.consent_basis,
        "consent_date": testimony.consent_date.isoformat() if testimony.consent_date else "",
        "consent_scope": testimony.consent_scope,
        "ordering": testimony.ordering,
        "passages-TOTAL_FORMS": "0",
        "passages-INITIAL_FORMS": "0",
        "passages-MIN_NUM_FORMS": "0",
        "passages-MAX_NUM_FORMS": "1000",
    }
    if testimony.is_published:
        data["is_published"] = "on"
    data.update(overrides)
    data = {key: value for key, value in data.items() if value is not None}
    return admin_form_data(data, models.Testimony, {"passages": models.Passage})


def test_publishing_without_consent_shows_a_clear_error_in_the_admin(editor_client):
    draft = make_testimony(is_published=False, consent_basis="", consent_date=None, consent_scope="")
    response = editor_client.post(
        reverse("admin:testimonies_testimony_change", args=[draft.pk]),
        change_form_data(draft, is_published="on"),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.keys() == {
        "consent_basis",
        "consent_date",
        "consent_scope",
    }
    assert "Record the survivor&#x27;s consent before publishing this testimony." in response.content.decode()
    draft.refresh_from_db()
    assert not draft.is_published


def test_content_editor_publishes_a_testimony_with_consent(editor_client):
    draft = make_testimony(is_published=False, consent_basis="", consent_date=None, consent_scope="")
    response = editor_client.post(
        reverse("admin:testimonies_testimony_change", args=[draft.pk]),
        change_form_data(
            draft,
            is_published="on",
            consent_basis="public",
            consent_date="2011-12-09",
            consent_scope="Testimony given in public, as reported in the source.",
        ),
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_published


def test_content_editor_adds_a_graphic_passage_inline(editor_client):
    testimony = make_testimony()
    response = editor_client.post(
        reverse("admin:testimonies_testimony_change", args=[testimony.pk]),
        change_form_data(
            testimony,
            **{
                "passages-TOTAL_FORMS": "1",
                "passages-0-position": "1",
                "passages-0-text": "A graphic passage.",
                "passages-0-is_graphic": "on",
                "passages-0-warning": "describes torture",
            },
        ),
    )
    assert response.status_code == 302
    passage = testimony.passages.get()
    assert passage.is_graphic
    assert passage.warning == "describes torture"


def test_change_form_shows_passages_in_order_and_a_view_on_site_link(editor_client):
    testimony = make_testimony()
    make_passage(testimony, position=2, text="Second passage.")
    make_passage(testimony, position=1, text="First passage.")
    response = editor_client.get(reverse("admin:testimonies_testimony_change", args=[testimony.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert content.index("First passage.") < content.index("Second passage.")
    assert "View on site" in content


def test_content_editor_filters_testimonies_by_topic(editor_client):
    torture = make_topic(name="Torture", slug="torture")
    make_testimony(name="Jung Guang Il", topics=[torture])
    make_testimony(name="Kim Hye Sook")
    response = editor_client.get(
        reverse("admin:testimonies_testimony_changelist"), {"topics__id__exact": torture.pk}
    )
    assert [t.name for t in response.context["cl"].result_list] == ["Jung Guang Il"]


def test_content_editor_adds_a_topic(editor_client):
    response = editor_client.post(
        reverse("admin:testimonies_topic_add"),
        admin_form_data({"name": "Forced labour", "slug": "forced-labour"}, models.Topic),
    )
    assert response.status_code == 302
    assert models.Topic.objects.filter(slug="forced-labour").exists()
