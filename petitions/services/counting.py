"""Counting: the shown count, the recent signers, and the per-country and per-member figures.

The shown count is the number of confirmed signatures (a withdrawn or
invalidated one has left that state, so it drops out by itself). It is never
kept in a shared row that every confirmation updates: that row is what
serialised the UK Parliament's petitions site in 2019. Instead the count is a
``COUNT(*)`` over the ``(petition, state)`` index, kept in the shared cache
together with the time it was taken. A request that finds it older than
``PETITION_COUNT_MAX_AGE`` seconds tries to take a lock (``cache.add``); the one
that wins recounts, every other request keeps serving the previous value
meanwhile. So whatever the traffic, the database counts at most once per
window and petition, and the shown figure is exact again after one window.

We chose a full recount over an incremental one (adding the rows confirmed
since the last refresh, by ``confirmed_at``): a delta misses withdrawals and
invalidations, which have no timestamp to follow, and rows that commit after a
later-stamped one, so it would still need a periodic full recount to converge.
An index-only count of a million rows takes some tens of milliseconds on
PostgreSQL; paid by one request every ten seconds, it does not show.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django_countries import countries

from pagecache import bump_content_version
from petitions.models import Signature


def _recent_key(petition_id):
    return f"petition:recent:{petition_id}"


def forget_recent_signers(*, petition_ids):
    """A name that left the public list (withdrawn, invalidated, hidden) is not shown a moment longer.

    Neither in the cached list of recent signers nor in a cached copy of a page.
    """
    cache.delete_many([_recent_key(petition_id) for petition_id in petition_ids])
    bump_content_version()


def get_recent_signers(*, petition, limit=10):
    """Names and country names of the newest confirmed signers who asked to be shown.

    One query on the ``(petition, state, confirmed_at)`` index, kept in the
    shared cache for the count's window so that a spike does not repeat it.
    """

    def fetch():
        rows = (
            Signature.objects.filter(petition=petition, state=Signature.State.CONFIRMED, show_name=True)
            .order_by("-confirmed_at", "-pk")
            .values_list("name", "country")[:limit]
        )
        return [{"name": name, "country": countries.name(code) if code else ""} for name, code in rows]

    max_age = settings.PETITION_COUNT_MAX_AGE
    if max_age <= 0:
        return fetch()
    return cache.get_or_set(_recent_key(petition.pk), fetch, timeout=max_age)


def _count_key(petition_id):
    return f"petition:count:{petition_id}"


def count_confirmed(*, petition_id):
    """The exact count, straight from the ``(petition, state)`` index."""
    return Signature.objects.filter(petition_id=petition_id, state=Signature.State.CONFIRMED).count()


def get_signature_count(*, petition):
    """Confirmed, non-withdrawn signatures; from the shared cache, at most PETITION_COUNT_MAX_AGE old.

    See the module docstring: one request per window recounts under a cache
    lock, the others serve the value it last stored.
    """
    petition_id = getattr(petition, "pk", petition)
    max_age = settings.PETITION_COUNT_MAX_AGE
    key = _count_key(petition_id)
    lock = f"{key}:lock"
    cached = cache.get(key)
    if cached is not None and time.time() - cached[1] < max_age:
        return cached[0]
    # Stale or missing: one request recounts. The lock expires by itself if its
    # holder dies mid-count.
    locked = cache.add(lock, 1, timeout=max(max_age, 5))
    if cached is not None and not locked:
        # Another request is recounting: serve the previous value meanwhile.
        return cached[0]
    # We hold the lock, or nothing is cached yet (cold cache): count now.
    try:
        started = time.time()
        count = count_confirmed(petition_id=petition_id)
        # Kept well beyond max_age, so a stale value can be served while one
        # request recounts.
        cache.set(key, (count, started), timeout=max(max_age * 100, 3600))
    finally:
        if locked:
            cache.delete(lock)
    return count


def count_by_country(*, petition):
    """Confirmed signatures by country, most first: one GROUP BY query, cached briefly."""
    key = f"petition:{petition.pk}:countries"
    rows = cache.get(key)
    if rows is None:
        rows = list(
            Signature.objects.filter(petition=petition, state=Signature.State.CONFIRMED)
            .values_list("country")
            .annotate(signatures=Count("pk"))
            .order_by("-signatures", "country")
        )
        cache.set(key, rows, settings.PETITION_COUNT_MAX_AGE)
    return rows


def annotate_signatures_brought(*, members):
    """Annotate ``confirmed_signatures`` on a queryset of coalition members: the confirmed signatures each brought.

    One small count per member, read from the signatures' (referrer, state) index
    alone, so it costs the same at a thousand or a million signatures (a join
    with a filtered COUNT would read every referred signature).
    """
    brought = (
        Signature.objects.filter(referrer=OuterRef("pk"), state=Signature.State.CONFIRMED)
        .order_by()
        .values("referrer")
        .annotate(n=Count("*"))
        .values("n")
    )
    return members.annotate(confirmed_signatures=Coalesce(Subquery(brought), 0))


def count_signatures_brought(*, members):
    """``{member id: confirmed signatures it brought}`` for a page of members, in one query on that index."""
    rows = (
        Signature.objects.filter(
            referrer__in=[member.pk for member in members], state=Signature.State.CONFIRMED
        )
        .order_by()
        .values_list("referrer")
        .annotate(n=Count("*"))
    )
    return dict(rows)
