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

A task may run twice: a worker killed after the send but before it recorded
the task's success leaves it "running", and ``manage.py reap_tasks`` queues it
again. Each task carries the time its email was asked for (``requested_at``);
it sends nothing when an email already went out to that signature since then.
A later request (signing again, staff's resend) asks anew, so it still sends.

Updates (``send_update_batch``) go out at most ``UPDATE_SEND_RATE`` a minute: each run
sends one batch of queued deliveries and enqueues the next run for when the rate allows.
Each delivery is claimed by one conditional UPDATE (queued → sending) before its email is
handed to the mail server, so two workers never send the same one; a worker killed between
the hand-over and recording "sent" leaves the row "sending", and once that claim is older
than ``STALE_CLAIM`` the next run marks it failed ("interrupted") rather than risk sending
twice. Everything else resumes where it stopped.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import models
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from petitions.models import Signature, Update, UpdateDelivery

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


def _absolute(path):
    return f"{settings.SITE_URL}{path}"


def confirmation_request():
    """The keyword arguments of a new request for the email: when it was asked for."""
    return {"requested_at": timezone.now().isoformat()}


def _already_sent(signature, requested_at):
    """True when an email went out to this signature after `requested_at` (a re-run task)."""
    sent_at = signature.confirmation_sent_at
    return bool(requested_at) and sent_at is not None and sent_at >= parse_datetime(requested_at)


def scrub_mail_error(error):
    """Reduce a mail error to its class and SMTP codes, in place, and return that summary.

    A refused recipient's error holds the address (``SMTPRecipientsRefused.recipients``, and
    servers echo it in their reply text); the log and the task result's traceback must hold
    the signature id only. The exception keeps its class, so the task table still tells what
    went wrong.
    """
    codes = []
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        error.recipients = {}
    elif isinstance(error, smtplib.SMTPResponseException):
        codes = [error.smtp_code]
        error.smtp_error = b""
    summary = type(error).__name__ + (f" (SMTP {', '.join(str(code) for code in codes)})" if codes else "")
    error.args = (summary,)
    return summary


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
    if _already_sent(signature, requested_at):
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
        _retry_later(signature_id, attempt, scrub_mail_error(error), requested_at)
        raise
    Signature.objects.filter(pk=signature_id).update(confirmation_sent_at=sent_at)
    return True


# --- Updates to supporters -------------------------------------------------------

BATCH_SECONDS = 10  # one run of send_update_batch per this many seconds, at UPDATE_SEND_RATE
STALE_CLAIM = timedelta(minutes=10)  # far longer than one batch's sends can take
TRANSIENT_RETRY = timedelta(minutes=1)
MAX_DELIVERY_ATTEMPTS = 3


def update_links(*, signature):
    """The absolute links of one supporter's update, in the active language.

    The unsubscribe address has no language prefix (a mail client's one-click POST must
    get its answer, not a redirect; the page picks the signature's language itself); the
    petition and withdraw pages carry the prefix of the active language.
    """
    from petitions.services.tokens import make_token

    unsubscribe = make_token(signature=signature, purpose="unsubscribe")
    return {
        "unsubscribe_token": unsubscribe,
        "unsubscribe_url": _absolute(reverse("mail:unsubscribe", kwargs={"token": unsubscribe})),
        "withdraw_url": _absolute(
            reverse(
                "petitions:withdraw",
                kwargs={
                    "slug": signature.petition.slug,
                    "token": make_token(signature=signature, purpose="withdraw"),
                },
            )
        ),
        "petition_url": _absolute(signature.petition.get_absolute_url()),
    }


class NothingToRead(Exception):
    """The update is written neither in the supporter's language nor in English."""


def build_update_message(*, update, signature, to=None, bodies=None):
    """The update's email (text and HTML) for ``signature``'s owner, or for ``to`` (a staff test).

    In the signature's language: the subject and body when the update is written in it,
    else the English ones (marked ``lang="en"`` in the HTML); the greeting, footer and
    links always in the signer's language. It carries RFC 8058's one-click unsubscribe
    headers, so mail clients show their own button. Raises ``NothingToRead`` when the
    update has no text the supporter can be given. ``bodies`` (a dict kept over a batch)
    holds the body rendered once per language.
    """
    from petitions.markup import render_html, render_text

    text_language = update.text_language(signature.language)
    if text_language is None:
        raise NothingToRead(update.pk)
    bodies = {} if bodies is None else bodies
    if text_language not in bodies:
        subject, body = update.text_in(text_language)
        bodies[text_language] = (subject, render_text(body), render_html(body))
    subject, body_text, body_html = bodies[text_language]
    with translation.override(signature.language):
        links = update_links(signature=signature)
        petition = signature.petition
        context = {
            "update": update,
            "petition": petition,
            "name": signature.name,
            "subject": subject,
            "body_text": body_text,
            "body_html": body_html,
            "text_language": text_language,
            "SITE_NAME": settings.SITE_NAME,
            "SITE_URL": settings.SITE_URL,
            **links,
        }
        text = render_to_string("petitions/email/update.txt", context)
        html = render_to_string("petitions/email/update.html", context)
    mailto = f"mailto:{settings.UPDATE_UNSUBSCRIBE_EMAIL}?subject=unsubscribe-{links['unsubscribe_token']}"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[to or signature.email],
        headers={
            "List-Unsubscribe": f"<{links['unsubscribe_url']}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "Content-Language": text_language,
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _is_permanent_refusal(error):
    """The mail server refused the address itself for good (5xx for every recipient)."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _ in error.recipients.values()
    )


def release_stale_claims(*, update_id, now=None):
    """Mark failed the deliveries claimed long ago and never finished (a killed worker). Returns how many.

    The email may or may not have left; not sending it again is the promise that holds.
    """
    cutoff = (now or timezone.now()) - STALE_CLAIM
    return UpdateDelivery.objects.filter(
        update_id=update_id, state=UpdateDelivery.State.SENDING, claimed_at__lt=cutoff
    ).update(state=UpdateDelivery.State.FAILED, reason="interrupted: the worker stopped while sending")


def deliver_update_batch(*, update_id, limit, now=None):
    """Send up to ``limit`` queued deliveries of an update. Returns ``{"sent", "failed", "retry"}``.

    ``retry`` is True when the mail server failed for a reason not about one address (down,
    4xx): the delivery goes back to the queue (up to MAX_DELIVERY_ATTEMPTS) and the batch stops.
    Three statements an email (claim, read the recipient, record); the body is rendered once
    per language and batch.
    """
    release_stale_claims(update_id=update_id, now=now)
    update = Update.objects.select_related("petition").get(pk=update_id)
    queued = UpdateDelivery.objects.filter(update_id=update_id, state=UpdateDelivery.State.QUEUED)
    pending = list(queued.order_by("pk").values_list("pk", "signature_id", "attempts")[:limit])
    counts = {"sent": 0, "failed": 0, "retry": False}
    if not pending:
        return counts
    bodies = {}
    connection = mailers.default
    connection.open()
    try:
        for delivery_id, signature_id, attempts in pending:
            if not _deliver_one(update, delivery_id, signature_id, attempts + 1, connection, counts, bodies):
                counts["retry"] = True
                break
    finally:
        connection.close()
    return counts


def _deliver_one(update, delivery_id, signature_id, attempt, connection, counts, bodies):
    """Claim, send and record one delivery; False when the server failed and the batch should stop."""
    claimed = UpdateDelivery.objects.filter(pk=delivery_id, state=UpdateDelivery.State.QUEUED).update(
        state=UpdateDelivery.State.SENDING, claimed_at=timezone.now(), attempts=models.F("attempts") + 1
    )
    if not claimed:
        return True  # another worker has it
    done = UpdateDelivery.objects.filter(pk=delivery_id, state=UpdateDelivery.State.SENDING)
    signature = (
        Signature.objects.update_recipients()
        .filter(pk=signature_id)
        .only("pk", "petition_id", "name", "email", "language")
        .first()
    )
    if signature is None:
        # Unsubscribed, withdrew or bounced since the update was queued.
        done.update(state=UpdateDelivery.State.FAILED, reason="no longer a recipient")
        counts["failed"] += 1
        return True
    signature.petition = update.petition
    try:
        message = build_update_message(update=update, signature=signature, bodies=bodies)
    except NothingToRead:
        done.update(state=UpdateDelivery.State.FAILED, reason="not written in the supporter's language")
        counts["failed"] += 1
        return True
    try:
        connection.send_messages([message])
    except OSError as error:
        reason = scrub_mail_error(error)
        if _is_permanent_refusal(error):
            Signature.objects.filter(pk=signature.pk).update(undeliverable_at=timezone.now())
            done.update(state=UpdateDelivery.State.FAILED, reason=f"{reason}: address marked undeliverable")
            counts["failed"] += 1
            logger.warning(
                "Update %s to signature %s refused for good (%s).", update.pk, signature.pk, reason
            )
            return True
        if attempt >= MAX_DELIVERY_ATTEMPTS:
            done.update(state=UpdateDelivery.State.FAILED, reason=reason)
            counts["failed"] += 1
        else:
            done.update(state=UpdateDelivery.State.QUEUED, reason=reason)
        logger.warning("Update %s to signature %s failed (%s).", update.pk, signature.pk, reason)
        return False
    done.update(state=UpdateDelivery.State.SENT, sent_at=timezone.now(), reason="")
    counts["sent"] += 1
    return True


def update_batch_size():
    """How many emails one run sends: BATCH_SECONDS' share of UPDATE_SEND_RATE."""
    return max(1, settings.UPDATE_SEND_RATE * BATCH_SECONDS // 60)


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
