"""The page cache: anonymous pages from the shared cache, per-visitor parts filled per request."""

import datetime
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.messages.storage.cookie import CookieStorage
from django.core import signing
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, HttpResponseRedirect
from django.template import engines
from django.test import Client
from django.urls import path
from django.views.decorators.cache import never_cache

from campaign import urls as root_urls
from campaign.models import Statement
from coalition.models import Member
from pagecache import cache_public_page, clear_local_copies, levels, restamp
from pagecache import csrf as csrf_internals
from pagecache.csrf import random_string
from pagecache.holes import CSRF_HOLE
from pagecache.levels import KEY_PREFIX, VERSION_KEY
from tests.factories import sign_in_staff

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

PAGE = engines["django"].from_string(
    """<!doctype html><title>Test page</title>
{% include "includes/cookie_banner.html" %}
{% if user.is_authenticated %}<p id="hello">Hello {{ user.username }}</p>{% endif %}
<ul id="members">{% for member in members %}<li>{{ member.name }}</li>{% endfor %}</ul>
<ul id="statements">{% for statement in statements %}<li>{{ statement.title }}</li>{% endfor %}</ul>
{% for message in messages %}<p class="flash">{{ message }}</p>{% endfor %}
<p id="query">{{ request.GET.urlencode }}</p><p id="full-path">{{ request.get_full_path }}</p>
<form method="post" action="/submit/">{% csrf_token %}<button>Sign</button></form>
<script nonce="{{ csp_nonce }}" src="/static/js/site.js"></script>
"""
)


def page(request):
    context = {"members": Member.objects.all(), "statements": Statement.objects.all()}
    return HttpResponse(PAGE.render(context, request))


STAMP_SALT = "test-page-cache-stamp"
FORM = engines["django"].from_string(
    """<form method="post">{% csrf_token %}<input type="hidden" name="issued" value="{{ stamp }}" id="id_issued"></form>"""
)


def page_with_stamp(request):
    stamp = signing.TimestampSigner(salt=STAMP_SALT).sign("42")
    return HttpResponse(FORM.render({"stamp": stamp}, request))


def page_with_tracking_cookie(request):
    response = HttpResponse("<p>Hello</p>")
    response.set_cookie("experiment", "b")
    return response


def missing(request):
    return HttpResponse("<p>Gone</p>", status=404)


def submit(request):
    return HttpResponse("accepted")


def flash(request):
    messages.success(request, "Thank you for your message.")
    return HttpResponseRedirect("/page/")


urlpatterns = [
    path("page/", cache_public_page(query_params=("page",))(page)),
    path("uncached/", cache_public_page(never_cache(page))),
    path("tracking/", cache_public_page(page_with_tracking_cookie)),
    path("stamped/", cache_public_page(fresh_fields={"issued": restamp(STAMP_SALT)})(page_with_stamp)),
    path("missing/", cache_public_page(missing)),
    path("submit/", submit),
    path("flash/", flash),
    *root_urls.urlpatterns,  # the cookie banner links to the cookie page
]


@pytest.fixture(autouse=True)
def empty_cache():
    caches["default"].clear()
    clear_local_copies()


def token_in(response):
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content).group(1).decode()


def test_second_visitor_is_served_from_the_cache_without_queries(django_assert_num_queries):
    Member.objects.create(name="Citizens' Alliance", slug="citizens-alliance", is_published=True)
    first = Client().get("/page/")
    assert first["X-Page-Cache"] == "miss"

    with django_assert_num_queries(0):
        second = Client().get("/page/")

    assert second.status_code == 200
    assert second["X-Page-Cache"] == "hit"
    assert b"Citizens&#x27; Alliance" in second.content


def test_stored_copy_holds_no_visitor_token():
    Client().get("/page/")
    (entry,) = [
        value for key, value in caches["default"]._cache.items() if KEY_PREFIX in key and b"<form" in value
    ]
    assert CSRF_HOLE in entry


def test_each_visitor_gets_a_csrf_token_that_passes_the_check():
    first_visitor = Client(enforce_csrf_checks=True)
    second_visitor = Client(enforce_csrf_checks=True)
    first = first_visitor.get("/page/")
    second = second_visitor.get("/page/")
    assert second["X-Page-Cache"] == "hit"

    assert second_visitor.cookies["csrftoken"].value != first_visitor.cookies["csrftoken"].value
    response = second_visitor.post("/submit/", {"csrfmiddlewaretoken": token_in(second)})
    assert response.status_code == 200
    # The first visitor's token is theirs alone.
    response = second_visitor.post("/submit/", {"csrfmiddlewaretoken": token_in(first)})
    assert response.status_code == 403


def test_returning_visitor_keeps_their_csrf_cookie():
    visitor = Client(enforce_csrf_checks=True)
    visitor.get("/page/")
    cookie = visitor.cookies["csrftoken"].value
    response = visitor.get("/page/")
    assert response["X-Page-Cache"] == "hit"
    assert visitor.cookies["csrftoken"].value == cookie
    assert visitor.post("/submit/", {"csrfmiddlewaretoken": token_in(response)}).status_code == 200


def test_cookie_banner_is_shown_only_to_visitors_without_a_choice():
    new = Client().get("/page/")
    declined_client = Client()
    declined_client.cookies["cookie_consent"] = "declined"
    declined = declined_client.get("/page/")
    again = Client().get("/page/")

    assert b'class="cookie-banner"' in new.content
    assert b'class="cookie-banner"' not in declined.content
    assert b'class="cookie-banner"' in again.content
    assert again["X-Page-Cache"] == "hit"


def test_made_up_consent_values_count_as_no_choice():
    Client().get("/page/")
    visitor = Client()
    visitor.cookies["cookie_consent"] = "anything"
    response = visitor.get("/page/")
    assert response["X-Page-Cache"] == "hit"
    assert b'class="cookie-banner"' in response.content


def test_page_and_csp_header_carry_the_same_nonce():
    Client().get("/page/")
    response = Client().get("/page/")
    assert response["X-Page-Cache"] == "hit"
    nonce = re.search(rb'<script nonce="([^"]+)"', response.content).group(1).decode()
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


def signed_in_staff(username="editor"):
    """A client signed in as staff the way a person is: the admin reads the session and marks it."""
    staff = Client()
    sign_in_staff(staff, User.objects.create_user(username, is_staff=True))
    staff.get("/admin/")
    return staff


def test_logged_in_staff_bypass_the_cache():
    Client().get("/page/")
    staff = signed_in_staff()

    response = staff.get("/page/")

    assert response["X-Page-Cache"] == "bypass"
    assert b"Hello editor" in response.content
    assert "private" in response["Cache-Control"]
    assert b"Hello editor" not in Client().get("/page/").content


def test_visitor_with_a_real_flash_message_bypasses_the_cache_and_sees_it():
    Client().get("/page/")
    visitor = Client()
    visitor.get("/flash/")  # the message waits in the signed messages cookie

    response = visitor.get("/page/")

    assert response["X-Page-Cache"] == "bypass"
    assert b'<p class="flash">Thank you for your message.</p>' in response.content
    assert b"Thank you" not in Client().get("/page/").content
    assert visitor.get("/page/")["X-Page-Cache"] == "hit"  # shown once, then the cookie is gone


def messages_cookie_signed_with(rf, secret_key, settings):
    """A messages cookie as Django's cookie storage makes it, signed with ``secret_key``."""
    settings.SECRET_KEY = secret_key
    storage = CookieStorage(rf.get("/en/"))
    storage.add(messages.INFO, "Forged")
    response = HttpResponse()
    storage.update(response)
    return response.cookies["messages"].value


@pytest.mark.parametrize("forgery", ["pending", "another-sites-key"])
def test_a_forged_messages_cookie_gets_the_cached_copy(rf, settings, forgery):
    real_key = settings.SECRET_KEY
    value = forgery if forgery == "pending" else messages_cookie_signed_with(rf, "not-our-key", settings)
    settings.SECRET_KEY = real_key
    Client().get("/page/")
    visitor = Client()
    visitor.cookies["messages"] = value

    response = visitor.get("/page/")

    assert response["X-Page-Cache"] == "hit"
    assert b"Forged" not in response.content


@pytest.mark.parametrize("session_key", ["junk", "k" * 32])
def test_a_made_up_session_cookie_gets_the_cached_copy_without_a_lookup(
    session_key, django_assert_num_queries
):
    Client().get("/page/")
    visitor = Client()
    visitor.cookies["sessionid"] = session_key

    with django_assert_num_queries(0):
        response = visitor.get("/page/")

    assert response["X-Page-Cache"] == "hit"
    assert "pagecache_personal" not in response.cookies


def test_a_session_in_use_is_marked_and_bypasses_the_cache():
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["seen"] = True
    session.create()
    Client().get("/page/")
    visitor = Client()
    visitor.cookies["sessionid"] = session.session_key
    visitor.get("/admin/login/")  # any page that reads the session marks it

    assert visitor.cookies["pagecache_personal"].value
    assert visitor.get("/page/")["X-Page-Cache"] == "bypass"


def test_a_marker_for_another_session_or_forged_does_not_make_a_request_personal():
    staff = signed_in_staff()
    stolen_marker = staff.cookies["pagecache_personal"].value
    Client().get("/page/")
    for marker in (stolen_marker, "forged:marker"):
        visitor = Client()
        visitor.cookies["sessionid"] = "k" * 32
        visitor.cookies["pagecache_personal"] = marker
        assert visitor.get("/page/")["X-Page-Cache"] == "hit"


def test_signing_out_removes_the_marker():
    staff = signed_in_staff()
    staff.post("/admin/logout/")
    assert staff.cookies["pagecache_personal"].value == ""


def test_unknown_query_parameters_share_the_page_and_never_reach_the_view():
    Client().get("/page/")
    response = Client().get("/page/?utm_source=newsletter")
    assert response["X-Page-Cache"] == "hit"
    assert b"utm_source" not in response.content


def test_first_visitors_tracking_link_does_not_reach_the_stored_copy():
    Client().get("/page/?email=someone%40example.org")
    response = Client().get("/page/")
    assert response["X-Page-Cache"] == "hit"
    assert b"someone" not in response.content
    assert b'<p id="full-path">/page/</p>' in response.content


def test_only_the_last_value_of_a_parameter_is_kept_as_the_view_reads_it():
    Client().get("/page/?page=2")
    response = Client().get("/page/?page=7&page=2")
    assert response["X-Page-Cache"] == "hit"
    assert b'<p id="query">page=2</p>' in response.content


def test_known_query_parameters_get_their_own_copy():
    Client().get("/page/")
    response = Client().get("/page/?utm_source=x&page=2")
    assert response["X-Page-Cache"] == "miss"
    assert b'<p id="query">page=2</p>' in response.content
    assert Client().get("/page/?page=2")["X-Page-Cache"] == "hit"


def test_saving_a_member_shows_at_once(django_capture_on_commit_callbacks):
    member = Member.objects.create(name="Old name", slug="member", is_published=True)
    Client().get("/page/")
    with django_capture_on_commit_callbacks(execute=True):
        member.name = "New name"
        member.save()

    response = Client().get("/page/")

    assert response["X-Page-Cache"] == "miss"
    assert b"New name" in response.content


def test_publishing_a_statement_shows_at_once(django_capture_on_commit_callbacks):
    Client().get("/page/")
    with django_capture_on_commit_callbacks(execute=True):
        Statement.objects.create(
            title="Commission of Inquiry now",
            slug="coi-now",
            author="ICNK",
            date=datetime.date(2011, 9, 8),
            body="Text.",
            is_published=True,
        )
    assert b"Commission of Inquiry now" in Client().get("/page/").content


def test_deleting_a_member_shows_at_once(django_capture_on_commit_callbacks):
    member = Member.objects.create(name="Leaving member", slug="leaving", is_published=True)
    Client().get("/page/")
    with django_capture_on_commit_callbacks(execute=True):
        member.delete()
    assert b"Leaving member" not in Client().get("/page/").content


def test_response_setting_another_cookie_is_not_cached():
    Client().get("/tracking/")
    response = Client().get("/tracking/")
    assert response["X-Page-Cache"] == "pass"
    assert response.cookies["experiment"].value == "b"


def test_never_cache_view_is_not_stored():
    Client().get("/uncached/")
    assert Client().get("/uncached/")["X-Page-Cache"] == "pass"


def test_error_responses_are_not_cached():
    Client().get("/missing/")
    response = Client().get("/missing/")
    assert response.status_code == 404
    assert response["X-Page-Cache"] == "pass"


def test_posts_are_never_served_from_the_cache():
    Client().get("/page/")
    assert Client().post("/page/")["X-Page-Cache"] == "bypass"


def test_cached_page_is_private_to_the_browser():
    Client().get("/page/")
    response = Client().get("/page/")
    assert "private" in response["Cache-Control"]
    assert "no-cache" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_page_cache_off_when_seconds_is_zero(settings):
    settings.PAGE_CACHE_SECONDS = 0
    Client().get("/page/")
    assert Client().get("/page/")["X-Page-Cache"] == "off"


def test_form_stamp_is_signed_afresh_for_each_visitor(monkeypatch):
    Client().get("/stamped/")
    later = int(time.time()) + 100
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(later))

    response = Client().get("/stamped/")

    assert response["X-Page-Cache"] == "hit"
    stamp = re.search(rb'name="issued" value="([^"]+)"', response.content).group(1).decode()
    _value, timestamp, _signature = stamp.split(":")
    assert signing.TimestampSigner(salt=STAMP_SALT).unsign(stamp) == "42"
    assert signing.b62_decode(timestamp) == later  # signed for this visit, not the first


def test_forged_stamp_is_left_as_it_is():
    assert restamp(STAMP_SALT)("42:forged:stamp") == "42:forged:stamp"


def test_change_shows_at_once_within_the_same_transaction():
    member = Member.objects.create(name="Before", slug="member", is_published=True)
    Client().get("/page/")
    member.name = "After"
    member.save()  # no commit yet: the test's transaction is still open
    assert b"After" in Client().get("/page/").content


# Two levels: the process's own copies in front of the shared cache ------------


class Clock:
    """Stands in for time.monotonic and time.time inside the page cache."""

    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("pagecache.levels.time.monotonic", clock)
    monkeypatch.setattr("pagecache.levels.time.time", clock)
    return clock


def another_process_edits(member, name):
    """What a save in another process leaves behind: new rows and a new version in the shared cache."""
    Member.objects.filter(pk=member.pk).update(name=name)  # no signal here
    caches["default"].set(VERSION_KEY, "set-by-another-process", None)


def test_a_hit_from_the_process_copy_does_not_ask_the_shared_cache(monkeypatch, clock):
    # The process clock stands still: on a loaded machine the two requests may lie more than
    # PAGE_CACHE_VERSION_SECONDS apart, and then the version is rightly read again.
    Client().get("/page/")
    shared = caches["default"]
    monkeypatch.setattr(shared, "get", lambda *a, **k: pytest.fail("asked the shared cache"))
    monkeypatch.setattr(shared, "get_many", lambda *a, **k: pytest.fail("asked the shared cache"))

    assert Client().get("/page/")["X-Page-Cache"] == "hit"


def test_another_process_copy_is_used_when_this_one_has_none():
    Member.objects.create(name="Rendered elsewhere", slug="elsewhere", is_published=True)
    Client().get("/page/")  # stored in both levels
    clear_local_copies()  # as if a fresh worker process

    response = Client().get("/page/")

    assert response["X-Page-Cache"] == "hit"
    assert b"Rendered elsewhere" in response.content


def test_another_process_edit_shows_within_the_version_bound(settings, clock):
    settings.PAGE_CACHE_VERSION_SECONDS = 1
    member = Member.objects.create(name="Before", slug="member", is_published=True)
    Client().get("/page/")
    another_process_edits(member, "After")

    clock.now += 0.5
    within = Client().get("/page/")
    clock.now += 0.6  # 1.1 s after this process last read the version
    after = Client().get("/page/")

    assert (within["X-Page-Cache"], b"Before" in within.content) == ("hit", True)
    assert (after["X-Page-Cache"], b"After" in after.content) == ("miss", True)


def test_version_bound_zero_reads_the_shared_version_every_time(settings):
    settings.PAGE_CACHE_VERSION_SECONDS = 0
    member = Member.objects.create(name="Before", slug="member", is_published=True)
    Client().get("/page/")
    another_process_edits(member, "After")

    assert b"After" in Client().get("/page/").content


def test_a_copy_expires_in_both_levels_after_page_cache_seconds(settings, clock):
    settings.PAGE_CACHE_SECONDS = 60
    member = Member.objects.create(name="Before", slug="member", is_published=True)
    Client().get("/page/")
    Member.objects.filter(pk=member.pk).update(name="After")  # no signal: only the timeout can show it

    clock.now += 59
    assert b"Before" in Client().get("/page/").content
    clock.now += 2
    response = Client().get("/page/")

    assert (response["X-Page-Cache"], b"After" in response.content) == ("miss", True)


def test_the_process_keeps_a_bounded_number_of_copies(monkeypatch):
    monkeypatch.setattr("pagecache.levels.LOCAL_MAX_ENTRIES", 3)
    for number in range(1, 6):
        Client().get(f"/page/?page={number}")

    assert len(levels._local_pages) == 3
    clear_local_copies()
    # The shared cache still has the evicted pages.
    assert Client().get("/page/?page=1")["X-Page-Cache"] == "hit"


def test_csrf_secrets_come_from_the_fast_generator_and_still_pass_the_check():
    from django.middleware import csrf

    assert csrf.get_random_string is random_string
    client = Client(enforce_csrf_checks=True)
    token = token_in(client.get("/page/"))
    assert len(token) == 64 and set(token) <= set(csrf.CSRF_ALLOWED_CHARS)
    assert client.post("/submit/", {"csrfmiddlewaretoken": token}).status_code == 200


def test_random_strings_are_uniform_over_the_alphabet():
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    text = "".join(random_string(64, alphabet) for _ in range(2000))  # 128,000 characters

    counts = [text.count(char) for char in alphabet]
    expected = len(text) / len(alphabet)  # about 2,065 each
    assert len(text) == 128_000 and set(text) <= set(alphabet)
    # A bias towards the first 8 characters (256 % 62 = 8, without rejection) would be ~25 %.
    assert max(abs(count - expected) for count in counts) < expected * 0.15  # 7 standard deviations
    assert len({random_string(32, alphabet) for _ in range(1000)}) == 1000


@pytest.fixture
def changed_django():
    """A monkeypatch for Django's CSRF module, undone before the page cache installs itself again."""
    with pytest.MonkeyPatch.context() as patch:
        yield patch
    csrf_internals.install(enabled=True)


@pytest.mark.parametrize("name", ["_unmask_cipher_token", "CSRF_SECRET_LENGTH", "get_random_string"])
def test_start_up_check_fails_loudly_when_a_django_csrf_name_is_missing(changed_django, name):
    changed_django.delattr(f"django.middleware.csrf.{name}")
    with pytest.raises(ImproperlyConfigured, match=f"django.middleware.csrf.{name}"):
        csrf_internals.install(enabled=True)


def test_start_up_check_fails_when_django_stops_calling_the_patched_name(changed_django):
    changed_django.setattr("django.middleware.csrf._get_new_csrf_string", lambda: "x" * 32)
    with pytest.raises(ImproperlyConfigured, match="_get_new_csrf_string no longer calls get_random_string"):
        csrf_internals.install(enabled=True)


def test_without_the_patch_a_change_it_alone_relies_on_is_allowed(changed_django):
    changed_django.setattr("django.middleware.csrf._get_new_csrf_string", lambda: "x" * 32)
    csrf_internals.install(enabled=False)  # no error


def test_the_patch_switched_off_leaves_django_its_own_randomness(changed_django):
    from django.middleware import csrf
    from django.utils import crypto

    csrf_internals.install(enabled=False)

    assert csrf.get_random_string is crypto.get_random_string
    client = Client(enforce_csrf_checks=True)
    token = token_in(client.get("/page/"))
    assert client.post("/submit/", {"csrfmiddlewaretoken": token}).status_code == 200


@pytest.mark.parametrize(("value", "patched"), [("", "True"), ("0", "False")])
def test_page_cache_csrf_patch_setting_switches_the_patch_at_start_up(value, patched):
    code = (
        "import django; django.setup()\n"
        "from django.middleware import csrf; from pagecache.csrf import random_string\n"
        "print(csrf.get_random_string is random_string)"
    )
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}}
    env |= {"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "campaign.settings", "PAGE_CACHE_CSRF_PATCH": value}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=settings_root()
    )
    assert (result.returncode, result.stdout.strip()) == (0, patched), result.stderr


def settings_root():
    return Path(__file__).resolve().parents[2]
