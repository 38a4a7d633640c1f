"""Background work: the confirmation email.

Run by ``django.tasks`` (immediately in development, by ``manage.py db_worker``
with the database backend in production).
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse

from campaign.models import Signature


def _absolute(path):
    return f"{settings.SITE_URL}{path}"


@task
def send_confirmation(signature_id):
    """Email a pending signer the links to confirm or withdraw their signature.

    Returns False (and sends nothing) when the signature is no longer pending.
    Errors from the mail server propagate, so the task backend records the
    failure and the signature stays pending for a retry or a resend.
    """
    from campaign.services import make_token

    signature = (
        Signature.objects.select_related("petition")
        .filter(pk=signature_id, state=Signature.State.PENDING)
        .first()
    )
    if signature is None:
        return False
    petition = signature.petition
    kwargs = {"slug": petition.slug}
    context = {
        "signature": signature,
        "petition": petition,
        "petition_url": _absolute(petition.get_absolute_url()),
        "confirm_url": _absolute(
            reverse("campaign:petition-confirm", kwargs={**kwargs, "token": make_token(signature, "confirm")})
        ),
        "withdraw_url": _absolute(
            reverse(
                "campaign:petition-withdraw", kwargs={**kwargs, "token": make_token(signature, "withdraw")}
            )
        ),
        "confirm_days": settings.PETITION_CONFIRM_MAX_AGE_DAYS,
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=f"Please confirm your signature: {petition.title}",
        body=render_to_string("campaign/email/confirm_signature.txt", context),
        to=[signature.email],
    )
    message.attach_alternative(
        render_to_string("campaign/email/confirm_signature.html", context), "text/html"
    )
    message.send()
    return True
