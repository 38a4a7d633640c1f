"""The tally of confirmed signatures behind the figures: per petition, hour or day, country and member.

Why a journal and a fold, not an upsert per confirmation. The obvious way to keep
the tally is ``INSERT … ON CONFLICT DO UPDATE SET signatures = signatures + 1`` in
the confirming transaction. But during a spike most confirmations share one key
(this hour, the country most signers come from, no member), so every one of them
would update the same row and wait for the previous one to commit: the shared
counter row that serialised the UK Parliament's petitions site in 2019, which
``counting`` was built to avoid. So a state change only *appends* a row to
``TallyChange`` (+1 when a signature is confirmed, -1 when a confirmed one is
withdrawn or invalidated): on PostgreSQL in the confirming ``UPDATE``'s own
statement (a ``WITH … RETURNING`` clause), so a confirmation is still one
statement; elsewhere in the same transaction. Nobody updates a journal row, so
confirmations never wait on each other.

Whoever reads the figures first in a ``PETITION_COUNT_MAX_AGE`` window folds the
journal into ``SignatureTally`` (``fold_if_due``): one ``DELETE … RETURNING`` of
the journal and one upsert per key, in one transaction. Two folds at once
cannot count a change twice: the journal row a ``DELETE`` returned is gone for
the other. The figures therefore lag by at most one window, like the count.

``rebuild_tally`` recounts from the signatures themselves (the data migration,
``manage.py rebuild_signature_tally``, the bench's bulk loader); on PostgreSQL it
locks the journal for the moment it takes, so no change is lost or counted twice.

A period is an hour during a petition's first ``HOURLY_DAYS`` days (from its
``opens_at``), a day after that, in the site's time zone (``TIME_ZONE``).
"""

import datetime
import zoneinfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncHour
from django.utils.dateparse import parse_datetime

from petitions.models import Petition, Signature, SignatureTally, TallyChange

HOURLY_DAYS = 3
FOLD_LOCK = "petition:tally:folded"


def site_zone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def period_of(*, confirmed_at, opens_at):
    """``(start, hours)`` of the period a confirmation falls in: its hour early on, its day after."""
    local = confirmed_at.astimezone(site_zone())
    if opens_at is not None and confirmed_at < opens_at + datetime.timedelta(days=HOURLY_DAYS):
        return local.replace(minute=0, second=0, microsecond=0), 1
    return local.replace(hour=0, minute=0, second=0, microsecond=0), 24


def record_changes(*, signatures, change):
    """Journal ``change`` (+1 or -1) for each ``{petition_id, confirmed_at, country, referrer_id}``."""
    TallyChange.objects.bulk_create(
        TallyChange(
            petition_id=row["petition_id"],
            confirmed_at=row["confirmed_at"] or row.get("created_at"),
            country=str(row["country"] or ""),
            referrer_pk=row["referrer_id"] or 0,
            change=change,
        )
        for row in signatures
    )


# What record_changes needs of a signature, for ``.values(*TALLY_FIELDS)``.
TALLY_FIELDS = ("petition_id", "confirmed_at", "created_at", "country", "referrer_id", "state")


def _journal_insert(select_from):
    """``INSERT INTO`` the journal the +1 rows of the signatures ``select_from`` (a table or CTE) names."""
    signature, change = Signature._meta, TallyChange._meta
    quote = connection.ops.quote_name
    column = {
        name: quote(signature.get_field(name).column) for name in ("petition", "confirmed_at", "country")
    }
    column["referrer"] = quote(signature.get_field("referrer").column)
    targets = ", ".join(quote(c) for c in ("petition_id", "confirmed_at", "country", "referrer_pk", "change"))
    return (
        f"INSERT INTO {quote(change.db_table)} ({targets}) "
        f"SELECT {column['petition']}, {column['confirmed_at']}, {column['country']}, "
        f"COALESCE({column['referrer']}, 0), 1 FROM {select_from}"
    )


def record_confirmation_sql(update_sql):
    """On PostgreSQL: ``update_sql`` (an UPDATE of signatures) and its +1 journal rows as one statement.

    The statement's row count is the number of signatures it confirmed.
    """
    signature = Signature._meta
    quote = connection.ops.quote_name
    returning = ", ".join(
        quote(signature.get_field(name).column)
        for name in ("petition", "confirmed_at", "country", "referrer")
    )
    return f"WITH confirmed AS ({update_sql} RETURNING {returning}) {_journal_insert('confirmed')}"


def record_confirmation_of(*, signature_id):
    """The +1 journal row of a signature just confirmed, in one ``INSERT … SELECT`` (within its transaction)."""
    quote = connection.ops.quote_name
    table = quote(Signature._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"{_journal_insert(table)} WHERE {quote('id')} = %s", [signature_id])


def _as_datetime(value):
    if isinstance(value, str):
        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value


def _upsert(sums):
    """Add ``{(petition_id, start, hours, country, referrer_pk): n}`` to the tally rows."""
    if not sums:
        return
    quote = connection.ops.quote_name
    table = quote(SignatureTally._meta.db_table)
    key = ", ".join(quote(c) for c in ("petition_id", "period_start", "hours", "country", "referrer_pk"))
    sql = (
        f"INSERT INTO {table} ({key}, {quote('signatures')}) VALUES (%s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT ({key}) DO UPDATE SET {quote('signatures')} = "
        f"{table}.{quote('signatures')} + excluded.{quote('signatures')}"
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        (petition_id, adapt(start), hours, country, referrer_pk, n)
        for (petition_id, start, hours, country, referrer_pk), n in sums.items()
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def fold_changes():
    """Move every journal row into the tally, in one transaction. Returns how many rows it moved."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in ("petition_id", "confirmed_at", "country", "referrer_pk", "change"))
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {quote(TallyChange._meta.db_table)} RETURNING {columns}")
            rows = cursor.fetchall()
        if not rows:
            return 0
        opens = dict(Petition.objects.filter(pk__in={row[0] for row in rows}).values_list("pk", "opens_at"))
        sums = {}
        for petition_id, confirmed_at, country, referrer_pk, change in rows:
            start, hours = period_of(confirmed_at=_as_datetime(confirmed_at), opens_at=opens.get(petition_id))
            key = (petition_id, start, hours, country, referrer_pk)
            sums[key] = sums.get(key, 0) + change
        _upsert({key: n for key, n in sums.items() if n})
    return len(rows)


def fold_if_due():
    """Fold the journal at most once per ``PETITION_COUNT_MAX_AGE`` window, whoever asks first."""
    max_age = settings.PETITION_COUNT_MAX_AGE
    if max_age <= 0 or cache.add(FOLD_LOCK, 1, timeout=max_age):
        fold_changes()


def rebuild_tally(*, petition_ids=None, signature_model=Signature, tally_model=SignatureTally):
    """Recount the tally of the given petitions (all if None) from their confirmed signatures.

    Drops their journal rows too: the recount includes every change committed before it. The
    model arguments let the data migration run it with its historical models. Returns the
    number of tally rows written.
    """
    change_model = tally_model._meta.apps.get_model("petitions", "TallyChange")
    petition_model = tally_model._meta.apps.get_model("petitions", "Petition")
    zone = site_zone()
    with transaction.atomic():
        changes = change_model.objects.all()
        if connection.vendor == "postgresql":
            # Waits for changes being written, and holds new ones back until the recount commits.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {connection.ops.quote_name(change_model._meta.db_table)} IN EXCLUSIVE MODE"
                )
        petitions = petition_model.objects.all()
        if petition_ids is not None:
            petitions = petitions.filter(pk__in=petition_ids)
            changes = changes.filter(petition_id__in=petition_ids)
        # First a write: on SQLite it takes the database's write lock before anything is read.
        changes.delete()
        tally = tally_model.objects.all()
        if petition_ids is not None:
            tally = tally.filter(petition_id__in=petition_ids)
        tally.delete()
        written = 0
        for petition in petitions.only("pk", "opens_at"):
            confirmed = signature_model.objects.filter(petition_id=petition.pk, state="confirmed").annotate(
                at=Coalesce(F("confirmed_at"), F("created_at"))
            )
            cutoff = petition.opens_at + datetime.timedelta(days=HOURLY_DAYS)
            parts = [
                (confirmed.filter(at__lt=cutoff), TruncHour("at", tzinfo=zone), 1),
                (confirmed.filter(at__gte=cutoff), TruncDay("at", tzinfo=zone), 24),
            ]
            rows = []
            for queryset, period, hours in parts:
                grouped = (
                    queryset.annotate(start=period)
                    .order_by()
                    .values_list("start", "country", "referrer_id")
                    .annotate(n=Count("*"))
                )
                rows += [
                    tally_model(
                        petition_id=petition.pk,
                        period_start=start,
                        hours=hours,
                        country=country or "",
                        referrer_pk=referrer_id or 0,
                        signatures=n,
                    )
                    for start, country, referrer_id, n in grouped
                ]
            tally_model.objects.bulk_create(rows, batch_size=2000)
            written += len(rows)
    return written


# Reading ------------------------------------------------------------------------------------


def _by_day(periods):
    days = {}
    for start, _hours, n in periods:
        day = start.astimezone(site_zone()).date()
        days[day] = days.get(day, 0) + n
    return _with_gaps(days, datetime.timedelta(days=1))


def _by_hour(periods):
    hours = {start.astimezone(site_zone()): n for start, span, n in periods if span == 1}
    return _with_gaps(hours, datetime.timedelta(hours=1))


def _with_gaps(values, step):
    """``[(key, n)]`` from the first key to the last, every step, a missing one as 0."""
    values = {key: n for key, n in values.items() if n}
    if not values:
        return []
    key, last, out = min(values), max(values), []
    while key <= last:
        out.append((key, values.get(key, 0)))
        key += step
    return out


def _figures(rows):
    """Figures from tally rows ``(start, hours, country, n)`` already filtered to one petition (and member)."""
    periods, countries = {}, {}
    for start, hours, country, n in rows:
        periods[start, hours] = periods.get((start, hours), 0) + n
        countries[country] = countries.get(country, 0) + n
    period_rows = [(start, hours, n) for (start, hours), n in sorted(periods.items())]
    by_country = sorted(((code, n) for code, n in countries.items() if n), key=lambda row: (-row[1], row[0]))
    return {
        "total": sum(n for _, n in by_country),
        "by_day": _by_day(period_rows),
        "by_hour": _by_hour(period_rows),
        "by_country": by_country,
    }


def _grouped(queryset):
    return list(
        queryset.order_by()
        .values_list("period_start", "hours", "country")
        .annotate(n=Sum("signatures"))
        .values_list("period_start", "hours", "country", "n")
    )


def get_petition_figures(*, petition):
    """A petition's confirmed signatures: ``total``, ``by_day``, ``by_hour`` (first days), ``by_country``.

    One GROUP BY over the tally, kept in the shared cache for the count's window.
    """
    petition_id = getattr(petition, "pk", petition)
    key = f"petition:figures:{petition_id}"
    figures = cache.get(key)
    if figures is None:
        fold_if_due()
        figures = _figures(_grouped(SignatureTally.objects.filter(petition_id=petition_id)))
        cache.set(key, figures, settings.PETITION_COUNT_MAX_AGE)
    return figures


def get_member_figures(*, member_id, petitions):
    """``[(petition, figures)]``: what one member brought to each of ``petitions`` that it brought any to."""
    fold_if_due()
    rows = (
        SignatureTally.objects.filter(referrer_pk=member_id, petition__in=petitions)
        .order_by()
        .values_list("petition_id", "period_start", "hours", "country")
        .annotate(n=Sum("signatures"))
        .values_list("petition_id", "period_start", "hours", "country", "n")
    )
    by_petition = {}
    for petition_id, *row in rows:
        by_petition.setdefault(petition_id, []).append(row)
    out = []
    for petition in petitions:
        figures = _figures(by_petition.get(petition.pk, []))
        if figures["total"]:
            out.append((petition, figures))
    return out


def get_signatures_brought(*, petition):
    """``[(member id, n)]`` most first: the confirmed signatures each member brought to a petition."""
    fold_if_due()
    rows = (
        SignatureTally.objects.filter(petition=petition, referrer_pk__gt=0)
        .order_by()
        .values_list("referrer_pk")
        .annotate(n=Sum("signatures"))
    )
    return sorted(((pk, n) for pk, n in rows if n > 0), key=lambda row: (-row[1], row[0]))


def forget_members(*, member_ids):
    """Deleted members: the signatures they brought now count as brought by no member.

    As the signatures' own referrer becomes empty (``on_delete=SET_NULL``), their tally rows
    move to ``referrer_pk`` 0, so the tally keeps matching the signatures.
    """
    member_ids = [pk for pk in member_ids if pk]
    if not member_ids:
        return
    with transaction.atomic():
        fold_changes()
        rows = SignatureTally.objects.filter(referrer_pk__in=member_ids)
        sums = {}
        for petition_id, start, hours, country, n in rows.values_list(
            "petition_id", "period_start", "hours", "country", "signatures"
        ):
            key = (petition_id, start, hours, country, 0)
            sums[key] = sums.get(key, 0) + n
        rows.delete()
        _upsert({key: n for key, n in sums.items() if n})
