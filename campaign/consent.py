"""The visitor's cookie choice, kept in one first-party cookie.

Only the choice itself and Django's CSRF cookie are set before the visitor
decides; analytics (if configured) load only after "Accept all".
"""

from django.conf import settings

COOKIE_NAME = "cookie_consent"
ACCEPTED = "accepted"
DECLINED = "declined"
CHOICES = (ACCEPTED, DECLINED)
MAX_AGE = 365 * 24 * 60 * 60  # one year


def consent_from_request(request):
    """``"accepted"``, ``"declined"``, or ``""`` when the visitor has not chosen (or sent junk)."""
    if request is None:
        return ""
    value = request.COOKIES.get(COOKIE_NAME, "")
    return value if value in CHOICES else ""


def store_consent(response, choice):
    response.set_cookie(
        COOKIE_NAME,
        choice,
        max_age=MAX_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response
