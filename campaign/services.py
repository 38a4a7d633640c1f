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


def invalidate_signatures(*, queryset):
    """pending|confirmed|suspected → invalidated. Returns how many changed."""
    raise NotImplementedError


def clear_suspected(*, queryset):
    """suspected → pending (staff judged them genuine); their confirmation is then sent."""
    raise NotImplementedError


def resend_confirmations(*, queryset):
    """Enqueue the confirmation email again for pending signatures. Returns how many."""
    raise NotImplementedError


def purge_signatures(*, now=None):
    """Retention: delete stale pending signatures, anonymise those of long-closed petitions."""
    raise NotImplementedError
