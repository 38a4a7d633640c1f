"""Whole-page caching of anonymous pages in the shared cache.

A viral petition brings thousands of anonymous visitors a minute to the same
few pages. Rendering a template costs 8 to 10 times more than serving a static
file, so ``@cache_public_page`` keeps the rendered page in the shared cache
(``CACHES["default"]``, so every process and machine sees the same copy) and
serves later visitors from it without touching the templates or the content
tables. The parts, each with its own docstring:

``decorator``     which requests get a copy (not personal ones: a session that
                  exists, flash messages that verify), which responses are
                  stored, ``do_not_store`` for answers no cache may keep
``query``         the canonical query a page is keyed on (the one value a view
                  reads, canonical: ``page_number``)
``levels``        keys, the process's own copies in front of the shared cache,
                  the content version (``PAGE_CACHE_VERSION_SECONDS``)
``holes``         per-visitor parts left out of a stored copy and filled per
                  request: CSRF token, CSP nonce, ``fresh_fields`` (``restamp``)
``invalidation``  each app's ``page_cache_models``: a save shows at once
``csrf``          the Django CSRF internals the cache relies on, checked at
                  start-up, and the randomness patch (``PAGE_CACHE_CSRF_PATCH``)

Staleness (the documented bound): a staff edit to a declared content model
shows at once in the process that made it and within
``PAGE_CACHE_VERSION_SECONDS`` (default 1) elsewhere; otherwise a copy lives
at most ``PAGE_CACHE_SECONDS`` (default 60; ``0`` switches the cache off, the
default when DEBUG is on) or the view's own ``timeout``.

The package imports no app of the site, so every app may use it; the site
names its per-visitor variant (the cookie choice) in ``PAGE_CACHE_VARIANT``.
"""

from pagecache.decorator import cache_public_page, do_not_store
from pagecache.holes import restamp
from pagecache.invalidation import bump_content_version
from pagecache.levels import clear_local_copies, content_memo
from pagecache.query import page_number

__all__ = [
    "bump_content_version",
    "cache_public_page",
    "clear_local_copies",
    "content_memo",
    "do_not_store",
    "page_number",
    "restamp",
]
