"""Which requests are personal (and bypass the cache), told without a database look-up.

A session exists only for staff who signed in: public pages never write one.
When a response goes out for a session the request actually read and that
holds data, ``PersonalMarkerMiddleware`` adds a second cookie, the session
key signed with ``SECRET_KEY``. A request is personal when that marker
matches its session cookie, or when its flash-messages cookie verifies: an
HMAC each, no query. So a made-up ``sessionid`` (or ``messages``) cookie costs
nothing and gets the shared copy; a forged marker does not verify.

A session made before the marker existed gets it on its first request that
reads the session (any admin page); until then its public pages come from the
cache, which is harmless: public pages show nothing of the person asking.
"""

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core import signing

MARKER_COOKIE = "pagecache_personal"
_SALT = "pagecache.personal"


def _signer():
    return signing.Signer(salt=_SALT)


def is_personal(request):
    """True for a request whose session marker matches its session, or whose messages cookie verifies."""
    cookies = request.COOKIES
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    if session_key and _marker_matches(cookies.get(MARKER_COOKIE), session_key):
        return True
    return CookieStorage.cookie_name in cookies and len(CookieStorage(request)) > 0


def _marker_matches(marker, session_key):
    if not marker:
        return False
    try:
        return _signer().unsign(marker) == session_key
    except signing.BadSignature:
        return False


class PersonalMarkerMiddleware:
    """Keep the marker cookie in step with the session: set for a session in use, gone without one.

    Placed after ``SessionMiddleware`` (so it sees the session the view used,
    key already rotated by a sign-in) and after ``AuthenticationMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        marker = request.COOKIES.get(MARKER_COOKIE)
        key = session.session_key if session is not None else None
        # Only a session this request read and found data in: a made-up cookie loads as empty.
        in_use = session is not None and session.accessed and key is not None and bool(session.keys())
        if in_use and not _marker_matches(marker, key):
            response.set_cookie(
                MARKER_COOKIE,
                _signer().sign(key),
                max_age=settings.SESSION_COOKIE_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite=settings.SESSION_COOKIE_SAMESITE,
            )
        elif marker and not in_use and session is not None and session.accessed:
            response.delete_cookie(MARKER_COOKIE, samesite=settings.SESSION_COOKIE_SAMESITE)
        return response
