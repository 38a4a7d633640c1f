"""The deployable content in fixtures/ loads, reloads to the same rows, and shows on the site."""

from io import StringIO

import pytest
from django.core.management import call_command

from campaign.models import Appeal, Campaign, Contact, Demand, KeyFact, Milestone, Statement
from petitions.models import ConsentWording, Petition
from petitions.tests.factories import make_petition

pytestmark = pytest.mark.django_db


def _campaign_counts():
    return {
        "campaigns": Campaign.objects.count(),
        "key_facts": KeyFact.objects.count(),
        "appeals": Appeal.objects.published().count(),
        "demands": {appeal.slug: appeal.demands.count() for appeal in Appeal.objects.all()},
        "milestones": Milestone.objects.published().count(),
        "statements": Statement.objects.published().count(),
        "contacts": Contact.objects.count(),
        "petitions": Petition.objects.published().count(),
        "consent_wordings": ConsentWording.objects.count(),
    }


EXPECTED = {
    "campaigns": 1,
    "key_facts": 5,
    "appeals": 3,
    "demands": {
        "appeal-to-kim-jong-il": 5,
        "demands-to-the-north-korean-government": 2,
        "hrwf-appeal-to-eu-member-states": 3,
    },
    "milestones": 4,
    "statements": 1,
    "contacts": 1,
    "petitions": 1,
    "consent_wordings": 1,
}


@pytest.fixture
def loaded():
    call_command("load_content", verbosity=0)


def test_all_fixtures_load_with_the_campaign_content(loaded):
    assert _campaign_counts() == EXPECTED


def test_loading_again_with_force_leaves_the_same_rows(loaded):
    before = _campaign_counts()
    pks = sorted(Demand.objects.values_list("pk", flat=True))

    call_command("load_content", "--force", verbosity=0)

    assert _campaign_counts() == before == EXPECTED
    assert sorted(Demand.objects.values_list("pk", flat=True)) == pks


def test_force_keeps_the_petition_staff_featured_and_says_so(loaded):
    fixture_petition = Petition.objects.get()
    assert fixture_petition.is_featured
    Petition.objects.update(is_featured=False)
    chosen = make_petition(title="Staff's new petition", slug="staff-choice", is_featured=True)
    output = StringIO()

    call_command("load_content", "--force", stdout=output)

    assert Petition.objects.filter(is_featured=True).get() == chosen
    fixture_petition.refresh_from_db()
    assert not fixture_petition.is_featured
    assert "Kept “Staff's new petition” (staff-choice) as the featured petition" in output.getvalue()
    assert _campaign_counts()["statements"] == EXPECTED["statements"]


def test_force_features_the_fixture_petition_when_staff_chose_none(loaded):
    Petition.objects.update(is_featured=False)
    output = StringIO()

    call_command("load_content", "--force", stdout=output)

    assert Petition.objects.get().is_featured
    assert "Kept" not in output.getvalue()


def test_loading_without_force_keeps_staff_edits(loaded):
    Statement.objects.update(title="Edited by staff")

    call_command("load_content", verbosity=0)

    assert Statement.objects.get().title == "Edited by staff"


def test_loaded_content_appears_on_the_public_pages(loaded, client):
    home = client.get("/en/").content.decode()
    assert "International Coalition to Stop Crimes Against Humanity in North Korea" in home
    assert "200,000" in home
    assert "Ask the UN for a Commission of Inquiry into crimes against humanity in North Korea" in home

    appeals = client.get("/en/appeals/").content.decode()
    assert '<time datetime="2011-10">October 2011</time>' in appeals
    assert "kwan-li-so" in appeals
    assert "Resolution 1718" in appeals and "Resolution 1874" in appeals

    timeline = client.get("/en/timeline/").content.decode()
    assert '<time datetime="2010-07-08">8 July 2010</time>' in timeline
    assert "Houses of Parliament, London" in timeline

    statement = Statement.objects.get()
    page = client.get(statement.get_absolute_url()).content.decode()
    assert "Willy Fautré" in page
    assert "Commemorating Human Rights Day 2011" in page
    assert "the worst of the worst" in page

    about = client.get("/en/about/").content.decode()
    assert "Avenue d&#x27;Auderghem 61/16" in about
    assert "32 2 3456145" in about
    assert "Email:" not in about  # the article gives no address: none is invented


def test_fixture_contact_invents_no_email_website_or_social_links(loaded):
    contact = Contact.objects.get()
    assert (
        contact.email,
        contact.website,
        contact.facebook_url,
        contact.twitter_url,
        contact.youtube_url,
    ) == (
        "",
        "",
        "",
        "",
        "",
    )


def test_fixture_petition_is_open_and_featured_with_its_consent_wording(loaded):
    petition = Petition.objects.get(slug="un-commission-of-inquiry")
    assert petition.is_open
    assert petition.is_featured
    assert petition.goal == 10000
    assert petition.consent_wordings.get().version == 1
