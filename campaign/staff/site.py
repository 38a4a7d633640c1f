"""The admin site: every page but sign-in and the second-factor steps needs a verified device.

A phished password alone opens nothing: ``has_permission`` also asks django-otp whether this
session passed a second factor, so ``admin_view`` sends an unverified staff member back to the
sign-in page, which leads them on to the second-factor step (or to setting up a device).
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect


def safe_next(request, default):
    """The ``next`` address of the request if it stays on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def second_factor_url(request):
    """The second-factor step, carrying the page the staff member was on their way to."""
    url = reverse("admin:second-factor")
    target = safe_next(request, "")
    return f"{url}?{urlencode({'next': target})}" if target else url


def is_verified(user):
    """Whether this session's user passed a second factor (OTPMiddleware tells; a user that
    ``login()`` has just put on the request has not passed it)."""
    return getattr(user, "is_verified", lambda: False)()


class StaffAdminSite(admin.AdminSite):
    site_header = "ICNK campaign administration"
    site_title = "ICNK campaign"

    def has_permission(self, request):
        return super().has_permission(request) and is_verified(request.user)

    def login(self, request, extra_context=None):
        user = request.user
        if request.method == "GET" and user.is_active and user.is_staff and not is_verified(user):
            return redirect(second_factor_url(request))
        response = super().login(request, extra_context)
        if request.method == "POST" and request.user.is_authenticated:
            # The password was right: the session ends STAFF_SESSION_SECONDS from now, however
            # busy it stays (an absolute date, not the sliding default of two weeks).
            request.session.set_expiry(timezone.now() + timedelta(seconds=settings.STAFF_SESSION_SECONDS))
            if request.user.is_staff and not is_verified(request.user):
                return redirect(second_factor_url(request))
        return response

    def get_urls(self):
        from django.views.i18n import JavaScriptCatalog

        from campaign.staff import passkeys, views

        ceremonies = [
            ("registration/begin/", passkeys.BeginRegistration, "passkey-registration-begin"),
            ("registration/complete/", passkeys.CompleteRegistration, "passkey-registration-complete"),
            ("authentication/begin/", passkeys.BeginAuthentication, "passkey-authentication-begin"),
            ("authentication/complete/", passkeys.CompleteAuthentication, "passkey-authentication-complete"),
        ]
        return [
            *(
                path(f"second-factor/passkey/{route}", csrf_protect(view.as_view()), name=name)
                for route, view, name in ceremonies
            ),
            path(
                "second-factor/passkey/jsi18n/",
                JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
                name="passkey-jsi18n",
            ),
            path(
                "second-factor/passkeys/",
                self.admin_view(passkeys.manage_passkeys),
                {"site": self},
                name="passkeys",
            ),
            path(
                "second-factor/",
                never_cache(csrf_protect(views.verify_second_factor)),
                {"site": self},
                name="second-factor",
            ),
            path(
                "second-factor/setup/",
                never_cache(csrf_protect(views.set_up_second_factor)),
                {"site": self},
                name="second-factor-setup",
            ),
            *super().get_urls(),
        ]
