"""The site's pages under the page cache: a second anonymous visitor costs no query."""

import re

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from campaign.tests.factories import make_appeal, make_campaign, make_milestone, make_statement
from coalition.tests.factories import make_member
from pagecache.levels import KEY_PREFIX
from petitions.models import Signature
from petitions.tests.factories import make_petition, make_signature, sign_data
from testimonies.tests.factories import make_testimony

pytestmark = pytest.mark.django_db


@pytest.fixture
def content():
    make_campaign()
    make_appeal(demands=2)
    make_milestone()
    statement = make_statement()
    testimony = make_testimony()
    make_member()
    return {"statement": statement, "testimony": testimony}


def page_urls(content):
    return [
        "/en/",
        "/en/appeals/",
        "/en/timeline/",
        "/en/news/",
        "/en/news/feed/",
        content["statement"].get_absolute_url(),
        "/en/about/",
        "/en/privacy/",
        "/en/coalition/",
        "/en/testimonies/",
        content["testimony"].get_absolute_url(),
    ]


def test_every_public_page_is_served_to_the_next_visitor_without_a_query(content, django_assert_num_queries):
    for url in page_urls(content):
        first = Client().get(url)
        assert first.status_code == 200, url
        assert first["X-Page-Cache"] == "miss", url
        with django_assert_num_queries(0):
            second = Client().get(url)
        assert second["X-Page-Cache"] == "hit", url
        assert second.content.replace(b" ", b"")[:200] == first.content.replace(b" ", b"")[:200]


@pytest.mark.parametrize(
    ("path", "param", "message"),
    [
        ("/en/coalition/", "country", "not a country code we know"),
        ("/en/coalition/", "kind", "not a kind of member"),
        ("/en/testimonies/", "topic", "There is no such topic"),
    ],
)
def test_every_made_up_filter_value_shares_one_explained_copy(db, path, param, message):
    first = Client().get(path, {param: "ZZ-made-up-1"})
    stored = [key for key in caches["default"]._cache if KEY_PREFIX in key]
    second = Client().get(path, {param: "another-made-up-value"})
    assert message in first.content.decode() and message in second.content.decode()
    assert second["X-Page-Cache"] == "hit"
    assert [key for key in caches["default"]._cache if KEY_PREFIX in key] == stored
    assert b"made-up" not in second.content  # the value is never echoed into the shared copy


def test_showing_the_contact_address_is_never_cached(content):
    from campaign.tests.factories import make_contact

    make_contact(email="info@example.org")
    Client().get("/en/about/")
    shown = Client().post("/en/about/")
    assert b"info@example.org" in shown.content
    assert b"info@example.org" not in Client().get("/en/about/").content


# The petition page ---------------------------------------------------------------------------


def issued(response):
    return re.search(rb'name="issued" value="([^"]+)"', response.content).group(1)


def test_petition_page_is_cached_with_a_fresh_form_stamp_for_each_visitor(db, settings):
    settings.PETITION_COUNT_MAX_AGE = 10
    petition = make_petition()
    first = Client().get(petition.get_absolute_url())
    second = Client().get(petition.get_absolute_url())
    assert second["X-Page-Cache"] == "hit"
    assert b'id="sign-form"' in second.content
    assert issued(first) and issued(second)


def test_a_known_referrer_is_kept_and_a_made_up_one_dropped(client, settings):
    settings.PETITION_COUNT_MAX_AGE = 10
    petition = make_petition()
    member = make_member(slug="citizens-alliance")
    url = petition.get_absolute_url()

    known = client.get(f"{url}?ref={member.slug}")
    assert b'name="ref" value="citizens-alliance"' in known.content
    keys_before = {key for key in caches["default"]._cache if KEY_PREFIX in key}
    # Values long enough never to turn up by chance in the page's random tokens.
    for junk in ("not-a-member-1", "not-a-member-2", "not-a-member-3"):
        response = client.get(f"{url}?ref={junk}")
        assert junk.encode() not in response.content
    keys_after = {key for key in caches["default"]._cache if KEY_PREFIX in key}
    assert len(keys_after - keys_before) == 1  # one copy without ?ref=, not one per made-up value


def test_a_form_with_errors_is_never_served_to_the_next_visitor(client, settings):
    settings.PETITION_COUNT_MAX_AGE = 10
    petition = make_petition()
    client.get(petition.get_absolute_url())
    errors = client.post(petition.get_absolute_url(), sign_data(petition, name="Lee Private", email="bad"))
    assert errors.status_code == 200
    assert b"Lee Private" in errors.content
    assert b"Lee Private" not in Client().get(petition.get_absolute_url()).content


def test_count_api_is_served_from_the_cache_without_a_query(db, settings, django_assert_num_queries):
    settings.PETITION_COUNT_MAX_AGE = 10
    petition = make_petition()
    make_signature(petition, state=Signature.State.CONFIRMED)
    url = reverse("api:petition-detail", kwargs={"slug": petition.slug})
    assert Client().get(url).json()["total_signatures"] == 1
    with django_assert_num_queries(0):
        again = Client().get(url)
    assert again["X-Page-Cache"] == "hit"
    assert again.json()["total_signatures"] == 1
    assert again["Cache-Control"] == "public, max-age=10, stale-while-revalidate=60"


# Variants of one page share its copy -------------------------------------------------------


def stored_keys():
    return {key for key in caches["default"]._cache if KEY_PREFIX in key}


@pytest.mark.parametrize(
    ("canonical", "variants"),
    [
        (
            "/en/news/?page=1",
            ["/en/news/?page=01", "/en/news/?page=\uff11", "/en/news/?page=+1", "/en/news/?page=1&page=01"],
        ),
        ("/en/news/", ["/en/news/?page=", "/en/news/?utm_source=x"]),
        ("/en/coalition/?country=KR", ["/en/coalition/?country=kr", "/en/coalition/?country=%20Kr%20"]),
        (
            "/en/coalition/?kind=organisation",
            ["/en/coalition/?kind=Organisation", "/en/coalition/?kind=ORGANISATION%20"],
        ),
        ("/en/coalition/?page=1", ["/en/coalition/?page=001", "/en/coalition/?page=\uff11"]),
        ("/en/testimonies/?page=1", ["/en/testimonies/?page=01"]),
    ],
)
def test_a_variant_of_a_query_value_shares_the_canonical_copy(content, canonical, variants):
    first = Client().get(canonical)
    assert first["X-Page-Cache"] == "miss", canonical
    keys = stored_keys()
    for variant in variants:
        response = Client().get(variant)
        assert (response.status_code, response["X-Page-Cache"]) == (200, "hit"), variant
        assert response.content.replace(b" ", b"")[:300] == first.content.replace(b" ", b"")[:300]
    assert stored_keys() == keys


@pytest.mark.parametrize(
    "url", ["/en/news/?page=abc", "/en/news/?page=0", "/en/coalition/?page=-1", "/en/testimonies/?page=1.0"]
)
def test_a_junk_page_number_is_sent_to_the_first_page_and_stores_nothing(content, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == url.split("?")[0]
    assert stored_keys() == set()


def test_a_page_past_the_last_is_the_views_404(content):
    assert Client().get("/en/news/?page=999").status_code == 404


def test_a_made_up_referrer_before_a_real_one_shares_the_real_ones_copy(client, settings):
    settings.PETITION_COUNT_MAX_AGE = 10
    petition = make_petition()
    member = make_member(slug="citizens-alliance")
    url = petition.get_absolute_url()
    client.get(f"{url}?ref={member.slug}")
    keys = stored_keys()

    response = Client().get(f"{url}?ref=not-a-member-1&ref={member.slug}")

    assert response["X-Page-Cache"] == "hit"
    assert b'name="ref" value="citizens-alliance"' in response.content
    assert b"not-a-member-1" not in response.content
    assert stored_keys() == keys
