"""Passkeys (WebAuthn, django-otp-webauthn) as a second factor for staff, beside TOTP.

django-otp-webauthn's views do the WebAuthn ceremonies; the subclasses here hold them to the
rules of the other second-factor steps:

- a passkey is only a second factor: the password comes first (passwordless sign-in is off in
  the settings, and the ceremony refuses anyone who is not a signed-in active staff member);
- a failed passkey check counts toward the lockout like a wrong code, the lockout is checked
  before any ceremony starts, and passing it forgets this address's failures (as a right code
  does);
- registering a passkey needs a session that already passed a second factor, even for an
  account without a device (the package would let such an account enrol a passkey straight
  after the password; here the first device is always the TOTP app, which brings recovery codes).

The pages load the package's scripts as static files; their configuration is a JSON data block
(``json_script``), which the strict CSP does not treat as a script.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import logout, user_login_failed
from django.middleware import csrf
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse
from django_otp_webauthn import exceptions
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from campaign.staff.lockout import username_limit_reached


class LockedOut(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = "Too many failed attempts. Try again later."
    default_code = "locked_out"


class NotStaff(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = "Sign in with your password first."
    default_code = "not_staff"


def _is_staff(user):
    return user.is_authenticated and user.is_active and user.is_staff


def passkey_configuration(request):
    """What the package's scripts read from the ``otp_webauthn_config`` data block."""
    return {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": csrf.get_token(request),
        "beginAuthenticationUrl": reverse("admin:passkey-authentication-begin"),
        "completeAuthenticationUrl": reverse("admin:passkey-authentication-complete"),
        "beginRegistrationUrl": reverse("admin:passkey-registration-begin"),
        "completeRegistrationUrl": reverse("admin:passkey-registration-complete"),
    }


def has_passkey(user):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


class StaffAuthenticationMixin:
    """The passkey as the second step of a staff sign-in, under the same lockout as a code."""

    def check_can_authenticate(self):
        user = self.request.user
        if not _is_staff(user):
            raise NotStaff()
        username = user.get_username()
        if not AxesProxyHandler.is_allowed(self.request, {"username": username}) or username_limit_reached(
            username=username
        ):
            logout(self.request)
            raise LockedOut()


class BeginAuthentication(StaffAuthenticationMixin, BeginCredentialAuthenticationView):
    pass


class CompleteAuthentication(StaffAuthenticationMixin, CompleteCredentialAuthenticationView):
    def post(self, *args, **kwargs):
        try:
            return super().post(*args, **kwargs)
        except exceptions.OTPWebAuthnApiError:
            # A wrong or replayed assertion, another user's passkey, a stale ceremony: a failed
            # second factor, counted and logged like a wrong code.
            credentials = {"username": self.request.user.get_username(), "second_factor": True}
            user_login_failed.send(sender=__name__, credentials=credentials, request=self.request)
            raise

    def complete_auth(self, device):
        from campaign.staff.views import _passed

        _passed(self.request, device)

    def get_success_url(self):
        return self.get_redirect_url() or resolve_url("admin:index")


class StaffRegistrationMixin:
    """Only a staff session that passed a second factor registers a passkey."""

    def check_can_register(self):
        user = self.request.user
        if not _is_staff(user):
            raise NotStaff()
        if not user.is_verified():
            raise exceptions.NotVerified(detail=self.messages["user_not_verified"])


class BeginRegistration(StaffRegistrationMixin, BeginCredentialRegistrationView):
    pass


class CompleteRegistration(StaffRegistrationMixin, CompleteCredentialRegistrationView):
    pass


def manage_passkeys(request, site):
    """The signed-in staff member's passkeys, and a button to register one (needs JavaScript)."""
    context = {
        **site.each_context(request),
        "title": "Your passkeys",
        "passkeys": WebAuthnCredential.objects.filter(user=request.user).order_by("created_at"),
        "passkey_configuration": passkey_configuration(request),
    }
    return TemplateResponse(request, "admin/passkeys.html", context)
