"""Addresses outside the language prefixes."""

from django.conf import settings

_PREFIXES = tuple(f"/{code}/" for code, _ in settings.LANGUAGES)


def without_language_prefix(path):
    """``/ko/petitions/x/`` → ``/petitions/x/``: an address that redirects to each visitor's language.

    For answers that must be the same for everyone (the JSON API), whose links
    cannot name one language.
    """
    for prefix in _PREFIXES:
        if path.startswith(prefix):
            return path[len(prefix) - 1 :]
    return path
