"""Cookie preferences: the banner, the /cookies/ page, the stored choice and optional analytics."""

import re

import pytest
from django.test import Client

BANNER = 'class="cookie-banner"'
ANALYTICS_URL = "/static/js/analytics-test.js"


def _choose(client, choice, next_url="/en/appeals/"):
    return client.post("/en/cookies/", {"choice": choice, "next": next_url})


def test_banner_is_shown_to_a_visitor_who_has_not_chosen(client, db):
    response = client.get("/en/")
    assert response.status_code == 200
    assert BANNER in response.text
    assert "Accept all" in response.text
    assert "Decline all" in response.text
    assert 'href="/en/cookies/"' in response.text


@pytest.mark.parametrize("choice", ["accepted", "declined"])
def test_banner_is_hidden_once_the_visitor_has_chosen(client, db, choice):
    client.cookies["cookie_consent"] = choice
    response = client.get("/en/")
    assert BANNER not in response.text


def test_banner_returns_when_the_consent_cookie_holds_junk(client, db):
    client.cookies["cookie_consent"] = "maybe"
    assert BANNER in client.get("/en/").text


def test_banner_form_posts_back_to_the_page_the_visitor_is_on(client, db):
    # A query the page reads stays (the page cache drops any it does not, e.g. utm_source).
    response = client.get("/en/coalition/?country=KR&utm_source=x")
    assert re.search(r'<input type="hidden" name="next" value="/en/coalition/\?country=KR">', response.text)


def test_accept_all_stores_the_choice_for_a_year_and_returns_to_the_page(client, db):
    response = _choose(client, "accepted", "/en/appeals/?page=2")
    assert response.status_code == 303
    assert response["Location"] == "/en/appeals/?page=2"
    cookie = response.cookies["cookie_consent"]
    assert cookie.value == "accepted"
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"]
    assert not cookie["secure"]  # the test settings run without TLS
    assert BANNER not in client.get("/en/appeals/").text


def test_decline_all_stores_the_choice(client, db):
    response = _choose(client, "declined", "/en/news/")
    assert response.status_code == 303
    assert response["Location"] == "/en/news/"
    assert response.cookies["cookie_consent"].value == "declined"


def test_consent_cookie_is_secure_when_session_cookies_are(client, db, settings):
    settings.SESSION_COOKIE_SECURE = True
    response = _choose(client, "declined")
    assert response.cookies["cookie_consent"]["secure"]


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/path",
        "javascript:alert(1)",
        "http://testserver.evil.example/",
        "",
    ],
)
def test_off_site_or_missing_next_goes_home_instead(client, db, next_url):
    response = _choose(client, "accepted", next_url)
    assert response.status_code == 303
    assert response["Location"] == "/en/"
    assert response.cookies["cookie_consent"].value == "accepted"


def test_unknown_choice_is_refused_and_stores_nothing(client, db):
    response = client.post("/en/cookies/", {"choice": "everything", "next": "/"})
    assert response.status_code == 400
    assert "cookie_consent" not in response.cookies


def test_banner_form_passes_the_csrf_check(db):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/en/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = client.post("/en/cookies/", {"csrfmiddlewaretoken": token, "choice": "declined", "next": "/"})
    assert response.status_code == 303
    assert response.cookies["cookie_consent"].value == "declined"


def test_choice_without_csrf_token_is_refused(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/en/cookies/", {"choice": "accepted", "next": "/"})
    assert response.status_code == 403
    assert "cookie_consent" not in response.cookies


@pytest.mark.parametrize(
    ("cookie", "shown"),
    [
        (None, "You have not chosen yet."),
        ("accepted", "you accepted all cookies."),
        ("declined", "you declined optional cookies."),
    ],
)
def test_cookie_page_shows_the_current_choice(client, db, cookie, shown):
    if cookie:
        client.cookies["cookie_consent"] = cookie
    response = client.get("/en/cookies/")
    assert response.status_code == 200
    assert shown in response.text
    assert "Essential cookies" in response.text
    assert "csrftoken" in response.text
    # The page has its own buttons; the banner would only repeat them.
    assert BANNER not in response.text
    assert "Cookie" in response["Vary"]


def test_cookie_page_form_comes_back_to_the_cookie_page(client, db):
    client.post("/en/cookies/", {"choice": "accepted", "next": "/en/cookies/"})
    assert "you accepted all cookies." in client.get("/en/cookies/").text


def test_cookie_page_explains_analytics_when_configured(client, db, settings):
    settings.ANALYTICS_SCRIPT_URL = ANALYTICS_URL
    assert "visit counter" in client.get("/en/cookies/").text
    settings.ANALYTICS_SCRIPT_URL = ""
    assert "does not currently measure visits" in client.get("/en/cookies/").text


def test_plain_page_view_sets_no_cookie_but_csrf_before_a_choice(client, db):
    response = client.get("/en/")
    assert BANNER in response.text  # the banner's form needs the CSRF cookie, which is essential
    assert set(response.cookies) <= {"csrftoken"}
    assert "sessionid" not in response.cookies


@pytest.mark.parametrize("choice", [None, "declined"])
def test_analytics_script_never_loads_without_acceptance(client, db, settings, choice):
    settings.ANALYTICS_SCRIPT_URL = ANALYTICS_URL
    if choice:
        client.cookies["cookie_consent"] = choice
    assert ANALYTICS_URL not in client.get("/en/").text


def test_analytics_script_loads_with_the_csp_nonce_after_accepting(client, db, settings):
    settings.ANALYTICS_SCRIPT_URL = ANALYTICS_URL
    client.cookies["cookie_consent"] = "accepted"
    response = client.get("/en/")
    match = re.search(
        rf'<script src="{re.escape(ANALYTICS_URL)}" nonce="([^"]+)" defer></script>', response.text
    )
    assert match, "analytics script tag missing"
    assert f"'nonce-{match.group(1)}'" in response["Content-Security-Policy"]


def test_no_analytics_script_after_accepting_when_none_is_configured(client, db, settings):
    settings.ANALYTICS_SCRIPT_URL = ""
    client.cookies["cookie_consent"] = "accepted"
    response = client.get("/en/")
    assert not re.search(r'<script src="\s*"', response.text)


@pytest.mark.parametrize("purpose", ["confirm", "withdraw"])
def test_analytics_script_never_loads_on_a_page_whose_address_holds_a_token(client, db, settings, purpose):
    from django.urls import reverse

    from petitions.services.tokens import make_token
    from petitions.tests.factories import make_signature

    settings.ANALYTICS_SCRIPT_URL = ANALYTICS_URL
    client.cookies["cookie_consent"] = "accepted"
    signature = make_signature(state="pending" if purpose == "confirm" else "confirmed")
    token = make_token(signature=signature, purpose=purpose)
    url = reverse(f"petitions:{purpose}", kwargs={"slug": signature.petition.slug, "token": token})

    response = client.get(url)

    assert response.status_code == 200
    assert ANALYTICS_URL not in response.text
    assert ANALYTICS_URL in client.get("/en/").text
