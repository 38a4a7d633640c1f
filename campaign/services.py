"""Writes with side effects on petitions and signatures.

Every state change is a single conditional UPDATE, so that double clicks,
retries and concurrent requests can never count a signature twice. Emails are
enqueued with ``transaction.on_commit``.

Sections: the public flow (signing, confirming, withdrawing, counting) and the
staff tools (invalidating, clearing suspects, resending, retention).
"""

# --- Public flow -------------------------------------------------------------


def normalise_email(email):
    """Case-fold, NFKC, and drop dots and +tags for Gmail-style providers."""
    raise NotImplementedError


def hash_ip(ip):
    """A keyed hash (HMAC with settings.IP_HASH_KEY) of a client IP address."""
    raise NotImplementedError


def sign_petition(*, petition, name, email, country, comment, show_name, keep_informed, ip_hash, referrer):
    """Store a pending (or suspected) signature once per normalised email; enqueue the confirmation."""
    raise NotImplementedError


def confirm_signature(*, signature_id):
    """pending → confirmed; idempotent. Returns True if this call confirmed it."""
    raise NotImplementedError


def withdraw_signature(*, signature_id):
    """pending|confirmed|suspected → withdrawn, erasing the personal data."""
    raise NotImplementedError


def get_signature_count(petition):
    """Confirmed, non-withdrawn signatures; from the shared cache, at most PETITION_COUNT_MAX_AGE old."""
    raise NotImplementedError


# --- Staff tools ----------------------------------------------------------------
# Imports for this section live here so that the two halves of the module merge cleanly.
import datetime as _dt  # noqa: E402

from django.conf import settings as _settings  # noqa: E402
from django.db import transaction as _transaction  # noqa: E402
from django.db.models import CharField as _CharField  # noqa: E402
from django.db.models import Q as _Q  # noqa: E402
from django.db.models import Value as _Value  # noqa: E402
from django.db.models.functions import Cast as _Cast  # noqa: E402
from django.db.models.functions import Concat as _Concat  # noqa: E402
from django.utils import timezone as _timezone  # noqa: E402

from campaign.models import Petition as _Petition  # noqa: E402
from campaign.models import Signature as _Signature  # noqa: E402

INVALIDATABLE_STATES = [
    _Signature.State.PENDING,
    _Signature.State.CONFIRMED,
    _Signature.State.SUSPECTED,
]


def _enqueue_confirmations(signature_ids):
    """After commit, enqueue one confirmation email per signature."""
    # Imported here: the task module imports services for the email's tokens.
    from campaign.tasks import send_confirmation

    def enqueue():
        for signature_id in signature_ids:
            send_confirmation.enqueue(signature_id)

    if signature_ids:
        _transaction.on_commit(enqueue)


def invalidate_signatures(*, queryset):
    """pending|confirmed|suspected → invalidated. Returns how many changed."""
    # Re-select by primary key: the admin may hand over a sliced or distinct queryset.
    ids = queryset.filter(state__in=INVALIDATABLE_STATES).values("pk")
    return _Signature.objects.filter(pk__in=ids, state__in=INVALIDATABLE_STATES).update(
        state=_Signature.State.INVALIDATED
    )


def clear_suspected(*, queryset):
    """suspected → pending (staff judged them genuine); their confirmation is then sent.

    Returns how many were cleared. Only the rows this call changed get an email, so two
    staff members clearing the same signatures at once send one email each, not two.
    """
    with _transaction.atomic():
        ids = list(
            _Signature.objects.select_for_update()
            .filter(pk__in=queryset.values("pk"), state=_Signature.State.SUSPECTED)
            .values_list("pk", flat=True)
        )
        cleared = _Signature.objects.filter(pk__in=ids, state=_Signature.State.SUSPECTED).update(
            state=_Signature.State.PENDING
        )
        _enqueue_confirmations(ids)
    return cleared


def resend_confirmations(*, queryset):
    """Enqueue the confirmation email again for pending signatures. Returns how many."""
    with _transaction.atomic():
        ids = list(queryset.filter(state=_Signature.State.PENDING).values_list("pk", flat=True))
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
    queryset = _Signature.objects.all()
    if petition is not None:
        queryset = queryset.filter(petition=petition)
    if ip_hash:
        queryset = queryset.filter(ip_hash=ip_hash.strip())
    if email_domain:
        domain = "@" + email_domain.strip().lstrip("@").lower()
        queryset = queryset.filter(_Q(email_normalised__iendswith=domain) | _Q(email__iendswith=domain))
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
    return _Concat(_Value("anonymised-"), _Cast("pk", output_field=_CharField()), output_field=_CharField())


def signatures_to_purge(*, now=None):
    """The two querysets retention acts on: (stale pending, to anonymise). Nothing is changed."""
    now = now or _timezone.now()
    pending_cutoff = now - _dt.timedelta(days=_settings.PETITION_PENDING_RETENTION_DAYS)
    closed_cutoff = now - _dt.timedelta(days=_settings.PETITION_CLOSED_RETENTION_DAYS)

    stale_pending = _Signature.objects.filter(state=_Signature.State.PENDING, created_at__lt=pending_cutoff)
    # A petition's signatures are kept while it runs and for the retention period after it
    # closes; the closing time is what counts, whatever state staff have set since.
    long_closed = _Petition.objects.exclude(state=_Petition.State.DRAFT).filter(closes_at__lt=closed_cutoff)
    to_anonymise = (
        _Signature.objects.filter(petition__in=long_closed)
        .exclude(pk__in=stale_pending.values("pk"))
        .exclude(email_normalised=_anonymised_marker())
    )
    return stale_pending, to_anonymise


def purge_signatures(*, now=None):
    """Retention: delete stale pending signatures, anonymise those of long-closed petitions.

    Pending signatures older than PETITION_PENDING_RETENTION_DAYS are deleted (they never
    counted). Signatures of petitions that closed more than PETITION_CLOSED_RETENTION_DAYS ago
    lose their personal data (name, email, comment, IP hash, opt-ins) but keep petition, state,
    country, referrer and times, so every count and aggregate stays the same. Running it again
    changes nothing more. Returns ``{"deleted_pending": n, "anonymised": m}``.
    """
    with _transaction.atomic():
        stale_pending, to_anonymise = signatures_to_purge(now=now)
        deleted, _ = stale_pending.delete()
        anonymised = to_anonymise.update(
            name="",
            email="",
            email_normalised=_anonymised_marker(),
            comment="",
            ip_hash="",
            show_name=False,
            keep_informed=False,
        )
    return {"deleted_pending": deleted, "anonymised": anonymised}
