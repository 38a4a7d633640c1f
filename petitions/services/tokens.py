"""Signed tokens in the confirmation, withdrawal and unsubscribe links (their own module: tasks and views both read them)."""

from django.conf import settings
from django.core import signing

TOKEN_SALTS = {
    "confirm": "campaign.petition.confirm",
    "withdraw": "campaign.petition.withdraw",
    "unsubscribe": "campaign.petition.unsubscribe",
}


def make_token(*, signature, purpose):
    """A signed token naming the signature and its petition, for one purpose."""
    return signing.dumps({"s": signature.pk, "p": signature.petition_id}, salt=TOKEN_SALTS[purpose])


def read_token(*, token, purpose, expired_ok=False):
    """``(signature_id, petition_id)`` from a token, or raise ``signing.BadSignature``.

    Confirm tokens expire after PETITION_CONFIRM_MAX_AGE_DAYS
    (``signing.SignatureExpired``, a subclass); withdraw and unsubscribe tokens never
    expire, since a supporter may ask to be removed or to hear no more at any time.
    """
    expires = purpose == "confirm" and not expired_ok
    max_age = settings.PETITION_CONFIRM_MAX_AGE_DAYS * 86400 if expires else None
    data = signing.loads(token, salt=TOKEN_SALTS[purpose], max_age=max_age)
    try:
        return int(data["s"]), int(data["p"])
    except (TypeError, KeyError, ValueError):
        raise signing.BadSignature("Malformed token") from None


FIGURES_SALT = "campaign.member.figures"


def make_figures_token(*, member):
    """The token of a member's private figures link: its id and link version, signed with SECRET_KEY.

    Unguessable without the key; staff revoke every link given out by raising the version.
    """
    return signing.dumps({"m": member.pk, "v": member.figures_link_version}, salt=FIGURES_SALT)


def read_figures_token(*, token):
    """``(member_id, version)`` from a figures token, or raise ``signing.BadSignature``."""
    data = signing.loads(token, salt=FIGURES_SALT)
    try:
        return int(data["m"]), int(data["v"])
    except (TypeError, KeyError, ValueError):
        raise signing.BadSignature("Malformed token") from None
