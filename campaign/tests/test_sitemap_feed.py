"""/sitemap.xml and /news/feed/: every public page, no drafts, absolute URLs on SITE_URL."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.test import override_settings

from campaign.tests.factories import make_featured_petition, make_statement
from testimonies.models import Testimony as SurvivorTestimony

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _sitemap_locations(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    return [loc.text for loc in root.iter(f"{SITEMAP}loc")]


def _make_testimony(slug, published=True):
    return SurvivorTestimony.objects.create(
        name=slug,
        slug=slug,
        summary="A summary.",
        consent_basis="public",
        consent_date=datetime.date(2011, 12, 9),
        consent_scope="Given in public.",
        is_published=published,
    )


@override_settings(SITE_URL="https://icnk.example.org")
def test_sitemap_lists_every_public_page_on_the_site_url_and_no_draft(client):
    make_featured_petition(slug="un-commission-of-inquiry")
    make_featured_petition(slug="draft-petition", state="draft", is_featured=False)
    make_statement(slug="published-statement")
    make_statement(slug="draft-statement", is_published=False)
    _make_testimony("kim-hye-sook")
    _make_testimony("draft-testimony", published=False)

    locations = _sitemap_locations(client)

    base = "https://icnk.example.org"
    for path in [
        "/en/",
        "/en/appeals/",
        "/en/timeline/",
        "/en/news/",
        "/en/about/",
        "/en/privacy/",
        "/en/cookies/",
        "/en/coalition/",
        "/en/testimonies/",
        "/en/petitions/un-commission-of-inquiry/",
        "/en/news/published-statement/",
        "/en/testimonies/kim-hye-sook/",
    ]:
        assert base + path in locations
    assert not [loc for loc in locations if "draft" in loc]
    assert all(loc.startswith(base + "/") for loc in locations)


@override_settings(SITE_URL="https://icnk.example.org")
def test_sitemap_lists_each_page_in_every_language_with_its_alternates_and_x_default(client):
    make_statement(slug="published-statement")
    response = client.get("/sitemap.xml")
    root = ET.fromstring(response.content)
    base = "https://icnk.example.org"
    locations = [loc.text for loc in root.iter(f"{SITEMAP}loc")]
    for language in ("en", "ko", "ja", "fr"):
        assert f"{base}/{language}/about/" in locations
        assert f"{base}/{language}/news/published-statement/" in locations
    (entry,) = [
        url for url in root.iter(f"{SITEMAP}url") if url.findtext(f"{SITEMAP}loc") == f"{base}/ko/about/"
    ]
    alternates = {
        link.get("hreflang"): link.get("href") for link in entry.iter("{http://www.w3.org/1999/xhtml}link")
    }
    assert alternates == {
        "en": f"{base}/en/about/",
        "ko": f"{base}/ko/about/",
        "ja": f"{base}/ja/about/",
        "fr": f"{base}/fr/about/",
        "x-default": f"{base}/about/",
    }


def test_sitemap_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    for _ in range(200):
        make_statement()

    with django_assert_max_num_queries(5):
        locations = _sitemap_locations(client)
    assert len(locations) > 200


@override_settings(SITE_URL="https://icnk.example.org")
def test_feed_is_atom_with_absolute_links_and_only_published_statements(client):
    make_statement(slug="older", title="Older", date=datetime.date(2011, 1, 1), summary="Old summary.")
    make_statement(slug="newer", title="Newer", date=datetime.date(2011, 12, 9))
    make_statement(slug="draft", title="Draft", is_published=False)

    response = client.get("/en/news/feed/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == ["Newer", "Older"]
    links = [entry.find(f"{ATOM}link").get("href") for entry in entries]
    assert links == ["https://icnk.example.org/en/news/newer/", "https://icnk.example.org/en/news/older/"]
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "https://icnk.example.org/en/news/feed/"
    assert entries[1].findtext(f"{ATOM}summary") == "Old summary."
    assert entries[0].find(f"{ATOM}author").findtext(f"{ATOM}name").startswith("Willy Fautré")
    assert feed.findtext(f"{ATOM}updated")


def test_news_page_advertises_the_feed(client):
    response = client.get("/en/news/")

    assert b'<link rel="alternate" type="application/atom+xml"' in response.content
