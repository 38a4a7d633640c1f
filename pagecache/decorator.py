"""``@cache_public_page``: which requests are served a copy, which responses are stored.

Who is served a copy
    GET and HEAD requests that are not personal. A request is personal when it
    carries a session in use (its signed marker cookie matches it, see
    ``pagecache.personal``: no look-up in the session store) or a
    flash-messages cookie that verifies (Django's cookie message storage signs
    it, so only this site can have made it). A made-up ``sessionid`` or
    ``messages`` cookie is not personal: it gets the cached copy like any
    visitor at no extra cost, so junk cookies cannot make every request render.
    Personal requests bypass the cache.

What is stored
    Only 200 responses that set no cookie other than the CSRF cookie, add no
    flash message, do not change the session, are not streamed, vary on
    nothing but Cookie and Accept-Encoding, and do not say
    ``Cache-Control: private``, ``no-cache`` or ``no-store``. A view marks an
    answer that must not be kept (a draft, a shown address, a bound form, an
    explained junk filter) with ``do_not_store(response)``; ``@never_cache``
    views are never stored either.

What the browser is told
    Pages are served ``Cache-Control: private, no-cache`` (they hold
    per-visitor tokens and depend on the cookie choice), so no shared proxy
    keeps them. A view whose output is the same for everyone (``public=True``:
    a feed, the count API) is served ``public, max-age=<timeout>`` instead, and
    may be that old in a proxy.

Every response of a decorated view says what happened in ``X-Page-Cache``:
hit, miss, pass (not storable), bypass (personal request) or off
(``PAGE_CACHE_SECONDS=0``).
"""

import time
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_cache_control, patch_vary_headers

from pagecache.holes import fill_holes, punch_field_holes, punch_holes
from pagecache.levels import current_version, find_copy, page_key, store_copy
from pagecache.personal import is_personal
from pagecache.query import canonical_query, canonicalisers

_UNSTORED_HEADERS = {"cache-control", "content-length", "expires", "vary", "x-page-cache"}
_ALLOWED_VARY = {"cookie", "accept-encoding"}
_UNCACHEABLE_DIRECTIVES = {"private", "no-cache", "no-store"}


def do_not_store(response, *, noindex=False):
    """Mark an answer no cache may keep (this one, a proxy's, the browser's): ``private, no-store``.

    ``noindex``: also ask search engines to leave it out (``X-Robots-Tag: noindex``),
    for a draft preview or a page showing an address.
    """
    patch_cache_control(response, private=True, no_store=True)
    if noindex:
        response["X-Robots-Tag"] = "noindex"
    return response


def cache_public_page(view_func=None, *, timeout=None, query_params=(), public=False, fresh_fields=None):
    """Serve an anonymous page from the shared cache (see the package docstring).

    ``timeout``: seconds a copy may live (an int, or a callable returning one,
    read on each request); default ``settings.PAGE_CACHE_SECONDS``.
    ``query_params``: the GET parameters the view reads, as names (e.g.
    ``("ref",)``) or ``{name: canonical}`` (e.g. ``{"page": page_number}``);
    see ``pagecache.query``. Every other parameter is dropped before the view runs.
    ``public``: the output is identical for every visitor (no form, no cookie
    banner: feeds, JSON); served ``Cache-Control: public, max-age=<timeout>``
    and not keyed on the visitor's variant.
    ``fresh_fields``: ``{input name: refresh(old value) -> new value}`` for
    form fields whose value must be made per request, such as a signed
    "form issued at" stamp (``restamp(salt)`` re-signs one with the current
    time): the stored copy keeps the old value, each visitor gets a fresh one.

    Usable bare (``@cache_public_page``) or with arguments, on function views
    or around ``SomeView.as_view()``.
    """

    def decorator(view):
        canonical_by_name = canonicalisers(query_params)
        refreshers = dict(fresh_fields or {})

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            seconds = _timeout(timeout)
            if seconds <= 0:
                return _mark(view(request, *args, **kwargs), "off")
            if request.method not in ("GET", "HEAD") or is_personal(request):
                response = view(request, *args, **kwargs)
                if not response.has_header("Cache-Control"):
                    patch_cache_control(response, private=True)
                return _mark(response, "bypass")

            query, redirect = canonical_query(request, canonical_by_name)
            if redirect:
                return _mark(HttpResponseRedirect(request.path + (f"?{query}" if query else "")), "redirect")
            key = page_key(request, query, public)
            version = current_version()
            entry = find_copy(key, version)
            if entry is not None:
                return _serve(request, entry, "hit", seconds, refreshers)

            response = view(request, *args, **kwargs)
            if callable(getattr(response, "render", None)) and not response.is_rendered:
                response.render()
            entry = _entry_from_response(request, response, version, public, refreshers, seconds)
            if entry is None:
                return _mark(response, "pass")
            store_copy(key, entry, seconds)
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

    content, holes = punch_holes(request, response.content)
    content, fresh = punch_field_holes(content, refreshers)
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


def _serve(request, entry, state, seconds, refreshers):
    response = HttpResponse(fill_holes(request, entry, refreshers), status=entry["status"])
    for name, value in entry["headers"]:
        response[name] = value
    if entry["public"]:
        patch_cache_control(response, public=True, max_age=seconds)
    else:
        # Per-visitor tokens and the cookie choice: no shared proxy may keep it.
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ("Cookie",))
    return _mark(response, state)
