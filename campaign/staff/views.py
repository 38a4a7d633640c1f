"""The second-factor steps of staff sign-in: enter a code, or set up an authenticator app first.

Both steps need a signed-in, active staff member who has not yet passed a second factor. A wrong
code counts as a failed sign-in for django-axes (the same lockout as a wrong password), and the
lockout is checked before any code is tried.
"""

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_lockout_response
from django import forms
from django.contrib.auth import logout, user_login_failed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaign.staff.lockout import username_limit_reached
from campaign.staff.passkeys import has_passkey, passkey_configuration
from campaign.staff.site import safe_next

RECOVERY_CODES = 10


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=16,
        help_text="The six digits your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_token(self):
        return "".join(self.cleaned_data["token"].split())


def _credentials(user):
    return {"username": user.get_username()}


def _pending_staff(request):
    user = request.user
    return user.is_authenticated and user.is_active and user.is_staff


def _refuse_if_locked(request):
    """The lockout page (and sign-out) when axes has locked this address for this user, else None."""
    credentials = _credentials(request.user)
    if AxesProxyHandler.is_allowed(request, credentials) and not username_limit_reached(
        username=credentials["username"]
    ):
        return None
    logout(request)
    return get_lockout_response(request, credentials=credentials)


def _failed(request, form):
    """A wrong code: counted by axes like a wrong password, and logged (campaign.staff.lockout)."""
    user = request.user
    credentials = {**_credentials(user), "second_factor": True}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    form.add_error("token", "That code is not right, or it was used already.")


def _passed(request, device):
    otp_login(request, device)
    # The sign-in is complete only now (AXES_RESET_ON_SUCCESS is off, so a right password alone
    # does not wipe the second-factor failures): forget this address's failures for this user.
    AxesProxyHandler.reset_attempts(
        ip_address=get_client_ip_address(request), username=request.user.get_username()
    )


def _render(request, site, template, context):
    context = {**site.each_context(request), "next": safe_next(request, ""), **context}
    return TemplateResponse(request, template, context)


def _step_refusal(request, *, needs_device):
    """Where a second-factor step sends the request instead of serving it, or None to serve it.

    Only a signed-in active staff member who has not yet passed the second factor is served, by
    the step that fits (``needs_device``: the code step; otherwise the set-up step), and only
    while axes and the per-username ceiling allow this address.
    """
    if not _pending_staff(request):
        return redirect(reverse("admin:login"))
    if "sign_out" in request.POST:
        logout(request)
        return redirect(reverse("admin:login"))
    if request.user.is_verified():
        return redirect(safe_next(request, reverse("admin:index")))
    if user_has_device(request.user) != needs_device:
        other = "admin:second-factor" if not needs_device else "admin:second-factor-setup"
        return redirect(reverse(other) + request.get_full_path()[len(request.path) :])
    return _refuse_if_locked(request)


def verify_second_factor(request, site):
    if refused := _step_refusal(request, needs_device=True):
        return refused
    next_url = safe_next(request, reverse("admin:index"))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            _passed(request, device)
            return redirect(next_url)
        _failed(request, form)
    context = {"title": "Second step", "form": form}
    if has_passkey(request.user):
        context["passkey_configuration"] = passkey_configuration(request)
    return _render(request, site, "admin/second_factor.html", context)


def _qr_code(url):
    """The provisioning address as a QR code: an SVG made here, shown as a data: image."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _issue_recovery_codes(user):
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes")
    device.token_set.all().delete()
    tokens = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in tokens)
    return tokens


def set_up_second_factor(request, site):
    """First sign-in without a device: scan the QR code (or type the secret), then prove it with a code."""
    if refused := _step_refusal(request, needs_device=False):
        return refused
    next_url = safe_next(request, reverse("admin:index"))
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="Authenticator app", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            _passed(request, device)
            codes = _issue_recovery_codes(request.user)
            context = {"title": "Recovery codes", "codes": codes, "next_url": next_url}
            return _render(request, site, "admin/second_factor_recovery.html", context)
        _failed(request, form)
    context = {
        "title": "Set up your second step",
        "form": form,
        "qr_code": _qr_code(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode("ascii"),
    }
    return _render(request, site, "admin/second_factor_setup.html", context)
