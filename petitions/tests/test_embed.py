"""The embeddable petition: framed only by members' sites, no cookie, signed token, own-origin POSTs."""

import re
import time

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from coalition.tests.factories import make_member
from petitions import embed
from petitions.models import Petition, Signature
from petitions.tests.factories import make_petition

pytestmark = [pytest.mark.django_db]

OWN_ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def petition():
    return make_petition()


@pytest.fixture
def member():
    return make_member(slug="friends-of-seoul", website="https://www.Friends.example.org:8443/petition/")


def embed_path(petition, member=None, name="petitions:embed"):
    return embed.embed_url(petition, member, name=name)


def token_from(response):
    return re.search(rb'name="issued" value="([^"]+)"', response.content).group(1).decode()


def embed_data(petition, member=None, **overrides):
    data = {
        "issued": embed.issue_embed_token(petition=petition, member=member),
        "name": "Kim Min-ji",
        "email": "min-ji@example.org",
        "country": "KR",
        "comment": "",
        "consent": "on",
        "website": "",
    }
    data.update(overrides)
    return data


def post_embed(client, petition, data, headers=OWN_ORIGIN, **extra):
    return client.post(embed_path(petition), data, headers=headers, **extra)


# The token ------------------------------------------------------------------------------


def test_token_names_the_petition_and_the_member(petition, member):
    token = embed.issue_embed_token(petition=petition, member=member)
    assert embed.read_embed_token(token, petition=petition) == "friends-of-seoul"
    assert (
        embed.read_embed_token(embed.issue_embed_token(petition=petition, member=None), petition=petition)
        == ""
    )


def test_token_for_another_petition_or_forged_is_not_read(petition, member):
    other = make_petition()
    token = embed.issue_embed_token(petition=other, member=member)
    assert embed.read_embed_token(token, petition=petition) is None
    assert embed.read_embed_token(token[:-2] + "xx", petition=petition) is None
    # The petition form's own stamp is not an embed token (another salt).
    stamp = signing.TimestampSigner(salt="campaign.petition.form-issued").sign(f"{petition.pk}:")
    assert embed.read_embed_token(stamp, petition=petition) is None


def test_a_signature_through_the_frame_carries_the_member(client, petition, member):
    response = post_embed(client, petition, embed_data(petition, member))
    assert response.status_code == 303
    assert response["Location"] == embed_path(petition, member, "petitions:embed-thanks")
    signature = Signature.objects.get(petition=petition)
    assert signature.referrer == member
    assert signature.state == Signature.State.PENDING


def test_the_member_comes_from_the_token_not_from_a_posted_ref(client, petition, member):
    other = make_member(slug="someone-else")
    post_embed(client, petition, embed_data(petition, member, ref=other.slug))
    assert Signature.objects.get(petition=petition).referrer == member


def test_a_forged_token_signs_as_suspected_without_a_member(client, petition, member):
    data = embed_data(petition, member)
    data["issued"] = data["issued"][:-3] + "abc"
    response = post_embed(client, petition, data)
    assert response.status_code == 303
    signature = Signature.objects.get(petition=petition)
    assert signature.state == Signature.State.SUSPECTED
    assert signature.referrer is None


def test_a_form_sent_faster_than_the_minimum_is_suspected(client, petition, member, settings):
    settings.PETITION_MIN_FILL_SECONDS = 30
    post_embed(client, petition, embed_data(petition, member))
    assert Signature.objects.get(petition=petition).state == Signature.State.SUSPECTED


def test_the_honeypot_applies(client, petition):
    post_embed(client, petition, embed_data(petition, website="http://spam.example"))
    assert Signature.objects.get(petition=petition).state == Signature.State.SUSPECTED


def test_a_stale_token_shows_the_form_again_with_its_values(client, petition, member, settings, monkeypatch):
    token = embed.issue_embed_token(petition=petition, member=member)
    later = time.time() + (settings.PETITION_FORM_MAX_AGE_HOURS + 1) * 3600
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = post_embed(client, petition, embed_data(petition, member, issued=token))
    assert response.status_code == 200
    assertContains(response, "This form was opened more than")
    assertContains(response, 'value="min-ji@example.org"')
    assert not Signature.objects.exists()


def test_the_rate_limit_applies(client, petition, settings):
    settings.PETITION_RATE_BURST = 1
    for number in range(2):
        post_embed(client, petition, embed_data(petition, email=f"signer{number}@example.org"))
    states = list(Signature.objects.order_by("pk").values_list("state", flat=True))
    assert states == [Signature.State.PENDING, Signature.State.SUSPECTED]


def test_a_flood_gets_the_429_inside_the_frame_and_stores_nothing(client, petition, member, settings):
    settings.PETITION_RATE_BURST = 0
    response = post_embed(client, petition, embed_data(petition))
    assert response.status_code == 429
    assert response["Retry-After"]
    assertContains(response, "Too many attempts", status_code=429)
    assert "frame-ancestors https://www.friends.example.org:8443" in response["Content-Security-Policy"]
    assert not Signature.objects.exists()


# The Origin check ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"},
        {},
    ],
    ids=["other-origin", "null", "lookalike", "cross-site", "same-site", "origin-wins", "neither"],
)
def test_a_post_not_from_our_own_origin_is_refused_and_stores_nothing(client, petition, member, headers):
    response = post_embed(client, petition, embed_data(petition, member), headers=headers)
    assert response.status_code == 403
    assertContains(response, "This form cannot be sent from here", status_code=403)
    assertContains(response, "Nothing was stored.", status_code=403)
    assert "no-store" in response["Cache-Control"]
    assert not Signature.objects.exists()


def test_same_origin_fetch_metadata_is_enough_without_an_origin_header(client, petition):
    response = post_embed(client, petition, embed_data(petition), headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303
    assert Signature.objects.count() == 1


def test_a_csrf_trusted_origin_counts_as_our_own(client, petition, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://campaign.example.org"]
    response = post_embed(
        client, petition, embed_data(petition), headers={"Origin": "https://campaign.example.org"}
    )
    assert response.status_code == 303


def test_the_frame_needs_no_csrf_cookie(petition):
    client = Client(enforce_csrf_checks=True)
    response = post_embed(client, petition, embed_data(petition))
    assert response.status_code == 303
    assert Signature.objects.count() == 1


def test_the_main_petition_form_still_needs_its_csrf_token(petition):
    client = Client(enforce_csrf_checks=True)
    response = client.post(petition.get_absolute_url(), {"name": "x"}, headers=OWN_ORIGIN)
    assert response.status_code == 403


# Bad input ---------------------------------------------------------------------------------


def test_errors_show_in_the_frame_and_lose_nothing(client, petition, member):
    data = embed_data(petition, member, email="not an email", comment="Keep going")
    response = post_embed(client, petition, data)
    assert response.status_code == 200
    assertContains(response, "Please correct the errors below.")
    assertContains(response, 'value="Kim Min-ji"')
    assertContains(response, "Keep going")
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    # Sent again, the form keeps the member in its fresh token.
    assert embed.read_embed_token(token_from(response), petition=petition) == member.slug
    assert not Signature.objects.exists()


def test_a_closed_petition_shows_no_form(client, member):
    closed = make_petition(state=Petition.State.CLOSED)
    response = client.get(embed_path(closed, member))
    assertContains(response, "This petition is not open for signatures.")
    assertNotContains(response, 'name="email"')


# The page ---------------------------------------------------------------------------------------


def test_the_page_shows_count_form_and_a_link_to_the_full_petition(client, petition, member):
    response = client.get(embed_path(petition, member))
    assert response.status_code == 200
    assertContains(response, petition.title)
    assertContains(response, 'class="petition-count-figure"')
    assertContains(response, 'name="email"')
    assertContains(response, f'href="http://testserver{petition.get_absolute_url()}?ref={member.slug}"')
    assertContains(response, 'target="_blank"')
    assertNotContains(response, "csrfmiddlewaretoken")
    assertNotContains(response, "cookie-banner")
    assertContains(response, "js/embed-frame.js")


def test_the_page_sets_no_cookie_and_needs_none(client, petition, member):
    for path in (embed_path(petition, member), embed_path(petition, member, "petitions:embed-thanks")):
        response = Client().get(path)
        assert response.status_code == 200
        assert not response.cookies, path
    response = Client().post(embed_path(petition), embed_data(petition, member), headers=OWN_ORIGIN)
    assert not response.cookies


def test_the_unprefixed_address_redirects_to_the_visitors_language(client, petition, member):
    response = client.get(f"/embed/{petition.slug}/?ref={member.slug}", headers={"Accept-Language": "ko"})
    assert response.status_code == 302
    assert response["Location"] == f"/ko/embed/{petition.slug}/?ref={member.slug}"


def test_each_visitor_gets_a_freshly_issued_token_from_the_cached_copy(petition, member, monkeypatch):
    first = Client().get(embed_path(petition, member))
    later = time.time() + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    second = Client().get(embed_path(petition, member))
    assert second["X-Page-Cache"] == "hit"
    assert token_from(first) != token_from(second)
    assert embed.read_embed_token(token_from(second), petition=petition) == member.slug
    signer = signing.TimestampSigner(salt=embed.EMBED_SALT)
    assert signer.unsign(token_from(second), max_age=1)  # issued now, not when the copy was made


def test_an_unknown_ref_gets_the_page_without_a_member(client, petition):
    response = client.get(f"{embed_path(petition)}?ref=nobody")
    assert embed.read_embed_token(token_from(response), petition=petition) == ""


def test_the_thanks_page_stays_framed_and_carries_the_member_in_its_share_links(client, petition, member):
    response = client.get(embed_path(petition, member, "petitions:embed-thanks"))
    assertContains(response, "Check your email")
    assert "frame-ancestors https://www.friends.example.org:8443" in response["Content-Security-Policy"]
    assertContains(response, f"ref%3D{member.slug}")


# Who may frame it -------------------------------------------------------------------------------


def test_frame_ancestors_list_published_members_origins_and_the_extra_ones(client, petition, settings):
    settings.EMBED_EXTRA_ORIGINS = ["https://blog.example.net"]
    make_member(website="http://old.example.com/about/")
    make_member(website="https://draft.example.com/", is_published=False)
    make_member(website="")
    csp = client.get(embed_path(petition))["Content-Security-Policy"]
    ancestors = re.search(r"frame-ancestors ([^;]+)", csp).group(1).split()
    assert ancestors == ["http://old.example.com", "https://blog.example.net"]
    assert "X-Frame-Options" not in client.get(embed_path(petition))


def test_a_members_new_website_is_allowed_once_saved(client, petition, member):
    csp = client.get(embed_path(petition))["Content-Security-Policy"]
    assert "https://new.example.org" not in csp
    member.website = "https://new.example.org/"
    member.save()
    csp = client.get(embed_path(petition))["Content-Security-Policy"]
    assert "https://new.example.org" in csp


def test_the_origin_list_is_read_once_per_content_version(
    client, petition, member, django_assert_num_queries
):
    embed.frame_ancestors()
    with django_assert_num_queries(0):
        embed.frame_ancestors()


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://www.Example.org/path?q=1", "https://www.example.org"),
        ("https://example.org:443/", "https://example.org"),
        ("http://example.org:8080", "http://example.org:8080"),
        ("https://bücher.example/", "https://xn--bcher-kva.example"),
        ("ftp://example.org/", None),
        ("javascript:alert(1)", None),
        ("not a url", None),
        ("https://example.org:99999/", None),
    ],
)
def test_a_website_becomes_its_origin(url, origin):
    assert embed.web_origin(url) == origin


def test_every_other_page_keeps_frame_ancestors_none(client, petition, member):
    for path in (
        petition.get_absolute_url(),
        reverse("petitions:thanks", kwargs={"slug": petition.slug}),
        reverse("petitions:embed-help"),
        "/en/",
    ):
        response = client.get(path)
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], path
        assert response["X-Frame-Options"] == "DENY", path


def test_the_embed_policy_is_otherwise_the_sites_own(client, petition, member):
    csp = client.get(embed_path(petition, member))["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "form-action 'self'", "base-uri 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp


# The snippet and the page for members --------------------------------------------------------------


def test_the_snippet_frames_the_unprefixed_address_with_the_members_ref_and_a_title(petition, member):
    html = embed.snippet(petition, member)
    assert f'src="http://testserver/embed/{petition.slug}/?ref={member.slug}"' in html
    assert f'title="Petition: {petition.title}"' in html
    assert '<script src="http://testserver/static/js/embed-host.js" async></script>' in html
    assert embed.petition_link(petition, member) == (
        f"http://testserver/petitions/{petition.slug}/?ref={member.slug}"
    )


def test_the_page_for_members_explains_it_with_a_snippet(client, petition):
    response = client.get(reverse("petitions:embed-help"))
    assertContains(response, "For coalition members")
    assertContains(response, f"&lt;iframe src=&quot;http://testserver/embed/{petition.slug}/?ref=YOUR-CODE")
    assertContains(response, f'<a href="/en/embed/{petition.slug}/">What it looks like</a>', html=True)


def test_without_any_member_website_nothing_may_frame_it(client, petition):
    csp = client.get(embed_path(petition))["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp


def test_the_page_for_members_is_in_the_sitemap(client):
    assertContains(client.get("/sitemap.xml"), "http://testserver/ko/embed/")


def test_staff_see_each_members_snippet_and_link_in_the_member_admin(client, petition, member):
    from tests.factories import make_content_editor, sign_in_staff

    sign_in_staff(client, make_content_editor())
    response = client.get(reverse("admin:coalition_member_change", args=[member.pk]))
    assert response.status_code == 200
    assertContains(response, "Snippets to paste")
    # Shown as text to copy (escaped inside a textarea), not rendered as a frame in the admin.
    assertContains(
        response, f"&lt;iframe src=&quot;http://testserver/embed/{petition.slug}/?ref={member.slug}&quot;"
    )
    assertNotContains(response, "<iframe src=")
    assertContains(response, f'value="http://testserver/petitions/{petition.slug}/?ref={member.slug}"')


def test_an_unpublished_member_gets_no_snippet(client, petition):
    from tests.factories import make_content_editor, sign_in_staff

    draft = make_member(is_published=False)
    sign_in_staff(client, make_content_editor())
    response = client.get(reverse("admin:coalition_member_change", args=[draft.pk]))
    assertContains(response, "Publish the member first")
