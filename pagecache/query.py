"""Query strings: only the parameters a view reads are part of the key.

Only the parameters a view names in ``query_params`` are part of the key; the
view sees only those (others, such as ``utm_source``, are dropped from
``request.GET`` and ``get_full_path()`` before the view runs), so tracking
parameters can neither fill the cache with copies of one page nor leak one
visitor's link into the copy others get.
"""

from urllib.parse import urlencode

from django.http import QueryDict


def canonical_query(request, allowed):
    """Replace the request's query by the named parameters alone, sorted; return it."""
    pairs = [(name, value) for name in sorted(allowed) for value in request.GET.getlist(name)]
    query = urlencode(pairs)
    request.GET = QueryDict(query)
    request.META["QUERY_STRING"] = query  # for get_full_path()
    return query
