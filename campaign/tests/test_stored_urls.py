"""Stored URLs become links only when they are http(s): a javascript: URL that bypassed the admin's
validation (fixtures, the shell) is never rendered as an href."""

import datetime

import pytest

from campaign.templatetags.site_tags import web_url
from campaign.tests.factories import make_contact
from coalition.models import Member
from testimonies.models import Testimony as SurvivorTestimony

SCRIPT_URLS = [
    "javascript:alert(1)",
    " JavaScript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/",
    "",
    None,
]


@pytest.mark.parametrize("value", SCRIPT_URLS)
def test_web_url_drops_anything_but_http_and_https(value):
    assert web_url(value) == ""


@pytest.mark.parametrize(
    "value", ["https://www.hrwf.org/", "http://example.org/a?b=1#c", "HTTPS://EXAMPLE.ORG"]
)
def test_web_url_keeps_web_addresses(value):
    assert web_url(value) == value


@pytest.mark.django_db
def test_pages_never_link_a_stored_javascript_url(client):
    Member.objects.create(
        name="Member with a bad website", slug="bad", website="javascript:alert(1)", is_published=True
    )
    Member.objects.create(
        name="Member with a site", slug="good", website="https://example.org/", is_published=True
    )
    make_contact(
        email="info@example.org",
        website="javascript:alert(1)",
        facebook_url="javascript:alert(2)",
        twitter_url="https://example.org/twitter",
        youtube_url=" javascript:alert(3)",
    )
    testimony = SurvivorTestimony.objects.create(
        name="Survivor",
        slug="survivor",
        summary="Summary.",
        source="A hearing",
        source_url="javascript:alert(4)",
        consent_basis="public",
        consent_date=datetime.date(2011, 12, 9),
        consent_scope="Given in public.",
        is_published=True,
    )

    members = client.get("/en/coalition/").content.decode()
    about = client.get("/en/about/").content.decode()
    detail = client.get(testimony.get_absolute_url()).content.decode()

    for page in (members, about, detail):
        assert "javascript:" not in page
    assert 'href="https://example.org/"' in members
    assert 'href="https://example.org/twitter"' in about
    assert "Follow on Facebook" not in about
    assert "A hearing" in detail
