"""Whole-page caching of anonymous pages in the shared cache.

A viral petition brings thousands of anonymous visitors a minute to the same
few pages. Rendering a template costs 8 to 10 times more than serving a static
file, so ``@cache_public_page`` keeps the rendered page in the shared cache
(``CACHES["default"]``, so every process and machine sees the same copy) and
serves later visitors from it without touching the templates or the content
tables.

What is cached
    Only GET and HEAD requests from visitors without a session cookie and
    without a flash-messages cookie (logged-in staff always have a session;
    a visitor with pending messages must see them), and only 200 responses
    that set no cookie other than the CSRF cookie, add no flash message,
    do not change the session, are not streamed, vary on nothing but Cookie
    and Accept-Encoding, and do not say ``Cache-Control: private``,
    ``no-cache`` or ``no-store`` (``@never_cache`` views are never stored).

The per-visitor parts
    The stored copy never holds anything that belongs to one visitor:

    * Every CSRF token in the page (from ``{% csrf_token %}``, crispy forms or
      anywhere else) is found after rendering (a 64-character token that
      unmasks to this request's CSRF secret) and replaced by a placeholder.
      Each visitor gets a freshly masked token of their own secret, from
      ``get_token(request)``, which also sets the CSRF cookie for a new
      visitor. Templates need no change.
    * A CSP nonce used by the page is replaced the same way, so the page and
      the ``Content-Security-Policy`` header always carry the same nonce.
    * The cookie banner (and anything else that depends on the visitor's
      cookie choice, such as an analytics script after "Accept all") is part
      of the key instead: the visitor's choice as ``campaign.consent`` reads
      it ("accepted", "declined" or none, junk counting as none) selects one
      of at most three copies of each page. Templates need no change.
    * Flash messages: a visitor with a ``messages`` cookie bypasses the cache.
    * Form fields that must be made per request (the petition form's signed
      "issued at" stamp, which tells a person from a script by how fast the
      form comes back) are named in ``fresh_fields`` and re-made per visitor.

Query strings
    Only the parameters a view names in ``query_params`` are part of the key;
    the view sees only those (others, such as ``utm_source``, are dropped
    from ``request.GET`` and ``get_full_path()`` before the view runs), so
    tracking parameters can neither fill the cache with copies of one page
    nor leak one visitor's link into the copy others get.

Two levels
    Each process keeps its own copy of the pages it served last (at most
    ``LOCAL_MAX_ENTRIES``, in memory, no pickling), in front of the shared
    cache: a hit then costs no round trip to the cache server or table. The
    shared cache stays the source of truth: a process renders a page only if
    neither level has a current copy, and stores it in both.

Staleness (the documented bound)
    * Staff edits: saving or deleting any content model (see
      ``CONTENT_MODELS``) changes a content version kept in the shared cache,
      once the transaction commits; every copy stored under the old version
      is ignored from then on: at once in the process that made the change,
      and within ``PAGE_CACHE_VERSION_SECONDS`` (default 1) in every other
      process, which reads the shared version at most that often. A deploy
      that runs ``migrate`` does the same, so changed templates show at once.
    * Otherwise a copy lives at most ``PAGE_CACHE_SECONDS`` (default 60), or
      the view's own ``timeout``. The petition page passes
      ``timeout=lambda: settings.PETITION_COUNT_MAX_AGE`` so its count lags by
      at most that plus the count's own cache age.
    * Browsers and proxies: pages are served ``Cache-Control: private,
      no-cache`` (they hold per-visitor tokens and depend on the cookie
      choice), so no shared proxy keeps them. A view whose output is the same
      for everyone (``public=True``: a feed, the count API) is served
      ``public, max-age=<timeout>`` instead, and may be that old in a proxy.

``PAGE_CACHE_SECONDS=0`` switches the cache off (the default when DEBUG is on,
so template edits show at once in development). Every response of a
decorated view says what happened in ``X-Page-Cache``: hit, miss, pass (not
storable), bypass (personal request) or off.
"""

import hashlib
import html
import os
import re
import threading
import time
import uuid
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.html import escape

from campaign.consent import consent_from_request

CACHE_ALIAS = "default"
VERSION_KEY = "page-cache:content-version"
KEY_PREFIX = "page-cache:page:"

# Cookies that make a request personal: a logged-in user (or anyone with a
# session) and pending flash messages (CookieStorage's cookie name).
MESSAGES_COOKIE = "messages"

# Models whose changes can show on a public page. Their saves and deletes
# invalidate every cached page (connected in CampaignConfig.ready).
CONTENT_MODELS = (
    "coalition.Member",
    "testimonies.Topic",
    "testimonies.Testimony",
    "testimonies.Passage",
    "campaign.Campaign",
    "campaign.KeyFact",
    "campaign.Appeal",
    "campaign.Demand",
    "campaign.Milestone",
    "campaign.Statement",
    "campaign.Contact",
    "petitions.Petition",
    "petitions.ConsentWording",
)

# Placeholders for the per-visitor parts in a stored copy. "@" is outside
# the CSRF alphabet and the nonce alphabet, so a real value never matches.
CSRF_HOLE = b"@@page-cache-csrf-token@@"
NONCE_HOLE = b"@@page-cache-csp-nonce@@"

_TOKEN_RE = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{%d}(?![A-Za-z0-9])" % (2 * CSRF_SECRET_LENGTH))
_UNSTORED_HEADERS = {"cache-control", "content-length", "expires", "vary", "x-page-cache"}
_ALLOWED_VARY = {"cookie", "accept-encoding"}
_UNCACHEABLE_DIRECTIVES = {"private", "no-cache", "no-store"}


def _cache():
    return caches[CACHE_ALIAS]


# The process's own copies (first level) --------------------------------------

# Enough for every page of the site in its three cookie-choice variants; the
# oldest copy goes first when it is full. Bigger pages are not kept locally.
LOCAL_MAX_ENTRIES = 300
LOCAL_MAX_BYTES = 512 * 1024

_local_pages = {}  # key -> entry (the same dict the shared cache holds)
_local_version = {"value": None, "read_at": float("-inf")}
_memos = {}  # key -> (version, value), see content_memo()
_local_lock = threading.Lock()


def clear_local_copies():
    """Forget this process's copies and its last look at the version (tests, after clearing the cache)."""
    with _local_lock:
        _local_pages.clear()
        _memos.clear()
        _local_version.update(value=None, read_at=float("-inf"))


def content_memo(key, fetch):
    """``fetch()``, computed once per content version in this process (``None`` is never kept).

    For content rows a view reads on every request, such as the petition and
    its consent wording behind each signing POST: they change only through
    the saves that bump the content version, so they go stale by the same
    bound as the pages. The values are shared between requests: never change
    them.
    """
    version = _current_version()
    found = _memos.get(key)
    if found is not None and found[0] == version:
        return found[1]
    value = fetch()
    if value is not None:
        with _local_lock:
            if len(_memos) >= LOCAL_MAX_ENTRIES:
                _memos.clear()
            _memos[key] = (version, value)
    return value


def _keep_locally(key, entry):
    if len(entry["content"]) > LOCAL_MAX_BYTES:
        return
    with _local_lock:
        _local_pages.pop(key, None)
        _local_pages[key] = entry
        while len(_local_pages) > LOCAL_MAX_ENTRIES:
            del _local_pages[next(iter(_local_pages))]


def _fresh(entry, version):
    return entry is not None and entry["version"] == version and entry.get("expires", 0) > time.time()


# Content version -----------------------------------------------------------


def bump_content_version(**kwargs):
    """Invalidate every cached page (a new content version): now, and again once the transaction commits.

    The first bump makes the change visible to the next request in this
    transaction (and in tests); the second discards any copy another request
    rendered from the old data in between. Call it from services that change
    what pages show without a model save (withdrawing a signature removes a
    name from the petition page). Accepts and ignores signal arguments.
    """
    _set_new_version()
    transaction.on_commit(_set_new_version, robust=True)


def _set_new_version():
    version = uuid.uuid4().hex
    _cache().set(VERSION_KEY, version, None)
    _remember_version(version)


def _remember_version(version):
    _local_version.update(value=version, read_at=time.monotonic())


def _shared_version():
    version = _cache().get(VERSION_KEY)
    if version is None:
        # First use, or the version was evicted: start a version no stored
        # copy can carry (add() lets concurrent processes agree on one).
        _cache().add(VERSION_KEY, uuid.uuid4().hex, None)
        version = _cache().get(VERSION_KEY)
    _remember_version(version)
    return version


def _current_version():
    """The content version, read from the shared cache at most every PAGE_CACHE_VERSION_SECONDS."""
    if time.monotonic() - _local_version["read_at"] < settings.PAGE_CACHE_VERSION_SECONDS:
        return _local_version["value"]
    return _shared_version()


def connect_invalidation_signals():
    """Bump the content version whenever staff change a content model."""
    from django.apps import apps
    from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

    for label in CONTENT_MODELS:
        model = apps.get_model(label)
        post_save.connect(bump_content_version, sender=model, dispatch_uid=f"page-cache-save-{label}")
        post_delete.connect(bump_content_version, sender=model, dispatch_uid=f"page-cache-delete-{label}")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                bump_content_version,
                sender=field.remote_field.through,
                dispatch_uid=f"page-cache-m2m-{label}-{field.name}",
            )
    # A deploy runs migrate: pages rendered by the old templates go too.
    post_migrate.connect(bump_content_version, dispatch_uid="page-cache-migrate")


# The decorator --------------------------------------------------------------


def cached_urlconf(module, views):
    """An ``include()`` target: ``module``'s URL patterns, the named ones cached.

    For apps that must not import campaign (coalition, testimonies): their
    urls.py stays as it is and campaign/urls.py wraps their views::

        path("coalition/", include(cached_urlconf("coalition.urls", {
            "member-list": {"query_params": ("country", "kind", "page")},
        }))),

    ``views`` maps URL names to ``cache_public_page`` options.
    """
    from django.urls import URLPattern
    from django.utils.module_loading import import_module

    urlconf = import_module(module)
    patterns = []
    for pattern in urlconf.urlpatterns:
        if isinstance(pattern, URLPattern) and pattern.name in views:
            callback = cache_public_page(**views[pattern.name])(pattern.callback)
            pattern = URLPattern(pattern.pattern, callback, pattern.default_args, pattern.name)
        patterns.append(pattern)
    return patterns, urlconf.app_name


def cache_public_page(view_func=None, *, timeout=None, query_params=(), public=False, fresh_fields=None):
    """Serve an anonymous page from the shared cache (see the module docstring).

    ``timeout``: seconds a copy may live (an int, or a callable returning one,
    read on each request); default ``settings.PAGE_CACHE_SECONDS``.
    ``query_params``: names of the GET parameters the view reads (e.g.
    ``("page",)``); every other parameter is dropped before the view runs.
    ``public``: the output is identical for every visitor (no form, no cookie
    banner: feeds, JSON); served ``Cache-Control: public, max-age=<timeout>``
    and not keyed on the cookie choice.
    ``fresh_fields``: ``{input name: refresh(old value) -> new value}`` for
    form fields whose value must be made per request, such as a signed
    "form issued at" stamp (``restamp(salt)`` re-signs one with the current
    time): the stored copy keeps the old value, each visitor gets a fresh one.

    Usable bare (``@cache_public_page``) or with arguments, on function views
    or around ``SomeView.as_view()``.
    """

    def decorator(view):
        allowed = tuple(query_params)
        refreshers = dict(fresh_fields or {})

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            seconds = _timeout(timeout)
            if seconds <= 0:
                return _mark(view(request, *args, **kwargs), "off")
            if not _is_anonymous_read(request):
                response = view(request, *args, **kwargs)
                if not response.has_header("Cache-Control"):
                    patch_cache_control(response, private=True)
                return _mark(response, "bypass")

            query = _normalised_query(request, allowed)
            request.GET = QueryDict(query)
            request.META["QUERY_STRING"] = query  # for get_full_path()
            key = _page_key(request, query, public)
            version = _current_version()
            entry = _local_pages.get(key)
            if _fresh(entry, version):
                return _serve(request, entry, "hit", seconds, refreshers)
            entry = _cache().get(key)
            if _fresh(entry, version):
                _keep_locally(key, entry)
                return _serve(request, entry, "hit", seconds, refreshers)

            response = view(request, *args, **kwargs)
            if callable(getattr(response, "render", None)) and not response.is_rendered:
                response.render()
            entry = _entry_from_response(request, response, version, public, refreshers, seconds)
            if entry is None:
                return _mark(response, "pass")
            _cache().set(key, entry, seconds)
            _keep_locally(key, entry)
            return _serve(request, entry, "miss", seconds, refreshers)

        return wrapper

    if view_func is not None:
        return decorator(view_func)
    return decorator


def _timeout(timeout):
    if timeout is None:
        return settings.PAGE_CACHE_SECONDS
    if callable(timeout):
        return timeout()
    return timeout


def _mark(response, state):
    response["X-Page-Cache"] = state
    return response


def _is_anonymous_read(request):
    if request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and MESSAGES_COOKIE not in cookies


def _normalised_query(request, allowed):
    pairs = [(name, value) for name in sorted(allowed) for value in request.GET.getlist(name)]
    return urlencode(pairs)


def _page_key(request, query, public):
    consent = "" if public else consent_from_request(request)
    raw = f"{request.scheme}://{request.get_host()}{request.path}?{query}#{consent}"
    return KEY_PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def _entry_from_response(request, response, version, public, refreshers, seconds):
    """The response as a visitor-neutral dict, or None if it must not be stored."""
    if response.status_code != 200 or response.streaming:
        return None
    if any(name != settings.CSRF_COOKIE_NAME for name in response.cookies):
        return None
    directives = {d.split("=")[0].strip().lower() for d in response.get("Cache-Control", "").split(",")}
    if directives & _UNCACHEABLE_DIRECTIVES:
        return None
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
    if vary - _ALLOWED_VARY:
        return None
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return None
    messages = getattr(request, "_messages", None)
    if messages is not None and getattr(messages, "added_new", False):
        return None

    content, holes = _punch_holes(request, response.content)
    content, fresh = _punch_field_holes(content, refreshers)
    if public and (holes or fresh):
        # The view promised the same page for everyone, but it holds a
        # visitor's token: serve it, never store it.
        return None
    return {
        "version": version,
        # Both levels drop the copy then, however long ago it reached them.
        "expires": time.time() + seconds,
        "status": response.status_code,
        "headers": [
            (name, value)
            for name, value in response.items()
            # A public view's own Cache-Control (e.g. stale-while-revalidate) is kept.
            if name.lower() not in _UNSTORED_HEADERS or (public and name.lower() == "cache-control")
        ],
        "content": content,
        "holes": holes,
        "fresh": fresh,
        "public": public,
    }


def _punch_holes(request, content):
    holes = []
    secret = request.META.get("CSRF_COOKIE")
    if secret:

        def replace_token(match):
            token = match.group().decode()
            return CSRF_HOLE if _unmask(token) == secret else match.group()

        punched = _TOKEN_RE.sub(replace_token, content)
        if punched != content:
            content = punched
            holes.append("csrf")
    nonce = getattr(request, "_csp_nonce", None)
    if nonce:  # a LazyNonce is true only once the page used it
        value = str(nonce).encode()
        if value in content:
            content = content.replace(value, NONCE_HOLE)
            holes.append("nonce")
    return content, holes


def _field_hole(name):
    return b"@@page-cache-field-" + name.encode() + b"@@"


def _punch_field_holes(content, refreshers):
    """Replace the value of each ``fresh_fields`` input; return the content and {name: old value}."""
    fresh = {}
    for name in refreshers:
        tag_re = re.compile(rb'<input\b[^>]*\bname="' + re.escape(name.encode()) + rb'"[^>]*>')

        def replace_value(match, name=name):
            tag = match.group()
            value = re.search(rb'\bvalue="([^"]*)"', tag)
            if value is None:
                return tag
            fresh[name] = html.unescape(value.group(1).decode())
            return tag[: value.start(1)] + _field_hole(name) + tag[value.end(1) :]

        content = tag_re.sub(replace_value, content)
    return content, fresh


def restamp(salt):
    """A ``fresh_fields`` refresher for a ``TimestampSigner(salt=...)`` stamp: same value, signed now.

    A stamp that does not verify stays as it was (the form then treats it as forged).
    """

    def refresh(stamp):
        signer = signing.TimestampSigner(salt=salt)
        try:
            return signer.sign(signer.unsign(stamp))
        except signing.BadSignature:
            return stamp

    return refresh


def random_string(length, allowed_chars):
    """``get_random_string`` from one ``os.urandom`` call instead of one per character.

    Each byte below the largest multiple of ``len(allowed_chars)`` picks one
    character (the others are skipped, so every character is equally likely),
    from the same system CSPRNG. Django's version asks the CSPRNG once per
    character: 64 system calls for a new visitor's CSRF secret and its mask,
    a fifth of the cost of serving them a cached page.
    """
    count = len(allowed_chars)
    limit = 256 - 256 % count
    chars = []
    while len(chars) < length:
        chars.extend(allowed_chars[byte % count] for byte in os.urandom(2 * length) if byte < limit)
    return "".join(chars[:length])


def use_faster_csrf_randomness():
    """Make Django's CSRF secrets and masks with ``random_string`` (called from ``CampaignConfig.ready``)."""
    from django.middleware import csrf

    csrf.get_random_string = random_string


def _unmask(token):
    """The CSRF secret inside a masked token (the inverse of Django's masking)."""
    chars = CSRF_ALLOWED_CHARS
    mask, cipher = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    return "".join(chars[chars.index(c) - chars.index(m)] for c, m in zip(cipher, mask, strict=True))


def _serve(request, entry, state, seconds, refreshers):
    content = entry["content"]
    for name, old in entry.get("fresh", {}).items():
        value = refreshers[name](old) if name in refreshers else old
        content = content.replace(_field_hole(name), escape(value).encode())
    if "csrf" in entry["holes"]:
        # Also flags the CSRF cookie for the response (new visitors get one).
        content = content.replace(CSRF_HOLE, get_token(request).encode())
    if "nonce" in entry["holes"]:
        # Reading the nonce makes the CSP middleware put it in the header.
        content = content.replace(NONCE_HOLE, str(request._csp_nonce).encode())
    response = HttpResponse(content, status=entry["status"])
    for name, value in entry["headers"]:
        response[name] = value
    if entry["public"]:
        patch_cache_control(response, public=True, max_age=seconds)
    else:
        # Per-visitor tokens and the cookie choice: no shared proxy may keep it.
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ("Cookie",))
    return _mark(response, state)
