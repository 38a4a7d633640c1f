"""Updates to supporters: each one's email, and the delivery of a batch of them.

The task that runs the batches at ``UPDATE_SEND_RATE`` is ``petitions.tasks.send_update_batch``;
the rules (one conditional UPDATE claims each delivery, stale claims fail as "interrupted")
are told there.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import models
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from petitions.mail import absolute_url as _absolute
from petitions.mail import scrub_mail_error
from petitions.models import Signature, Update, UpdateDelivery

logger = logging.getLogger(__name__)


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
