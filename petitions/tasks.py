"""Background work: the confirmation email.

Run by ``django.tasks`` (immediately in development, by ``manage.py db_worker``
with the database backend in production).

A mail server that is down or refuses the message does not lose the email:
with a backend that can defer work (the database backend) the task enqueues
itself again with a growing delay (``RETRY_DELAYS``), for at most
``MAX_ATTEMPTS`` attempts in all; then it logs an error and gives up. The
signature stays pending throughout, so staff can still resend from the admin.
The immediate backend cannot defer, so there the failure is logged and recorded
once and nothing loops or sleeps.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from petitions.models import Signature

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


def _retry_later(signature_id, attempt, error):
    """Enqueue the next attempt after a failed send, if the backend can wait and attempts remain."""
    if attempt >= MAX_ATTEMPTS:
        logger.error(
            "Confirmation email for signature %s failed %s times (last: %r); giving up. "
            "The signature stays pending: staff can resend it from the admin.",
            signature_id,
            attempt,
            error,
        )
        return None
    if not send_confirmation.get_backend().supports_defer:
        logger.error(
            "Confirmation email for signature %s failed (%r); this task backend cannot retry later. "
            "The signature stays pending: staff can resend it from the admin.",
            signature_id,
            error,
        )
        return None
    run_after = timezone.now() + RETRY_DELAYS[attempt - 1]
    retry = send_confirmation.using(run_after=run_after).enqueue(signature_id, attempt=attempt + 1)
    logger.warning(
        "Confirmation email for signature %s failed (attempt %s of %s: %r); retrying after %s.",
        signature_id,
        attempt,
        MAX_ATTEMPTS,
        error,
        run_after.isoformat(),
    )
    return retry


@task
def send_confirmation(signature_id, attempt=1):
    """Email a pending signer the links to confirm or withdraw their signature.

    Returns False (and sends nothing) when the signature is no longer pending.
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
        _retry_later(signature_id, attempt, error)
        raise
    Signature.objects.filter(pk=signature_id).update(confirmation_sent_at=sent_at)
    return True
