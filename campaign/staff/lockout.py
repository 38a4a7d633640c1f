"""The sign-in lockout behind the proxy: the client's own address, and a ceiling per username.

django-axes locks a (username, address) pair after AXES_FAILURE_LIMIT failures, so an attacker's
guesses lock the attacker's address, not the staff member everywhere. Many addresses guessing one
username are slowed by a second, larger ceiling: AXES_USERNAME_FAILURE_LIMIT failures an hour
across all addresses, counted in the shared cache.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from petitions.services.addresses import client_ip
from petitions.services.audit import log_failed_sign_in

WINDOW_SECONDS = 60 * 60


def client_ip_for_axes(request):
    """AXES_CLIENT_IP_CALLABLE: the address the rest of the site sees (honours PROXY_COUNT)."""
    return client_ip(meta=request.META)


def _key(username):
    digest = hashlib.sha256((username or "").casefold().encode()).hexdigest()
    return f"staff-sign-in-failures:{int(time.time() // WINDOW_SECONDS)}:{digest}"


def count_failure(*, username):
    key = _key(username)
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS)


def username_limit_reached(*, username):
    return (cache.get(_key(username)) or 0) >= settings.AXES_USERNAME_FAILURE_LIMIT


def on_sign_in_failed(sender, credentials, request=None, **kwargs):
    """user_login_failed receiver: wrong passwords and wrong second-factor codes alike.

    Counted toward the per-username ceiling and written to the staff action log.
    """
    credentials = credentials or {}
    username = credentials.get("username")
    count_failure(username=username)
    log_failed_sign_in(username=username, second_factor=bool(credentials.get("second_factor")))


class UsernameFailureLimitBackend:
    """Refuses every password for a username past its hourly ceiling, from any address.

    It sits after axes' backend and before the password check; refusing with the axes flag set
    shows the same lockout page, so a guesser learns nothing about the password. It has no
    ``get_user``: it never signs anyone in (and force_login skips backends without one).
    """

    def authenticate(self, request, username=None, **kwargs):
        if username is not None and username_limit_reached(username=username):
            if request is not None:
                request.axes_locked_out = True
                request.axes_credentials = {"username": username}
            raise PermissionDenied
        return None
