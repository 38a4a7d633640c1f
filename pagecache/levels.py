"""Keys and the two levels: where a copy is kept and which copy is current.

Keys
    A page's key is its scheme, host, path, the active language (the path
    carries it as /ko/…, but a page outside the prefixes is rendered in the
    visitor's language too, so a Korean copy can never answer a French
    visitor), the canonical query (see ``pagecache.query``) and, unless the view is ``public``, the visitor's
    variant: the value of the function named by ``settings.PAGE_CACHE_VARIANT``
    (this site: the cookie choice from ``campaign.consent``, so at most three
    copies of each page, with and without the cookie banner).

Two levels
    Each process keeps its own copies of the pages it served last (at most
    ``LOCAL_MAX_ENTRIES``, in memory, no pickling) in front of the shared cache
    (``CACHES["default"]``): a hit then costs no round trip to the cache server
    or table. The shared cache stays the source of truth: a process renders a
    page only if neither level has a current copy, and stores it in both.

The content version
    Every copy carries the content version it was rendered under; a copy of
    an older version is ignored. The version lives in the shared cache and is
    changed by ``pagecache.invalidation``; each process reads it at most every
    ``PAGE_CACHE_VERSION_SECONDS`` (default 1; ``0`` reads it on every request),
    so a staff edit shows in other processes within that bound, and at once in
    the process that made it.
"""

import hashlib
import threading
import time
import uuid
from functools import cache

from django.conf import settings
from django.core.cache import caches
from django.utils.module_loading import import_string
from django.utils.translation import get_language

CACHE_ALIAS = "default"
VERSION_KEY = "page-cache:content-version"
KEY_PREFIX = "page-cache:page:"

# Enough for every page of the site in its three cookie-choice variants; the
# oldest copy goes first when it is full. Bigger pages are not kept locally.
LOCAL_MAX_ENTRIES = 300
LOCAL_MAX_BYTES = 512 * 1024

_local_pages = {}  # key -> entry (the same dict the shared cache holds)
_local_version = {"value": None, "read_at": float("-inf")}
_memos = {}  # key -> (version, value), see content_memo()
_local_lock = threading.Lock()


def shared_cache():
    return caches[CACHE_ALIAS]


def page_key(request, query, public):
    variant = "" if public else _variant(request)
    raw = f"{request.scheme}://{request.get_host()}{request.path}?{query}#{get_language()}#{variant}"
    return KEY_PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def _variant(request):
    path = getattr(settings, "PAGE_CACHE_VARIANT", "")
    return _variant_function(path)(request) if path else ""


@cache
def _variant_function(path):
    return import_string(path)


# The process's own copies (first level) --------------------------------------


def clear_local_copies():
    """Forget this process's copies and its last look at the version (tests, after clearing the cache)."""
    with _local_lock:
        _local_pages.clear()
        _memos.clear()
        _local_version.update(value=None, read_at=float("-inf"))


def find_copy(key, version):
    """The current copy under ``key`` from this process, else from the shared cache; None if neither has one."""
    entry = _local_pages.get(key)
    if _fresh(entry, version):
        return entry
    entry = shared_cache().get(key)
    if _fresh(entry, version):
        _keep_locally(key, entry)
        return entry
    return None


def store_copy(key, entry, seconds):
    shared_cache().set(key, entry, seconds)
    _keep_locally(key, entry)


def content_memo(key, fetch):
    """``fetch()``, computed once per content version in this process (``None`` is never kept).

    For content rows a view reads on every request, such as the petition and
    its consent wording behind each signing POST: they change only through
    the saves that bump the content version, so they go stale by the same
    bound as the pages. The values are shared between requests: never change
    them.
    """
    version = current_version()
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


# The content version -----------------------------------------------------------


def set_new_version():
    version = uuid.uuid4().hex
    shared_cache().set(VERSION_KEY, version, None)
    _remember_version(version)


def _remember_version(version):
    _local_version.update(value=version, read_at=time.monotonic())


def _shared_version():
    version = shared_cache().get(VERSION_KEY)
    if version is None:
        # First use, or the version was evicted: start a version no stored
        # copy can carry (add() lets concurrent processes agree on one).
        shared_cache().add(VERSION_KEY, uuid.uuid4().hex, None)
        version = shared_cache().get(VERSION_KEY)
    _remember_version(version)
    return version


def current_version():
    """The content version, read from the shared cache at most every PAGE_CACHE_VERSION_SECONDS."""
    if time.monotonic() - _local_version["read_at"] < settings.PAGE_CACHE_VERSION_SECONDS:
        return _local_version["value"]
    return _shared_version()
