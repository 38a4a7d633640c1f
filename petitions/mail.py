"""What every email of the petitions shares: absolute links, and mail errors made fit for a log."""

import smtplib

from django.conf import settings


def absolute_url(path):
    return f"{settings.SITE_URL}{path}"


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
