from django.conf import settings
from django.urls import translate_url
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from campaign.consent import consent_from_request
from translations.urls import without_language_prefix


def _current_contact():
    from campaign.models import Contact

    return Contact.objects.filter(is_current=True).first()


def _address_holds_token(request):
    match = getattr(request, "resolver_match", None)
    return match is not None and "token" in match.kwargs


def _language_versions(request):
    """This page in each language: code, name in itself, path, Open Graph locale, and whether current."""
    path = request.get_full_path()
    current = translation.get_language()
    return [
        {
            "code": code,
            "name": settings.LANGUAGE_NATIVE_NAMES[code],
            "path": translate_url(path, code),
            "og_locale": settings.LANGUAGE_OG_LOCALES[code],
            "current": code == current,
        }
        for code, _ in settings.LANGUAGES
    ]


def site(request):
    """Site-wide values every template may use.

    ``site_contact`` is evaluated on first use and then kept for the rest of the
    request, so a page that never shows it runs no query for it.
    """
    consent = consent_from_request(request)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "site_contact": SimpleLazyObject(_current_contact),
        # The visitor's cookie choice: "accepted", "declined" or "" (not chosen yet).
        "cookie_consent": consent,
        "cookie_choice_made": bool(consent),
        # Only ever non-empty after the visitor accepted, and only when configured; never on a
        # page whose address holds a token (confirm, withdraw), which a script could read.
        "analytics_script_url": (
            settings.ANALYTICS_SCRIPT_URL
            if consent == "accepted" and not _address_holds_token(request)
            else ""
        ),
        # The language switcher and the hreflang alternates (no query: URLs resolve in memory).
        "language_versions": SimpleLazyObject(lambda: _language_versions(request)),
        # The unprefixed address: it redirects each visitor to their language (hreflang x-default).
        "x_default_path": SimpleLazyObject(lambda: without_language_prefix(request.get_full_path())),
        "og_locale": settings.LANGUAGE_OG_LOCALES.get(translation.get_language(), "en_GB"),
    }
