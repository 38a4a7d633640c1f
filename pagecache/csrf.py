"""Everything the page cache takes from Django's CSRF internals, checked at start-up.

Two things rely on names Django does not document, so both live here and
``check_django_names()`` (run by ``PageCacheConfig.ready``, so every server,
``runserver`` or gunicorn, refuses to start) fails loudly if a Django upgrade
renames or reshapes them:

* ``unmask(token)``: the holes module finds a visitor's CSRF token in a
  rendered page by unmasking it to this request's secret, with Django's own
  ``_unmask_cipher_token`` (``CSRF_SECRET_LENGTH``, ``CSRF_ALLOWED_CHARS``).
* The randomness patch (``PAGE_CACHE_CSRF_PATCH``, on by default; ``0`` turns
  it off): Django's ``get_random_string`` asks the system CSPRNG once per
  character, 64 system calls for a new visitor's CSRF secret and its mask, a
  large share of the cost of serving them a cached page. ``random_string``
  draws the same characters from one ``os.urandom`` call. The patch replaces
  the module global ``django.middleware.csrf.get_random_string``, which works
  only while ``_get_new_csrf_string`` (which makes both secrets and masks)
  looks that global up: the check reads its code for it.
"""

import os

from django.core.exceptions import ImproperlyConfigured
from django.middleware import csrf
from django.utils import crypto

# What each Django name is needed for: the check names it when it is gone.
_NEEDED_NAMES = {
    "CSRF_SECRET_LENGTH": "finding tokens in a page",
    "CSRF_ALLOWED_CHARS": "finding tokens in a page",
    "_unmask_cipher_token": "finding tokens in a page",
    "_mask_cipher_secret": "finding tokens in a page",
}
_PATCHED_NAME = "get_random_string"

# Read without failing at import, so that the check can say what is missing.
TOKEN_LENGTH = 2 * getattr(csrf, "CSRF_SECRET_LENGTH", 32)
# Both the secret and each mask come from here.
_PATCH_USERS = ("_get_new_csrf_string",)


def check_django_names(*, patch=True):
    """Raise ``ImproperlyConfigured`` naming each Django CSRF internal that is missing or changed."""
    problems = [
        f"django.middleware.csrf.{name} is missing (needed for {use})"
        for name, use in _NEEDED_NAMES.items()
        if not hasattr(csrf, name)
    ]
    if not problems:
        secret = "a" * csrf.CSRF_SECRET_LENGTH
        try:
            inverted = unmask(csrf._mask_cipher_secret(secret)) == secret
        except Exception as error:  # whatever changed, say so at start-up
            inverted = False
            problems.append(f"masking a CSRF secret failed ({error!r})")
        if not inverted:
            problems.append("django.middleware.csrf._unmask_cipher_token no longer inverts the masking")
    if patch:
        if not hasattr(csrf, _PATCHED_NAME):
            problems.append(f"django.middleware.csrf.{_PATCHED_NAME} is missing (PAGE_CACHE_CSRF_PATCH)")
        for user in _PATCH_USERS:
            function = getattr(csrf, user, None)
            if function is None or _PATCHED_NAME not in function.__code__.co_names:
                problems.append(
                    f"django.middleware.csrf.{user} no longer calls {_PATCHED_NAME} (PAGE_CACHE_CSRF_PATCH)"
                )
    if problems:
        raise ImproperlyConfigured(
            "The page cache relies on Django CSRF internals that changed: "
            + "; ".join(problems)
            + ". Update pagecache/csrf.py, or set PAGE_CACHE_CSRF_PATCH=0 if only the patch is affected."
        )


def install(*, enabled):
    """Check the Django names, then make CSRF secrets and masks with ``random_string`` (or undo that)."""
    check_django_names(patch=enabled)
    if enabled:
        csrf.get_random_string = random_string
    elif getattr(csrf, _PATCHED_NAME, None) is random_string:
        csrf.get_random_string = crypto.get_random_string


def random_string(length, allowed_chars):
    """``get_random_string`` from one ``os.urandom`` call instead of one per character.

    Each byte below the largest multiple of ``len(allowed_chars)`` picks one
    character (the others are skipped, so every character is equally likely),
    from the same system CSPRNG.
    """
    count = len(allowed_chars)
    limit = 256 - 256 % count
    chars = []
    while len(chars) < length:
        chars.extend(allowed_chars[byte % count] for byte in os.urandom(2 * length) if byte < limit)
    return "".join(chars[:length])


def unmask(token):
    """The CSRF secret inside a masked 64-character token."""
    return csrf._unmask_cipher_token(token)
