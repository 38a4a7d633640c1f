"""Passkeys in a browser: register one after a second factor, then sign in with it instead of a code.

Chromium's virtual authenticator (DevTools WebAuthn domain) plays the security key; the live
server runs on localhost, a secure context for WebAuthn.
"""

import pytest
from django.contrib.auth.models import User
from django_otp_webauthn.models import WebAuthnCredential

from tests.e2e.conftest import assert_no_problems, new_page
from tests.factories import make_recovery_token

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long staff password 1"


@pytest.fixture
def authenticator_page(browser, live_server, settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    context = browser.new_context(base_url=live_server.url)
    page = new_page(context)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    yield page
    context.close()


def _password(page):
    page.goto("/admin/")
    page.fill("#id_username", "erin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/second-factor/**")


def test_staff_registers_a_passkey_and_signs_in_with_it(authenticator_page):
    page = authenticator_page
    user = User.objects.create_superuser("erin", "erin@staff.example.org", PASSWORD)
    make_recovery_token(user, "recovery1")

    # First sign-in with a recovery code; no passkey is offered yet.
    _password(page)
    assert page.locator("#passkey-verification-button").count() == 0
    page.fill("#id_token", "recovery1")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")

    page.click("#user-tools >> text=Passkeys")
    page.wait_for_url("**/admin/second-factor/passkeys/")
    page.click("#passkey-register-button")
    page.wait_for_selector("#passkey-list li")
    assert WebAuthnCredential.objects.filter(user=user, confirmed=True).count() == 1
    assert_no_problems(page)

    page.click("#logout-form button")
    page.wait_for_url("**/admin/logout/")

    # Second sign-in: the password, then the passkey instead of a code.
    _password(page)
    page.click("#passkey-verification-button")
    page.wait_for_url("**/admin/")
    assert page.locator("#site-name").is_visible()
    assert WebAuthnCredential.objects.get(user=user).last_used_at is not None
    assert_no_problems(page)
