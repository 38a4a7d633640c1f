"""Public content pages: home, appeals, timeline, news, about, privacy."""

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse

from campaign.models import Demand
from campaign.tests.factories import (
    make_appeal,
    make_campaign,
    make_contact,
    make_featured_petition,
    make_key_fact,
    make_milestone,
    make_statement,
)
from coalition.models import Member
from testimonies.models import Testimony as SurvivorTestimony

pytestmark = pytest.mark.django_db


def make_member(n, **overrides):
    fields = {"name": f"Member {n}", "slug": f"member-{n}", "is_published": True, "ordering": n}
    return Member.objects.create(**fields | overrides)


def make_testimony(n, **overrides):
    fields = {
        "name": f"Survivor {n}",
        "slug": f"survivor-{n}",
        "summary": f"Summary of testimony {n}.",
        "body": f"Body of testimony {n}.",
        "consent_basis": "public",
        "consent_date": datetime.date(2011, 12, 9),
        "consent_scope": "Given in public.",
        "is_published": True,
        "ordering": n,
    }
    return SurvivorTestimony.objects.create(**fields | overrides)


# Home ------------------------------------------------------------------------


def test_home_shows_objective_key_facts_and_call_to_sign(client):
    campaign = make_campaign(objective="Establish a UN Commission of Inquiry.")
    make_key_fact(campaign, figure="200,000", label="people in political prison camps")
    make_featured_petition(title="Ask the UN for a Commission of Inquiry")

    response = client.get("/en/")

    assert response.status_code == 200
    assert b"Establish a UN Commission of Inquiry." in response.content
    assert b"What is at stake" in response.content
    assert b"200,000" in response.content
    assert b"people in political prison camps" in response.content
    assert b"Ask the UN for a Commission of Inquiry" in response.content
    assert f'href="{reverse("petitions:featured")}"'.encode() in response.content


def test_home_shows_latest_published_statement_not_a_newer_draft(client):
    make_campaign()
    make_statement(title="The published one", date=datetime.date(2011, 12, 9))
    make_statement(title="A newer draft", date=datetime.date(2012, 1, 1), is_published=False)

    response = client.get("/en/")

    assert b"The published one" in response.content
    assert b"A newer draft" not in response.content


def test_home_shows_published_members_and_testimony_summaries_only(client):
    make_campaign()
    make_member(1, name="Amnesty International")
    make_member(2, name="Unpublished Member", is_published=False)
    make_testimony(1, name="Kim Hye Sook", summary="Spent 28 years in the gulag.", body="BODY-NOT-ON-HOME")
    make_testimony(2, name="Draft Survivor", is_published=False)

    response = client.get("/en/")

    assert b"Amnesty International" in response.content
    assert b"Unpublished Member" not in response.content
    assert b"Spent 28 years in the gulag." in response.content
    assert b"BODY-NOT-ON-HOME" not in response.content
    assert b"Draft Survivor" not in response.content


def test_home_limits_members_and_testimonies(client):
    make_campaign()
    for n in range(10):
        make_member(n)
        make_testimony(n)

    response = client.get("/en/")

    assert len(response.context["members"]) == 6
    assert len(response.context["testimonies"]) == 4


def test_home_without_any_content_still_renders(client):
    response = client.get("/en/")

    assert response.status_code == 200
    assert b"Sign the petition" in response.content


def test_home_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    campaign = make_campaign()
    for _ in range(50):
        make_key_fact(campaign)
    for n in range(100):
        make_member(n)
        make_testimony(n)
        make_statement()
    make_featured_petition()

    with django_assert_max_num_queries(10):
        response = client.get("/en/")
    assert response.status_code == 200


def test_home_has_title_description_canonical_and_open_graph(client):
    make_campaign(name="ICNK campaign name", objective="The objective text.")

    response = client.get("/en/")

    content = response.content.decode()
    assert "<title>ICNK: a UN Commission of Inquiry" in content
    assert '<meta name="description" content="The objective text.">' in content
    assert '<link rel="canonical" href="http://testserver/en/">' in content
    assert '<meta property="og:title" content="ICNK campaign name">' in content


# Appeals ---------------------------------------------------------------------


def test_appeals_show_issuer_addressee_dated_to_its_precision_and_numbered_demands(client):
    make_appeal(
        title="Appeal to Kim Jong-il",
        slug="appeal-to-kim-jong-il",
        issuer="The International Coalition",
        addressee="Kim Jong-il",
        date=datetime.date(2011, 10, 1),
        date_precision="month",
        demands=0,
    )
    appeal = make_appeal(slug="second", demands=0)
    Demand.objects.create(appeal=appeal, position=2, text="Second demand")
    Demand.objects.create(appeal=appeal, position=1, text="First demand")

    response = client.get("/en/appeals/")

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="appeal-to-kim-jong-il"' in content
    assert "Kim Jong-il" in content
    assert '<time datetime="2011-10">October 2011</time>' in content
    assert "1 October 2011" not in content
    assert content.index("First demand") < content.index("Second demand")
    assert '<ol class="demands">' in content


def test_appeals_hide_drafts(client):
    make_appeal(title="Published appeal")
    make_appeal(title="Draft appeal", is_published=False)

    response = client.get("/en/appeals/")

    assert b"Published appeal" in response.content
    assert b"Draft appeal" not in response.content


def test_appeals_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    for _ in range(200):
        make_appeal(demands=3)

    with django_assert_max_num_queries(4):
        response = client.get("/en/appeals/")
    assert response.content.count(b"<li>Demand") == 600


# Timeline --------------------------------------------------------------------


def test_timeline_lists_published_milestones_in_date_order_with_precision(client):
    make_milestone(title="Launch in Tokyo", date=datetime.date(2011, 9, 9), place="Tokyo")
    make_milestone(title="EP resolution", date=datetime.date(2010, 7, 8), place="")
    make_milestone(title="October appeal", date=datetime.date(2011, 10, 1), date_precision="month")
    make_milestone(title="Draft milestone", is_published=False)

    response = client.get("/en/timeline/")

    content = response.content.decode()
    assert content.index("EP resolution") < content.index("Launch in Tokyo") < content.index("October appeal")
    assert '<time datetime="2011-09-09">9 September 2011</time>' in content
    assert '<time datetime="2011-10">October 2011</time>' in content
    assert "Tokyo" in content
    assert "Draft milestone" not in content


def test_timeline_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    for _ in range(300):
        make_milestone()

    with django_assert_max_num_queries(3):
        response = client.get("/en/timeline/")
    assert response.status_code == 200


# News ------------------------------------------------------------------------


def test_news_lists_published_statements_newest_first(client):
    make_statement(title="Older", date=datetime.date(2011, 1, 1))
    make_statement(title="Newer", date=datetime.date(2011, 12, 9))
    make_statement(title="Hidden draft", is_published=False)

    response = client.get("/en/news/")

    content = response.content.decode()
    assert content.index("Newer") < content.index("Older")
    assert "Hidden draft" not in content


def test_news_is_paginated_by_ten(client):
    for day in range(1, 26):
        make_statement(title=f"Statement of day {day:02d}", date=datetime.date(2011, 12, day))

    first = client.get("/en/news/")
    third = client.get("/en/news/?page=3")

    assert b"Statement of day 25" in first.content
    assert b"Statement of day 15" not in first.content
    assert b'rel="next"' in first.content
    assert b"Page 1 of 3" in first.content
    assert b"Statement of day 05" in third.content
    assert b"Statement of day 06" not in third.content
    assert client.get("/en/news/?page=4").status_code == 404
    assert b'<link rel="canonical" href="http://testserver/en/news/?page=3">' in third.content
    assert b'<link rel="canonical" href="http://testserver/en/news/">' in first.content


def test_news_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    for _ in range(300):
        make_statement()

    with django_assert_max_num_queries(4):
        response = client.get("/en/news/?page=2")
    assert response.status_code == 200


def test_statement_detail_shows_author_occasion_and_escaped_paragraphs(client):
    statement = make_statement(
        title="Human rights in North Korea",
        author="Willy Fautré",
        organisation="Human Rights Without Frontiers Int'l",
        place="Houses of Parliament, London",
        occasion="Commemorating Human Rights Day 2011",
        body="First <b>paragraph</b>.\n\nSecond paragraph.",
    )

    response = client.get(statement.get_absolute_url())

    assert response.status_code == 200
    content = response.content.decode()
    assert "Willy Fautré" in content
    assert "Houses of Parliament, London" in content
    assert "Commemorating Human Rights Day 2011" in content
    assert '<time datetime="2011-12-09">9 December 2011</time>' in content
    assert "<p>First &lt;b&gt;paragraph&lt;/b&gt;.</p>" in content
    assert "<p>Second paragraph.</p>" in content
    assert "Draft preview" not in content


def test_statement_detail_share_links_are_plain_links_without_scripts(client):
    statement = make_statement(slug="share-me")

    response = client.get(statement.get_absolute_url())

    content = response.content.decode()
    assert 'href="mailto:?subject=' in content
    assert "http%3A%2F%2Ftestserver%2Fen%2Fnews%2Fshare-me%2F" in content
    assert "<script" not in content.split("<main", 1)[1]


def test_draft_statement_is_404_for_the_public(client):
    draft = make_statement(is_published=False)

    assert client.get(draft.get_absolute_url()).status_code == 404


def test_draft_statement_is_404_for_non_staff_users(client, django_user_model):
    user = django_user_model.objects.create_user("reader")
    client.force_login(user)
    draft = make_statement(is_published=False)

    assert client.get(draft.get_absolute_url()).status_code == 404


def test_staff_can_preview_a_draft_statement_with_a_banner(client, django_user_model):
    staff = django_user_model.objects.create_user("editor", is_staff=True)
    client.force_login(staff)
    draft = make_statement(title="Not yet public", is_published=False)

    response = client.get(draft.get_absolute_url())

    assert response.status_code == 200
    assert b"Draft preview" in response.content
    assert b"Not yet public" in response.content
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"


def test_statement_detail_has_its_own_canonical_and_open_graph(client):
    statement = make_statement(slug="the-statement", title="The title", summary="The summary.")

    content = client.get(statement.get_absolute_url()).content.decode()

    assert '<link rel="canonical" href="http://testserver/en/news/the-statement/">' in content
    assert '<meta property="og:title" content="The title">' in content
    assert '<meta property="og:type" content="article">' in content
    assert '<meta property="og:type" content="website">' not in content
    assert '<meta property="og:url" content="http://testserver/en/news/the-statement/">' in content
    assert '<meta name="description" content="The summary.">' in content


# About -----------------------------------------------------------------------


def test_about_shows_coalition_and_contact_block(client):
    make_campaign(name="The Coalition Name", objective="Hold the government accountable.")
    make_contact()

    response = client.get("/en/about/")

    content = response.content.decode()
    assert "The Coalition Name" in content
    assert "Hold the government accountable." in content
    assert "Avenue d&#x27;Auderghem 61/16<br>1040 Brussels" in content
    assert "Phone/Fax:" in content and "32 2 3456145" in content
    assert reverse("coalition:member-list") in content


def test_about_never_shows_plain_email_but_a_readable_obscured_form(client):
    make_contact(email="info@example.org")

    response = client.get("/en/about/")

    content = response.content.decode()
    assert "info@example.org" not in content
    assert "mailto:" not in content
    assert '<span class="obscured-email">info [at] example [dot] org</span>' in content
    assert "Show email address" in content
    assert 'method="post"' in content and "csrfmiddlewaretoken" in content


def test_about_reveals_email_link_after_the_button_is_pressed(client):
    make_contact(email="info@example.org")

    response = client.post("/en/about/")

    assert response.status_code == 200
    assert b'<a href="mailto:info@example.org"' in response.content
    assert response["X-Robots-Tag"] == "noindex"
    assert "no-store" in response["Cache-Control"]


def test_about_reveal_needs_a_csrf_token(db):
    from django.test import Client

    make_contact(email="info@example.org")
    response = Client(enforce_csrf_checks=True).post("/en/about/")

    assert response.status_code == 403


def test_about_without_email_omits_the_email_line_and_button(client):
    make_contact(email="")

    content = client.get("/en/about/").content.decode()

    assert "Email:" not in content
    assert "Show email address" not in content


# Privacy ---------------------------------------------------------------------


@override_settings(
    PETITION_PENDING_RETENTION_DAYS=9,
    PETITION_SUSPECTED_RETENTION_DAYS=21,
    PETITION_CLOSED_RETENTION_DAYS=200,
)
def test_privacy_states_the_configured_retention_periods(client):
    response = client.get("/en/privacy/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "deleted 9 days after signing, or after we last sent you the confirmation email" in content
    assert "did not release, are deleted 21 days after signing" in content
    assert "more than 200 days ago are anonymised" in content
    assert "Supporter data" in content
    assert "csrftoken" in content and "cookie_consent" in content
    assert "never store the IP address" in content


def test_content_pages_reject_post_except_about(client):
    for name in ["campaign:home", "campaign:appeal-list", "campaign:timeline", "campaign:statement-list"]:
        assert client.post(reverse(name)).status_code == 405
