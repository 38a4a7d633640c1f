"""Writes with side effects on petitions and signatures.

Every state change is a single conditional UPDATE, so that double clicks,
retries and concurrent requests can never count a signature twice. Emails are
enqueued with ``transaction.on_commit``.

Sections: the public flow (signing, confirming, withdrawing, counting) and the
staff tools (invalidating, clearing suspects, resending, retention).

Counting. The shown count is the number of confirmed signatures (a withdrawn
or invalidated one has left that state, so it drops out by itself). It is
never kept in a shared row that every confirmation updates: that row is what
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

Abuse. A honeypot, a too-fast form (both judged by the form) and a submission
over the per-IP rate limit are stored as ``suspected``: they get the same
answer as anyone else, no confirmation email, and no place in the count until
staff clear them (``clear_suspected``), which sends the email.
"""

import collections
import datetime
import hashlib
import hmac
import ipaddress
import os
import threading
import time
import unicodedata
from contextlib import nullcontext

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django_countries import countries

from campaign.models import Petition, Signature
from pagecache import bump_content_version

# --- Public flow -------------------------------------------------------------

# Providers that ignore dots and +tags in the local part (and their aliases).
GMAIL_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}

TOKEN_SALTS = {"confirm": "campaign.petition.confirm", "withdraw": "campaign.petition.withdraw"}


def normalise_email(email):
    """Case-fold, NFKC, and drop dots and +tags for Gmail-style providers.

    ``Jane.Doe+news@GoogleMail.com`` and ``janedoe@gmail.com`` are one person;
    ``jane.doe@example.org`` keeps its dot, since other providers may treat
    ``janedoe`` as someone else.
    """
    # NFKC before and after case-folding (Unicode's NFKC_Casefold): full-width
    # letters become ASCII and "ß" becomes "ss".
    email = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email or "").casefold()).strip()
    local, at, domain = email.rpartition("@")
    if not at:
        return email
    domain = domain.rstrip(".")
    if domain in GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = GMAIL_DOMAINS[domain]
    return f"{local}@{domain}"


def hash_ip(ip):
    """A keyed hash (HMAC with settings.IP_HASH_KEY) of a client IP address."""
    if not ip:
        return ""
    return hmac.new(settings.IP_HASH_KEY.encode(), str(ip).encode(), hashlib.sha256).hexdigest()


def _valid_ip(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(meta):
    """The client's address from ``request.META``.

    ``X-Forwarded-For`` is anyone's to write, so it is read only when
    ``PROXY_COUNT`` proxies stand in front of the site; each appends the address
    it saw, so the client is the ``PROXY_COUNT``-th entry from the right.
    """
    remote = _valid_ip(meta.get("REMOTE_ADDR", "")) or ""
    proxies = settings.PROXY_COUNT
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
        if len(entries) >= proxies:
            return _valid_ip(entries[-proxies]) or remote
    return remote


def _over_rate_limit(ip_hash):
    """Count this submission against the IP's burst and sustained limits.

    The counters live in the shared cache (``cache.add`` starts a window,
    ``cache.incr`` counts in it), so every process and machine sees them.
    """
    if not settings.PETITION_RATE_LIMITS or not ip_hash:
        return False
    over = False
    for name, limit, window in (
        ("burst", settings.PETITION_RATE_BURST, 60),
        ("sustained", settings.PETITION_RATE_SUSTAINED, 3600),
    ):
        key = f"petition:rate:{name}:{ip_hash}"
        cache.add(key, 0, timeout=window)
        try:
            used = cache.incr(key)
        except ValueError:  # the window ended between add() and incr()
            cache.set(key, 1, timeout=window)
            used = 1
        over = over or used > limit
    return over


def make_token(signature, purpose):
    """A signed token naming the signature and its petition, for one purpose."""
    return signing.dumps({"s": signature.pk, "p": signature.petition_id}, salt=TOKEN_SALTS[purpose])


def read_token(token, purpose, *, expired_ok=False):
    """``(signature_id, petition_id)`` from a token, or raise ``signing.BadSignature``.

    Confirm tokens expire after PETITION_CONFIRM_MAX_AGE_DAYS
    (``signing.SignatureExpired``, a subclass); withdraw tokens never expire, since
    a supporter may ask to be removed at any time.
    """
    expires = purpose == "confirm" and not expired_ok
    max_age = settings.PETITION_CONFIRM_MAX_AGE_DAYS * 86400 if expires else None
    data = signing.loads(token, salt=TOKEN_SALTS[purpose], max_age=max_age)
    try:
        return int(data["s"]), int(data["p"])
    except (TypeError, KeyError, ValueError):
        raise signing.BadSignature("Malformed token") from None


def enqueue_confirmation(signature_id):
    """Send the confirmation email once the current transaction commits."""
    from campaign.tasks import send_confirmation

    transaction.on_commit(lambda: send_confirmation.enqueue(signature_id))


def _tasks_kept_in_the_database():
    """True when the task queue is a table in the site's database (django-tasks-db)."""
    from django.tasks import task_backends

    try:
        from django_tasks_db.backend import DatabaseBackend
    except ImportError:  # pragma: no cover - a dependency
        return False
    return isinstance(task_backends["default"], DatabaseBackend)


def sign_petition(
    *,
    petition,
    name,
    email,
    country,
    comment,
    show_name,
    keep_informed,
    ip_hash,
    referrer,
    suspicious=False,
    consent_wording=None,
):
    """Store a pending (or suspected) signature once per normalised email; enqueue the confirmation.

    A second signature with the same normalised email changes nothing and only
    resends the confirmation if the first is still pending; the caller answers
    both alike, so nobody learns whether an address has signed. ``suspicious``
    (honeypot filled, form sent too fast) and the rate limit store the
    signature as ``suspected``, with no email. ``consent_wording``: the
    petition's current wording, if the caller has it already (else it is looked
    up). Returns the signature.

    Cost: one INSERT (its own transaction) and the task's enqueue after it; a
    spike of signatures is a stream of single-row inserts that never wait on
    each other (the count is not a shared row, see the module docstring).
    """
    normalised = normalise_email(email)
    over_limit = _over_rate_limit(ip_hash)
    state = Signature.State.SUSPECTED if (suspicious or over_limit) else Signature.State.PENDING
    if consent_wording is None:
        consent_wording = petition.consent_wordings.order_by("-version").first()
    if consent_wording is None:
        raise ValueError(f"Petition {petition.pk} has no consent wording to sign.")
    now = timezone.now()
    signature = Signature(
        petition=petition,
        name=name,
        email=email,
        email_normalised=normalised,
        country=country,
        comment=comment,
        show_name=show_name,
        keep_informed=keep_informed,
        consent_wording=consent_wording,
        consented_at=now,
        state=state,
        created_at=now,
        ip_hash=ip_hash,
        referrer=referrer,
    )
    # With the database task queue the email's task row is written in the same
    # transaction as the signature (the task exists exactly when the signature
    # does); other queues get the task once the signature commits.
    #
    # Inside a caller's transaction a savepoint keeps that transaction usable
    # after a duplicate email's IntegrityError; in autocommit mode each
    # statement is a transaction by itself and leaves nothing to roll back.
    with_task = state == Signature.State.PENDING and _tasks_kept_in_the_database()
    savepoint = transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()
    try:
        with savepoint:
            if with_task and transaction.get_connection().vendor == "postgresql":
                _insert_with_email_task(signature)
            elif with_task:
                with transaction.atomic():
                    signature.save(force_insert=True)
                    _enqueue_now(signature.pk)
            else:
                signature.save(force_insert=True)
    except IntegrityError:
        signature = Signature.objects.filter(petition=petition, email_normalised=normalised).first()
        if signature is None:  # not a duplicate after all
            raise
        # At most one resend per cooldown, so that repeated submissions of
        # someone else's address cannot flood their inbox.
        if signature.state == Signature.State.PENDING and cache.add(
            f"petition:resent:{signature.pk}", 1, timeout=settings.PETITION_RESEND_COOLDOWN
        ):
            enqueue_confirmation(signature.pk)
        return signature
    if state == Signature.State.PENDING and not with_task:
        enqueue_confirmation(signature.pk)
    return signature


def _enqueue_now(signature_id):
    from campaign.tasks import send_confirmation

    send_confirmation.enqueue(signature_id)


def _insert_with_email_task(signature):
    """PostgreSQL: the signature and its confirmation task in one INSERT statement (one round trip).

    Behaves like ``signature.save()`` followed by ``send_confirmation.enqueue()``
    in one transaction, at a fraction of the cost, which is what a signing
    spike pays for: the signature's id is taken from its sequence first (a
    block of ids at a time, see ``_next_signature_id``), then one statement (the task's INSERT in a ``WITH`` clause, the signature's as
    the main statement) writes both rows or, on a duplicate email, neither.
    Both INSERTs are compiled by Django from model instances, so defaults,
    ``auto_now_add`` and the task backend's own ``pre_save`` handler apply as
    with ``save()``. ``enqueue()``'s ``task_enqueued`` signal is sent after.
    """
    from django.db.models.signals import pre_save
    from django.tasks.signals import task_enqueued
    from django.utils.json import normalize_json
    from django_tasks_db.models import DBTaskResult

    from campaign.tasks import send_confirmation

    connection = transaction.get_connection()
    backend = send_confirmation.get_backend()
    with connection.cursor() as cursor:
        signature.pk = _next_signature_id(cursor)
        task_row = DBTaskResult(
            id=backend._get_id(),
            args_kwargs=normalize_json({"args": [signature.pk], "kwargs": {}}),
            priority=send_confirmation.priority,
            task_path=send_confirmation.module_path,
            queue_name=send_confirmation.queue_name,
            run_after=send_confirmation.run_after,
            backend_name=backend.alias,
        )
        pre_save.send(DBTaskResult, instance=task_row, raw=False, using=connection.alias, update_fields=None)
        task_sql, task_params = _compiled_insert(task_row, connection)
        signature_sql, signature_params = _compiled_insert(signature, connection)
        cursor.execute(f"WITH email_task AS ({task_sql}) {signature_sql}", (*task_params, *signature_params))
    for row in (signature, task_row):
        row._state.adding = False
        row._state.db = connection.alias
    task_enqueued.send(type(backend), task_result=task_row.task_result)


# Signature ids this process has taken from the sequence and not used yet.
SIGNATURE_ID_BLOCK = 50
_signature_ids = {"pid": None, "ids": collections.deque()}
_signature_ids_lock = threading.Lock()


def _next_signature_id(cursor):
    """The next id from this process's block, taking ``SIGNATURE_ID_BLOCK`` new ones from the sequence when empty.

    A sequence never hands out a value twice, so blocks never overlap; ids
    left unused when a process ends are only a gap in the numbering. Ids are
    not in time order across processes (``created_at`` is). A forked child
    starts with an empty block of its own.
    """
    with _signature_ids_lock:
        if _signature_ids["pid"] != os.getpid():
            _signature_ids.update(pid=os.getpid(), ids=collections.deque())
        ids = _signature_ids["ids"]
        if not ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Signature._meta.db_table, SIGNATURE_ID_BLOCK],
            )
            ids.extend(row[0] for row in cursor.fetchall())
        return ids.popleft()


def _compiled_insert(instance, connection):
    """``INSERT … VALUES …`` for every concrete field of an unsaved instance, as Django would write it."""
    from django.db.models.sql import InsertQuery

    query = InsertQuery(type(instance))
    query.insert_values(type(instance)._meta.concrete_fields, [instance])
    ((sql, params),) = query.get_compiler(connection=connection).as_sql()
    return sql, params


def confirm_signature(*, signature_id, petition_id=None):
    """pending → confirmed; idempotent. Returns True if this call confirmed it.

    ``petition_id``: confirm only if the signature belongs to that petition.
    One ``UPDATE … WHERE state = 'pending'``, written out rather than built by
    the ORM: a confirmation spike runs it hundreds of times a second.
    """
    meta = Signature._meta
    column = {name: meta.get_field(name).column for name in ("id", "petition", "state", "confirmed_at")}
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {quote(column['state'])} = %s, {quote(column['confirmed_at'])} = %s "
        f"WHERE {quote(column['id'])} = %s AND {quote(column['state'])} = %s"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [Signature.State.CONFIRMED, now, signature_id, Signature.State.PENDING]
    if petition_id is not None:
        sql += f" AND {quote(column['petition'])} = %s"
        params.append(petition_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


def withdraw_signature(*, signature_id):
    """pending|confirmed|suspected → withdrawn, erasing the personal data.

    The normalised email becomes ``withdrawn-<id>``, so the unique constraint
    lets the same person sign again later. Returns True if this call withdrew it.
    """
    withdrawable = Signature.objects.filter(
        pk=signature_id,
        state__in=[Signature.State.PENDING, Signature.State.CONFIRMED, Signature.State.SUSPECTED],
    )
    petition_id = withdrawable.values_list("petition_id", flat=True).first()
    changed = withdrawable.update(
        state=Signature.State.WITHDRAWN,
        withdrawn_at=timezone.now(),
        name="",
        email="",
        email_normalised=f"withdrawn-{signature_id}",
        comment="",
        ip_hash="",
        show_name=False,
        keep_informed=False,
        country="",
    )
    if changed and petition_id is not None:
        # The name may be among the recent signers: do not show it a moment longer,
        # neither in the cached list nor in a cached copy of the page.
        cache.delete(_recent_key(petition_id))
        bump_content_version()
    return changed == 1


def _recent_key(petition_id):
    return f"petition:recent:{petition_id}"


def get_recent_signers(petition, limit=10):
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


def count_confirmed(petition_id):
    """The exact count, straight from the ``(petition, state)`` index."""
    return Signature.objects.filter(petition_id=petition_id, state=Signature.State.CONFIRMED).count()


def get_signature_count(petition):
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
        count = count_confirmed(petition_id)
        # Kept well beyond max_age, so a stale value can be served while one
        # request recounts.
        cache.set(key, (count, started), timeout=max(max_age * 100, 3600))
    finally:
        if locked:
            cache.delete(lock)
    return count


# --- Staff tools ----------------------------------------------------------------
INVALIDATABLE_STATES = [
    Signature.State.PENDING,
    Signature.State.CONFIRMED,
    Signature.State.SUSPECTED,
]


def _enqueue_confirmations(signature_ids):
    for signature_id in signature_ids:
        enqueue_confirmation(signature_id)


def invalidate_signatures(*, queryset):
    """pending|confirmed|suspected → invalidated. Returns how many changed."""
    # Re-select by primary key: the admin may hand over a sliced or distinct queryset.
    ids = queryset.filter(state__in=INVALIDATABLE_STATES).values("pk")
    changed = Signature.objects.filter(pk__in=ids, state__in=INVALIDATABLE_STATES)
    petition_ids = set(changed.values_list("petition_id", flat=True).distinct())
    count = changed.update(state=Signature.State.INVALIDATED)
    # An invalidated name leaves the public list of recent signers at once.
    if count:
        cache.delete_many([_recent_key(petition_id) for petition_id in petition_ids])
        bump_content_version()
    return count


def clear_suspected(*, queryset):
    """suspected → pending (staff judged them genuine); their confirmation is then sent.

    Returns how many were cleared. Only the rows this call changed get an email, so two
    staff members clearing the same signatures at once send one email each, not two.
    """
    with transaction.atomic():
        ids = list(
            Signature.objects.select_for_update()
            .filter(pk__in=queryset.values("pk"), state=Signature.State.SUSPECTED)
            .values_list("pk", flat=True)
        )
        cleared = Signature.objects.filter(pk__in=ids, state=Signature.State.SUSPECTED).update(
            state=Signature.State.PENDING
        )
        _enqueue_confirmations(ids)
    return cleared


def resend_confirmations(*, queryset):
    """Enqueue the confirmation email again for pending signatures. Returns how many."""
    with transaction.atomic():
        ids = list(queryset.filter(state=Signature.State.PENDING).values_list("pk", flat=True))
        _enqueue_confirmations(ids)
    return len(ids)


def signatures_matching(
    *, petition=None, ip_hash=None, email_domain=None, created_from=None, created_to=None
):
    """Signatures matching staff's bulk criteria (at least one besides the petition).

    ``email_domain`` matches the end of the email (as typed or normalised), case-insensitively;
    ``created_from`` is inclusive and ``created_to`` exclusive.
    """
    if not (ip_hash or email_domain or created_from or created_to):
        raise ValueError("Give an IP hash, an email domain or a time range.")
    queryset = Signature.objects.all()
    if petition is not None:
        queryset = queryset.filter(petition=petition)
    if ip_hash:
        queryset = queryset.filter(ip_hash=ip_hash.strip())
    if email_domain:
        domain = "@" + email_domain.strip().lstrip("@").lower()
        queryset = queryset.filter(Q(email_normalised__iendswith=domain) | Q(email__iendswith=domain))
    if created_from:
        queryset = queryset.filter(created_at__gte=created_from)
    if created_to:
        queryset = queryset.filter(created_at__lt=created_to)
    return queryset


def invalidate_matching(
    *, petition=None, ip_hash=None, email_domain=None, created_from=None, created_to=None
):
    """Bulk invalidation by IP hash, email domain and/or time range. Returns how many changed."""
    return invalidate_signatures(
        queryset=signatures_matching(
            petition=petition,
            ip_hash=ip_hash,
            email_domain=email_domain,
            created_from=created_from,
            created_to=created_to,
        )
    )


def _anonymised_marker():
    return Concat(Value("anonymised-"), Cast("pk", output_field=CharField()), output_field=CharField())


def signatures_to_purge(*, now=None):
    """The querysets retention acts on: ``{"deleted_pending", "deleted_suspected", "anonymised"}``.

    Nothing is changed. A pending signature is stale once it was made and its last
    confirmation email went out (a staff resend, a cleared suspicion) more than
    PETITION_PENDING_RETENTION_DAYS ago, so a link just sent never points at a
    deleted signature.
    """
    now = now or timezone.now()
    days = datetime.timedelta(days=1)
    pending_cutoff = now - settings.PETITION_PENDING_RETENTION_DAYS * days
    suspected_cutoff = now - settings.PETITION_SUSPECTED_RETENTION_DAYS * days
    closed_cutoff = now - settings.PETITION_CLOSED_RETENTION_DAYS * days

    # created_at first: the (state, created_at) index finds the candidates.
    stale_pending = Signature.objects.filter(
        Q(confirmation_sent_at__isnull=True) | Q(confirmation_sent_at__lt=pending_cutoff),
        state=Signature.State.PENDING,
        created_at__lt=pending_cutoff,
    )
    stale_suspected = Signature.objects.filter(
        state=Signature.State.SUSPECTED, created_at__lt=suspected_cutoff
    )
    # A petition's signatures are kept while it runs and for the retention period after it
    # closes; the closing time is what counts, whatever state staff have set since.
    long_closed = Petition.objects.exclude(state=Petition.State.DRAFT).filter(closes_at__lt=closed_cutoff)
    to_anonymise = (
        Signature.objects.filter(petition__in=long_closed)
        .exclude(pk__in=stale_pending.values("pk"))
        .exclude(pk__in=stale_suspected.values("pk"))
        .exclude(email_normalised=_anonymised_marker())
    )
    return {
        "deleted_pending": stale_pending,
        "deleted_suspected": stale_suspected,
        "anonymised": to_anonymise,
    }


def purge_signatures(*, now=None):
    """Retention: delete stale pending and suspected signatures, anonymise those of long-closed petitions.

    Pending signatures are deleted PETITION_PENDING_RETENTION_DAYS after they were made and
    their last confirmation email went out, suspected ones (never emailed, never cleared by
    staff) PETITION_SUSPECTED_RETENTION_DAYS after they were made: neither ever counted.
    Signatures of petitions that closed more than PETITION_CLOSED_RETENTION_DAYS ago
    lose their personal data (name, email, comment, IP hash, opt-ins) but keep petition, state,
    country, referrer and times, so every count and aggregate stays the same. Running it again
    changes nothing more. Returns ``{"deleted_pending": n, "deleted_suspected": s, "anonymised": m}``.
    """
    with transaction.atomic():
        querysets = signatures_to_purge(now=now)
        deleted, _ = querysets["deleted_pending"].delete()
        deleted_suspected, _ = querysets["deleted_suspected"].delete()
        anonymised = querysets["anonymised"].update(
            name="",
            email="",
            email_normalised=_anonymised_marker(),
            comment="",
            ip_hash="",
            show_name=False,
            keep_informed=False,
        )
    return {"deleted_pending": deleted, "deleted_suspected": deleted_suspected, "anonymised": anonymised}
