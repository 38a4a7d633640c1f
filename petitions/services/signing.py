"""Signing: a pending (or suspected) signature once per normalised email, and its confirmation email."""

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError
from django.utils import timezone

from petitions.models import Signature
from petitions.services.addresses import normalise_email
from petitions.services.storing import enqueue_confirmation, insert_signature

BURST_WINDOW = 60  # seconds
SUSTAINED_WINDOW = 3600
# Past this many times the burst limit in one window, nothing is stored at all.
FLOOD_FACTOR = 10


class TooManySubmissions(Exception):
    """A flood from one client: answered 429 and stored nowhere, so it cannot fill the table."""

    def __init__(self, retry_after):
        super().__init__(f"Too many submissions; retry after {retry_after} s.")
        self.retry_after = retry_after


def _over_rate_limit(*, ip_hash):
    """Count this submission against the client's burst and sustained limits; True when over either.

    The counters live in the shared cache (``cache.add`` starts a window,
    ``cache.incr`` counts in it), so every process and machine sees them.
    Over a limit the submission is still answered like any other and stored
    as suspected; past ``FLOOD_FACTOR`` times the burst limit it raises
    ``TooManySubmissions`` instead.
    """
    if not settings.PETITION_RATE_LIMITS:
        return False
    over = False
    for name, limit, window in (
        ("burst", settings.PETITION_RATE_BURST, BURST_WINDOW),
        ("sustained", settings.PETITION_RATE_SUSTAINED, SUSTAINED_WINDOW),
    ):
        key = f"petition:rate:{name}:{ip_hash}"
        cache.add(key, 0, timeout=window)
        try:
            used = cache.incr(key)
        except ValueError:  # the window ended between add() and incr()
            cache.set(key, 1, timeout=window)
            used = 1
        if name == "burst" and used > FLOOD_FACTOR * limit:
            raise TooManySubmissions(retry_after=window)
        over = over or used > limit
    return over


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
    language="en",
):
    """Store a pending (or suspected) signature once per normalised email; enqueue the confirmation.

    A second signature with the same normalised email changes nothing and only
    resends the confirmation if the first is still pending; the caller answers
    both alike, so nobody learns whether an address has signed. ``suspicious``
    (honeypot filled, form sent too fast) and the rate limit store the
    signature as ``suspected``, with no email. ``consent_wording``: the
    petition's current wording, if the caller has it already (else it is looked
    up). ``language``: the page's language, which the signer read the consent
    wording in and gets their emails in. Returns the signature.

    Cost: one INSERT (its own transaction) and the task's enqueue after it; a
    spike of signatures is a stream of single-row inserts that never wait on
    each other (the count is not a shared row, see ``counting``).
    """
    normalised = normalise_email(email=email)
    over_limit = _over_rate_limit(ip_hash=ip_hash)
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
        language=language,
        state=state,
        created_at=now,
        ip_hash=ip_hash,
        referrer=referrer,
    )
    try:
        insert_signature(signature=signature, send_email=state == Signature.State.PENDING)
    except IntegrityError:
        existing = Signature.objects.filter(petition=petition, email_normalised=normalised).first()
        if existing is None:  # not a duplicate after all
            raise
        if state == Signature.State.PENDING:
            _take_newer_details(existing=existing, newer=signature)
        return existing
    return signature


UNCONFIRMED_STATES = [Signature.State.PENDING, Signature.State.SUSPECTED]
NEWER_DETAILS = [
    "name",
    "email",
    "country",
    "comment",
    "show_name",
    "keep_informed",
    "consent_wording",
    "consented_at",
    "language",
    "ip_hash",
    "referrer",
]


def _take_newer_details(*, existing, newer):
    """An unsuspicious later submission for an unconfirmed address replaces what the earlier one said.

    Otherwise a first submission (a bot's, or someone else's with this address)
    would decide the name, choices and comment the owner confirms, and a
    suspected one would silence the owner for weeks. A suspected row turns
    pending; the confirmation goes out, at most once per cooldown so that
    repeated submissions of someone's address cannot flood their inbox. A
    confirmed (or withdrawn, invalidated) signature is never changed here.
    """
    changed = Signature.objects.filter(pk=existing.pk, state__in=UNCONFIRMED_STATES).update(
        state=Signature.State.PENDING, **{field: getattr(newer, field) for field in NEWER_DETAILS}
    )
    if changed and cache.add(f"petition:resent:{existing.pk}", 1, timeout=settings.PETITION_RESEND_COOLDOWN):
        enqueue_confirmation(signature_id=existing.pk)
