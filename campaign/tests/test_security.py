"""Who gets into the admin and what each staff group sees; headers, cookies and body limits."""

import html
import re
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client, override_settings
from django.urls import path

from campaign import urls as root_urls
from campaign.models import Statement
from campaign.tests.factories import make_content
from coalition.models import Member
from petitions.models import Petition, Signature
from petitions.tests.factories import make_petition, make_signature
from testimonies import models as testimony_models
from tests.factories import make_recovery_token, sign_in_staff

PASSWORD = "correct horse battery staple 42"
pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def fast_password_hashing(settings):
    # Each login attempt would otherwise spend a second in PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


LOCKOUT_TEXT = b"Too many failed sign-in attempts"


def _staff(username, *groups, superuser=False):
    user = User.objects.create_user(username, f"{username}@staff.example.org", PASSWORD, is_staff=True)
    user.is_superuser = superuser
    user.save()
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return User.objects.get(pk=user.pk)  # fresh permission cache


def _login(client, username, password=PASSWORD):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def _logged_in(client):
    return "_auth_user_id" in client.session


# Login lockout (django-axes) ----------------------------------------------------


def test_admin_login_is_locked_after_repeated_failures_even_with_right_password(client, db):
    _staff("alice")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _login(client, "alice", "wrong password")
        assert response.status_code == 200  # the login form again, with an error
    # The failure that reaches the limit locks the account at once.
    assert _login(client, "alice", "wrong password").status_code == 429

    response = _login(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert LOCKOUT_TEXT in response.content
    assert not _logged_in(client)
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_successful_sign_in_before_the_limit_resets_the_failure_count(client, db):
    bob = _staff("bob")
    make_recovery_token(bob, "first")
    make_recovery_token(bob, "second")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "bob", "wrong password")
    assert _login(client, "bob", PASSWORD).status_code == 302
    # The count is reset by the whole sign-in, second factor included, not by the password alone.
    assert client.post("/admin/second-factor/", {"token": "first"}).status_code == 302
    client.post("/admin/logout/")

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "bob", "wrong password")
    response = _login(client, "bob", PASSWORD)

    assert response.status_code == 302
    assert _logged_in(client)


# Staff groups --------------------------------------------------------------------

CONTENT_MODELS = [Statement, Petition, Member, testimony_models.Testimony]


def _changelist(model):
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


@pytest.fixture
def staff(db):
    return {
        "editor": _staff("editor", "Content editors"),
        "supporter": _staff("supporter", "Supporter data"),
        "plain": _staff("plain"),
    }


def test_content_editors_may_edit_content_but_not_read_signatures(staff):
    editor = staff["editor"]
    for model in CONTENT_MODELS:
        for action in ("view", "add", "change", "delete"):
            assert editor.has_perm(f"{model._meta.app_label}.{action}_{model._meta.model_name}")
    for codename in ("view_signature", "change_signature", "export_signature", "view_signatureexport"):
        assert not editor.has_perm(f"petitions.{codename}")
    assert not editor.has_perm("auth.view_user")


def test_supporter_data_may_read_signatures_but_not_edit_content(staff):
    supporter = staff["supporter"]
    for codename in ("view_signature", "change_signature", "export_signature", "view_petition"):
        assert supporter.has_perm(f"petitions.{codename}")
    assert not supporter.has_perm("petitions.delete_signature")
    assert not supporter.has_perm("petitions.add_signature")
    assert not supporter.has_perm("petitions.change_petition")
    assert not supporter.has_perm("campaign.change_statement")
    assert not supporter.has_perm("auth.view_user")


def test_plain_staff_has_no_permission(staff):
    assert staff["plain"].get_all_permissions() == set()


@pytest.mark.parametrize("model", CONTENT_MODELS, ids=lambda m: m._meta.model_name)
def test_content_changelists_open_for_editors_only(staff, model):
    if not admin.site.is_registered(model):
        pytest.skip(f"{model.__name__} has no admin yet")
    expected = {"editor": 200, "plain": 403, "supporter": 200 if model is Petition else 403}
    for who, status in expected.items():
        client = Client()
        sign_in_staff(client, staff[who])
        assert client.get(_changelist(model)).status_code == status, who


def test_signature_changelist_opens_for_supporter_data_only(staff):
    url = _changelist(Signature)
    for who, allowed in {"supporter": True, "editor": False, "plain": False}.items():
        client = Client()
        sign_in_staff(client, staff[who])
        status = client.get(url).status_code
        if admin.site.is_registered(Signature):
            assert status == (200 if allowed else 403), who
        else:
            assert status == 404, who  # not registered yet: nobody reaches it


def test_staff_without_user_permissions_cannot_manage_accounts(staff):
    for who in ("editor", "supporter", "plain"):
        client = Client()
        sign_in_staff(client, staff[who])
        assert client.get("/admin/auth/user/").status_code == 403, who
        assert client.get("/admin/auth/group/").status_code == 403, who


def test_admin_index_lists_only_what_the_group_may_see(staff):
    client = Client()
    sign_in_staff(client, staff["editor"])
    index = client.get("/admin/").content.decode()
    assert 'href="/admin/auth/user/"' not in index
    assert f'href="{_changelist(Signature)}"' not in index
    for model in CONTENT_MODELS:
        if admin.site.is_registered(model):
            assert f'href="{_changelist(model)}"' in index, model


# No supporter data for content editors, anywhere in the admin ----------------------

MARKER_NAME = "Qwxzmarker Ulvenholt"
MARKER_EMAIL = "qwxzmarker.ulvenholt@example.net"
MARKER_COMMENT = "qwxzcomment-never-for-editors"
MARKERS = [MARKER_NAME.encode(), MARKER_EMAIL.encode(), MARKER_COMMENT.encode()]
# Searches use parts of the markers: the admin echoes a search term back, and the
# echo must not count as a leak, while a matching signature's full name or email would.
SEARCH_TERMS = ["ulvenholt@example", "Qwxzmarker", "qwxzcomment", "example.net"]
SKIP_PATHS = ("/admin/logout/",)
HREF = re.compile(r"""(?:href|action|data-url|data-ajax--url)=["']([^"']+)["']""")


def _body(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _admin_urls_to_try(petition, signature):
    """Every admin page worth a direct request, whether or not a link leads to it."""
    urls = {"/admin/", f"/admin/r/{_content_type_id(Signature)}/{signature.pk}/"}
    for model, model_admin in admin.site._registry.items():
        base = _changelist(model)
        urls |= {base, f"{base}add/"}
        urls |= {f"{base}?{urlencode({'q': term})}" for term in SEARCH_TERMS}
        for obj in model._default_manager.all()[:8]:
            for suffix in ("change/", "history/", "delete/"):
                urls.add(f"{base}{obj.pk}/{suffix}")
        for field in model._meta.get_fields():
            if isinstance(field, (models.ForeignKey, models.ManyToManyField)) and field.concrete:
                query = {
                    "app_label": model._meta.app_label,
                    "model_name": model._meta.model_name,
                    "field_name": field.name,
                    "term": "Qwxzmarker",
                }
                urls.add(f"/admin/autocomplete/?{urlencode(query)}")
        del model_admin
    base = _changelist(Signature)
    urls |= {base, f"{base}{signature.pk}/change/", f"{base}export/"}
    urls |= {f"{base}?{urlencode({'q': term})}" for term in SEARCH_TERMS}
    return urls


def _content_type_id(model):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(model).pk


def _crawl(client, start_urls, limit=600):
    seen, queue, statuses = set(), list(start_urls), {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen or url.startswith(SKIP_PATHS):
            continue
        seen.add(url)
        response = client.get(url)
        statuses[url] = response.status_code
        body = _body(response)
        yield url, response.status_code, body
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for href in HREF.findall(body.decode(errors="replace")):
            target = urljoin(url, html.unescape(href)).split("#")[0]
            parts = urlsplit(target)
            if parts.netloc in ("", "testserver") and parts.path.startswith("/admin/"):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))


@pytest.fixture
def marked_signatures(db):
    make_content()
    petition = make_petition(title="Commission of Inquiry now")
    signature = make_signature(petition, name=MARKER_NAME, email=MARKER_EMAIL, comment=MARKER_COMMENT)
    for state in (Signature.State.CONFIRMED, Signature.State.SUSPECTED, Signature.State.WITHDRAWN):
        make_signature(petition, name=f"{MARKER_NAME} {state}", email=f"{state}.{MARKER_EMAIL}", state=state)
    return petition, signature


def test_content_editor_never_sees_supporter_names_or_emails_in_the_admin(staff, marked_signatures):
    client = Client()
    sign_in_staff(client, staff["editor"])
    pages = list(_crawl(client, sorted(_admin_urls_to_try(*marked_signatures))))

    assert len(pages) >= 5
    assert all(status < 500 for _, status, _ in pages), [(u, s) for u, s, _ in pages if s >= 500]
    leaks = [url for url, _, body in pages for marker in MARKERS if marker in body]
    assert leaks == []


def test_the_crawl_would_notice_supporter_data(staff, marked_signatures):
    """Proof the crawl above can fail: Supporter data staff do see the marker."""
    if not admin.site.is_registered(Signature):
        pytest.skip("the signature admin is not registered yet")
    client = Client()
    sign_in_staff(client, staff["supporter"])
    pages = _crawl(client, [_changelist(Signature)])
    assert any(MARKER_EMAIL.encode() in body for _, _, body in pages)


# Security headers on every kind of response -------------------------------------

PRODUCTION_SECURITY = {
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "WHITENOISE_USE_FINDERS": True,
}

# url → what it is; the public API joins as soon as it exists (placeholder until then).
HEADER_URLS = {
    "/en/": "page",
    "/en/about/": "page",
    "/en/appeals/": "page",
    "/en/testimonies/": "page",
    "/en/coalition/": "page",
    "/en/news/feed/": "feed",
    "/healthz": "json",
    "/api/v1/petitions/": "api",
    "/robots.txt": "text",
    "/no-such-page/": "404",
    "/static/css/site.css": "static",
}


def _assert_security_headers(response, what):
    csp = response.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp, what
    assert "frame-ancestors 'none'" in csp, what
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, what
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload", what
    assert response["X-Content-Type-Options"] == "nosniff", what
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin", what
    assert response["X-Frame-Options"] == "DENY", what
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", what


@override_settings(**PRODUCTION_SECURITY)
@pytest.mark.parametrize("url", HEADER_URLS, ids=lambda url: HEADER_URLS[url] + ":" + url)
def test_every_response_type_carries_the_security_headers(db, url):
    response = Client().get(url, secure=True)  # a new client picks up the settings
    expected = {"404": 404, "json": 200, "api": 200, "static": 200, "page": 200}.get(HEADER_URLS[url])
    if expected:
        assert response.status_code == expected
    assert response.status_code < 500
    _assert_security_headers(response, url)


@override_settings(**PRODUCTION_SECURITY)
def test_static_files_are_served_by_whitenoise_with_the_headers(db):
    response = Client().get("/static/css/site.css", secure=True)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert "max-age" in response["Cache-Control"]
    _assert_security_headers(response, "static")


@override_settings(**PRODUCTION_SECURITY)
def test_csrf_failure_page_carries_the_security_headers(db):
    response = Client(enforce_csrf_checks=True).post(
        "/admin/login/", {"username": "x", "password": "y"}, secure=True
    )
    assert response.status_code == 403
    _assert_security_headers(response, "403 csrf")


@override_settings(**PRODUCTION_SECURITY)
def test_login_lockout_page_carries_the_security_headers(db):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post("/admin/login/", {"username": "nobody", "password": "x"}, secure=True)
    assert response.status_code == 429
    _assert_security_headers(response, "429 lockout")


def _boom(request):
    raise RuntimeError("internal detail")


urlpatterns = [path("boom/", _boom), *root_urls.urlpatterns]
handler500 = root_urls.handler500


@override_settings(**PRODUCTION_SECURITY)
@pytest.mark.urls("campaign.tests.test_security")
def test_server_error_page_carries_the_security_headers(db):
    response = Client(raise_request_exception=False).get("/boom/", secure=True)
    assert response.status_code == 500
    _assert_security_headers(response, "500")


@override_settings(**PRODUCTION_SECURITY)
def test_cookies_are_secure_httponly_and_same_site(db):
    _staff("carol")
    client = Client()
    client.get("/admin/login/", secure=True)
    csrf = client.cookies["csrftoken"]
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "carol", "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    session = client.cookies["sessionid"]
    client.post("/en/cookies/", {"choice": "declined", "next": "/"}, secure=True)
    consent = client.cookies["cookie_consent"]
    for cookie in (csrf, session, consent):
        assert cookie["secure"] is True, cookie.key
        assert cookie["httponly"] is True, cookie.key
        assert cookie["samesite"] == "Lax", cookie.key


@override_settings(**PRODUCTION_SECURITY)
def test_every_cookie_a_public_page_sets_is_secure_and_same_site(db):
    client = Client()
    for url in HEADER_URLS:
        client.get(url, secure=True)
    for cookie in client.cookies.values():
        assert cookie["secure"] is True, cookie.key
        assert cookie["samesite"] == "Lax", cookie.key


# Oversized bodies -----------------------------------------------------------------

FIVE_MB = 5 * 1024 * 1024


class UnreadableStream:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the oversized body was read")

    readline = read


def test_five_megabyte_post_gets_a_styled_413(client, db):
    body = b"comment=" + b"x" * FIVE_MB
    response = client.post("/en/petitions/any/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert b"Too much data" in response.content
    assert b'<a class="skip-link"' in response.content  # the site's own page, not a bare error


def test_a_413_is_in_the_language_of_the_address_it_refuses(client, db):
    from django.utils import translation

    translation.activate("fr")  # what the thread served last must not decide
    body = b"comment=" + b"x" * FIVE_MB
    response = client.post("/ko/petitions/any/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert '<html lang="ko">' in response.text and "데이터가 너무 많습니다" in response.text


def test_oversized_body_is_refused_without_being_read(client, db):
    response = client.post(
        "/en/petitions/any/",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(FIVE_MB),
        **{"wsgi.input": UnreadableStream()},
    )
    assert response.status_code == 413


def test_file_upload_to_the_public_site_gets_413(client, db):
    upload = SimpleUploadedFile("evidence.bin", b"\0" * (2 * 1024 * 1024))
    response = client.post("/en/petitions/any/", {"name": "A", "file": upload})
    assert response.status_code == 413


def test_body_just_under_the_limit_is_let_through(client, db):
    body = b"comment=" + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2)
    response = client.post("/en/petitions/any/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code != 413


def _client_with_csrf_cookie():
    """Enforce CSRF so that the middleware has to parse the form (and hit Django's limits)."""
    client = Client(enforce_csrf_checks=True)
    client.get("/admin/login/")
    return client, client.cookies["csrftoken"].value


def test_too_much_form_data_in_the_admin_gets_400(db):
    client, token = _client_with_csrf_cookie()
    body = urlencode({"csrfmiddlewaretoken": token, "username": "x" * FIVE_MB, "password": "y"})
    response = client.post("/admin/login/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_too_many_fields_get_400(db):
    client, token = _client_with_csrf_cookie()
    fields = [("csrfmiddlewaretoken", token)] + [
        (f"f{i}", "1") for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 50)
    ]
    for url in ("/admin/login/", "/en/petitions/any/"):
        response = client.post(url, urlencode(fields), content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400, url
        assert b"Traceback" not in response.content
