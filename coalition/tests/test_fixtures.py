import pytest
from django.core.management import call_command

from coalition.models import Member
from testimonies import models as testimony_models
from testimonies.models import Passage, Topic

pytestmark = pytest.mark.django_db

FIXTURES = ["fixtures/coalition.json", "fixtures/testimonies.json"]


def counts():
    return {
        "members": Member.objects.count(),
        "published members": Member.objects.published().count(),
        "individuals": Member.objects.filter(kind=Member.Kind.INDIVIDUAL).count(),
        "testimonies": testimony_models.Testimony.objects.published().count(),
        "topics": Topic.objects.count(),
        "passages": Passage.objects.count(),
    }


def test_fixtures_load_with_the_article_counts_and_loading_twice_changes_nothing():
    call_command("loaddata", *FIXTURES, verbosity=0)
    first = counts()
    assert first["members"] == first["published members"] == 29
    assert first["individuals"] == 2
    assert first["testimonies"] == 4
    assert first["topics"] == 5
    call_command("loaddata", *FIXTURES, verbosity=0)
    assert counts() == first


def test_member_fixture_keeps_the_article_order_and_countries():
    call_command("loaddata", "fixtures/coalition.json", verbosity=0)
    members = list(Member.objects.all())
    assert members[0].name == "Amnesty International"
    assert members[-1].name == "David Hawk"
    assert [m.ordering for m in members] == list(range(1, 30))
    by_slug = {m.slug: m for m in members}
    # No country where the article gives none: never guessed.
    for slug in [
        "amnesty-international",
        "human-rights-watch",
        "north-korea-freedom-coalition",
        "david-hawk",
    ]:
        assert by_slug[slug].country == ""
    assert by_slug["human-rights-without-frontiers"].country.code == "BE"
    assert by_slug["suzanne-scholte"].country.code == "US"
    assert by_slug["international-federation-for-human-rights"].acronym == "FIDH"
    assert Member.objects.filter(country="KR").count() == 6


def test_testimony_fixture_keeps_the_consent_record_and_facts():
    call_command("loaddata", *FIXTURES, verbosity=0)
    kim = testimony_models.Testimony.objects.get(slug="kim-hye-sook")
    assert (kim.years_detained, kim.age_when_imprisoned) == (28, 13)
    shin = testimony_models.Testimony.objects.get(slug="shin-dong-hyuk")
    assert shin.detention_place == "Camp No. 14"
    assert testimony_models.Testimony.objects.get(slug="lee-sung-ae").given_at == "the British Parliament"
    for testimony in testimony_models.Testimony.objects.all():
        testimony.full_clean()
        assert testimony.consent_basis == testimony_models.Testimony.ConsentBasis.PUBLIC
        assert testimony.passages.filter(is_graphic=True).exists()
