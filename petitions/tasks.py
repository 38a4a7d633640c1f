"""Background work: the confirmation email and updates to supporters.

Run by ``django.tasks`` (immediately in development, by ``manage.py db_worker``
with the database backend in production).

A mail server that is down or refuses the message does not lose the email:
with a backend that can defer work (the database backend) the task enqueues
itself again with a growing delay (``RETRY_DELAYS``), for at most
``MAX_ATTEMPTS`` attempts in all; then it logs an error and gives up. The
signature stays pending throughout, so staff can still resend from the admin.
The immediate backend cannot defer, so there the failure is logged and recorded
once and nothing loops or sleeps.

A task may run twice: a worker killed mid-task leaves it "running", and
``manage.py reap_tasks`` queues it again. Each task carries the time its email
was asked for (``requested_at``), and claims the send before making it: one
conditional UPDATE stamps ``confirmation_sent_at`` only if no email went out
(or was claimed) for this signature since then. A re-run task finds the claim
and sends nothing, so one request never yields two emails. The price: a worker
killed between the claim and the send loses that one email (at most once, not
at least once); the signature stays pending and staff's resend asks anew. A
failed send gives its claim back, so the retry sends. A later request (signing
again, staff's resend) asks anew, so it still sends.

Updates (``send_update_batch``) go out at most ``UPDATE_SEND_RATE`` a minute: each run
sends one batch of queued deliveries and enqueues the next run for when the rate allows.
Each delivery is claimed by one conditional UPDATE (queued → sending) before its email is
handed to the mail server, so two workers never send the same one; a worker killed between
the hand-over and recording "sent" leaves the row "sending", and once that claim is older
than ``STALE_CLAIM`` the next run marks it failed ("interrupted") rather than risk sending
twice. Everything else resumes where it stopped.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from petitions.mail import absolute_url as _absolute
from petitions.mail import scrub_mail_error
from petitions.models import Signature, UpdateDelivery
from petitions.update_mail import (
    BATCH_SECONDS,
    STALE_CLAIM,
    TRANSIENT_RETRY,
    deliver_update_batch,
    update_batch_size,
)

logger = logging.getLogger(__name__)

# The wait before attempt 2, 3, … (after attempt 1, 2, … failed).
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def confirmation_request():
    """The keyword arguments of a new request for the email: when it was asked for."""
    return {"requested_at": timezone.now().isoformat()}


def _already_sent(signature, requested_at):
    """True when an email went out to this signature after `requested_at` (a re-run task)."""
    sent_at = signature.confirmation_sent_at
    return bool(requested_at) and sent_at is not None and sent_at >= parse_datetime(requested_at)


def _claim(signature, requested_at, sent_at):
    """Stamp `sent_at` before the send, only if no send was made or claimed since `requested_at`.

    One conditional UPDATE, so of two runs of one task (a reaped one and its original, or two
    workers) exactly one wins and sends. Without `requested_at` (tasks queued before it existed),
    the claim only requires the stamp to be unchanged since the signature was read.
    """
    rows = Signature.objects.filter(pk=signature.pk, state=Signature.State.PENDING)
    if requested_at:
        rows = rows.filter(
            Q(confirmation_sent_at__isnull=True) | Q(confirmation_sent_at__lt=parse_datetime(requested_at))
        )
    elif signature.confirmation_sent_at is None:
        rows = rows.filter(confirmation_sent_at__isnull=True)
    else:
        rows = rows.filter(confirmation_sent_at=signature.confirmation_sent_at)
    return rows.update(confirmation_sent_at=sent_at) == 1


def _retry_later(signature_id, attempt, error, requested_at):
    """Enqueue the next attempt after a failed send, if the backend can wait and attempts remain."""
    if attempt >= MAX_ATTEMPTS:
        logger.error(
            "Confirmation email for signature %s failed %s times (last: %s); giving up. "
            "The signature stays pending: staff can resend it from the admin.",
            signature_id,
            attempt,
            error,
        )
        return None
    if not send_confirmation.get_backend().supports_defer:
        logger.error(
            "Confirmation email for signature %s failed (%s); this task backend cannot retry later. "
            "The signature stays pending: staff can resend it from the admin.",
            signature_id,
            error,
        )
        return None
    run_after = timezone.now() + RETRY_DELAYS[attempt - 1]
    retry = send_confirmation.using(run_after=run_after).enqueue(
        signature_id, attempt=attempt + 1, requested_at=requested_at
    )
    logger.warning(
        "Confirmation email for signature %s failed (attempt %s of %s: %s); retrying after %s.",
        signature_id,
        attempt,
        MAX_ATTEMPTS,
        error,
        run_after.isoformat(),
    )
    return retry


@task
def send_confirmation(signature_id, attempt=1, requested_at=None):
    """Email a pending signer the links to confirm or withdraw their signature.

    Returns False (and sends nothing) when the signature is no longer pending,
    or when an email already went out to it since `requested_at` (an ISO time).
    When the mail server fails (``smtplib.SMTPException``, refused connections and
    timeouts are all ``OSError``), the next attempt is scheduled and the error is
    raised again, so the task backend records this attempt as failed with its
    traceback. The signature stays pending.
    """
    from petitions.services.tokens import make_token

    sent_at = timezone.now()  # no later than the links' own timestamps
    signature = (
        Signature.objects.select_related("petition")
        .filter(pk=signature_id, state=Signature.State.PENDING)
        .first()
    )
    if signature is None:
        return False
    if _already_sent(signature, requested_at) or not _claim(signature, requested_at, sent_at):
        logger.info("Confirmation email for signature %s already sent since %s.", signature_id, requested_at)
        return False
    petition = signature.petition
    # In the language the signer signed in: the links' prefix, the petition's
    # translated title and the email's text all follow it.
    with translation.override(signature.language):
        kwargs = {"slug": petition.slug}
        context = {
            "signature": signature,
            "petition": petition,
            "petition_url": _absolute(petition.get_absolute_url()),
            "confirm_url": _absolute(
                reverse(
                    "petitions:confirm",
                    kwargs={**kwargs, "token": make_token(signature=signature, purpose="confirm")},
                )
            ),
            "withdraw_url": _absolute(
                reverse(
                    "petitions:withdraw",
                    kwargs={**kwargs, "token": make_token(signature=signature, purpose="withdraw")},
                )
            ),
            "confirm_days": settings.PETITION_CONFIRM_MAX_AGE_DAYS,
            "SITE_NAME": settings.SITE_NAME,
            "SITE_URL": settings.SITE_URL,
        }
        message = EmailMultiAlternatives(
            subject=_("Please confirm your signature: %(title)s") % {"title": petition.title},
            body=render_to_string("petitions/email/confirm_signature.txt", context),
            to=[signature.email],
        )
        message.attach_alternative(
            render_to_string("petitions/email/confirm_signature.html", context), "text/html"
        )
    try:
        message.send()
    except OSError as error:
        # Give the claim back (unless a later send claimed since), so the retry sends.
        Signature.objects.filter(pk=signature_id, confirmation_sent_at=sent_at).update(
            confirmation_sent_at=signature.confirmation_sent_at
        )
        _retry_later(signature_id, attempt, scrub_mail_error(error), requested_at)
        raise
    return True


# --- Updates to supporters (the messages and their delivery: petitions.update_mail) -------------


@task
def send_update_batch(update_id):
    """Send the next batch of an update's queued deliveries, then enqueue the next run.

    The next run is due when the rate allows (``run_after``); after a mail server failure,
    a minute later. The immediate backend cannot wait, so there every batch goes out now.
    Returns how many were sent in this run.
    """
    started = timezone.now()
    defer = send_update_batch.get_backend().supports_defer
    sent = 0
    while True:
        counts = deliver_update_batch(update_id=update_id, limit=update_batch_size())
        sent += counts["sent"]
        remaining = UpdateDelivery.objects.filter(
            update_id=update_id, state=UpdateDelivery.State.QUEUED
        ).exists()
        if not remaining:
            _settle_claims_later(update_id, defer)
            return sent
        if defer:
            wait = TRANSIENT_RETRY if counts["retry"] else timedelta(seconds=BATCH_SECONDS)
            send_update_batch.using(run_after=started + wait).enqueue(update_id)
            return sent
        if counts["retry"]:
            logger.error("Update %s: the mail server failed; run send_update_batch again later.", update_id)
            return sent


def _settle_claims_later(update_id, defer):
    """Nothing is queued: come back once the oldest open claim (a killed worker's) is stale.

    Without this, a delivery left "sending" by a worker killed mid-send would show as
    unfinished in the admin for ever; the run due then marks it failed ("interrupted").
    """
    oldest_claim = (
        UpdateDelivery.objects.filter(update_id=update_id, state=UpdateDelivery.State.SENDING)
        .order_by("claimed_at")
        .values_list("claimed_at", flat=True)
        .first()
    )
    if oldest_claim is None:
        logger.info("Update %s: every delivery is finished.", update_id)
    elif defer:
        send_update_batch.using(run_after=oldest_claim + STALE_CLAIM + timedelta(seconds=1)).enqueue(
            update_id
        )
