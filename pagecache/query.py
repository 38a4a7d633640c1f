"""Query strings: the key holds the one value a view reads, in its canonical form.

A view names the GET parameters it reads in ``query_params``, as a tuple of
names or as ``{name: canonical}``. Before the key is made, and before the view
runs, ``request.GET`` (and the query string behind ``get_full_path()``) is
replaced by the canonical query:

* every parameter not named is dropped (``utm_source`` …), so tracking links
  can neither fill the cache with copies of one page nor leak one visitor's
  link into the copy others get;
* of a named parameter only the last value is kept, the one
  ``request.GET.get`` returns (``?ref=junk&ref=<member>`` is ``ref=<member>``);
* that value goes through its ``canonical(value)`` function, which returns
  the value the view would read it as, ``None`` to drop the parameter (the
  view sees it absent), raises ``NotCanonical`` for junk the visitor is sent
  away from (a redirect to the page without it: cheaper than rendering a
  404 for every made-up value), or raises ``Http404``. Without a function,
  an empty value is dropped and any other is kept as it is. A filter whose
  value names nothing (``country=ZZ``) canonicalises to one shared value
  (``UNKNOWN``), so every made-up value shares one copy that explains it.

So ``page=01`` and ``page=`` U+FF11 (a full-width one) share the copy of
``page=1``, and ``country=kr`` that of ``country=KR``: variants of one page
never mint new copies. A value the view answers with an explanation rather
than a page of its own (an unknown filter) must be answered through
``do_not_store`` so that it is not kept either.
"""

from urllib.parse import urlencode

from django.http import QueryDict

# The one value every made-up filter value becomes: they share one explained copy.
UNKNOWN = "unknown"


class NotCanonical(Exception):
    """Raised by a canonicaliser for junk: the visitor is redirected to the page without the parameter."""


def keep_as_is(value):
    return value or None


def page_number(value):
    """``?page=`` as Django's paginated views read it: ``int(value)`` or ``"last"``.

    ``01``, ``+1``, `` 1`` and a full-width ``1`` (U+FF11) are page ``"1"``; empty is the first page
    (no parameter); anything that is no page number (``abc``, ``0``) sends the
    visitor to the first page (``NotCanonical``). A number past the last page
    is the view's 404.
    """
    if not value:
        return None
    if value == "last":
        return value
    try:
        number = int(value)
    except ValueError:
        raise NotCanonical("Not a page number.") from None
    if number < 1:
        raise NotCanonical("No such page.")
    return str(number)


def canonicalisers(query_params):
    """``{name: canonical}`` from a tuple of names or such a mapping."""
    if isinstance(query_params, dict):
        return {name: canonical or keep_as_is for name, canonical in query_params.items()}
    return dict.fromkeys(query_params, keep_as_is)


def canonical_query(request, canonical_by_name):
    """Replace the request's query by its canonical form (see the module docstring).

    Returns ``(query, redirect)``: ``redirect`` is True when a value was junk
    the visitor should be sent away from, to the page with ``query``.
    """
    pairs = []
    redirect = False
    for name in sorted(canonical_by_name):
        if name in request.GET:
            try:
                value = canonical_by_name[name](request.GET[name])
            except NotCanonical:
                redirect = True
                continue
            if value is not None:
                pairs.append((name, value))
    query = urlencode(pairs)
    request.GET = QueryDict(query)
    request.META["QUERY_STRING"] = query  # for get_full_path()
    return query, redirect
