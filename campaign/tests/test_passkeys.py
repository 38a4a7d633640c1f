"""Passkeys (django-otp-webauthn) as a second factor: the guards around the WebAuthn ceremonies.

The ceremonies themselves (a real authenticator's signatures) run in tests/e2e/test_passkeys.py
with Chromium's virtual authenticator.
"""

import json
import re

import pytest
from django.conf import settings
from django_otp_webauthn.models import WebAuthnCredential

from tests.factories import SUPPORTER_DATA, make_recovery_token, make_staff_user, sign_in_staff

PASSWORD = "a long staff password 1"
BEGIN_REGISTRATION = "/admin/second-factor/passkey/registration/begin/"
BEGIN_AUTHENTICATION = "/admin/second-factor/passkey/authentication/begin/"
COMPLETE_AUTHENTICATION = "/admin/second-factor/passkey/authentication/complete/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _staff(username="dana", **overrides):
    user = make_staff_user(SUPPORTER_DATA, username=username, **overrides)
    user.set_password(PASSWORD)
    user.save()
    return user


def _sign_in(client, username="dana"):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD})


def _passkey(user, name="Laptop"):
    return WebAuthnCredential.objects.create(
        user=user, name=name, credential_id=name.encode(), public_key=b"\x02" * 16, confirmed=True
    )


def _post_json(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def test_settings_take_the_relying_party_from_site_url():
    # pyproject's test environment has SITE_URL=http://testserver: plain http, so only localhost.
    assert settings.OTP_WEBAUTHN_RP_ID == "localhost"
    assert settings.OTP_WEBAUTHN_ALLOWED_ORIGINS == ["http://localhost"]
    assert settings.OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is False


def test_a_password_alone_cannot_register_a_passkey_even_without_a_device(client):
    _staff()
    _sign_in(client)

    response = _post_json(client, BEGIN_REGISTRATION)

    assert response.status_code == 403
    assert response.json()["code"] == "user_not_verified"
    assert not WebAuthnCredential.objects.exists()


def test_a_verified_staff_member_gets_registration_options(client):
    user = sign_in_staff(client, _staff())

    response = _post_json(client, BEGIN_REGISTRATION)

    assert response.status_code == 200
    options = response.json()
    assert options["rp"] == {"id": "localhost", "name": settings.OTP_WEBAUTHN_RP_NAME}
    assert options["user"]["name"] == user.get_username()
    assert "otp_webauthn_register_state" in client.session


def test_a_verified_non_staff_user_cannot_register_a_passkey(client):
    user = _staff()
    user.is_staff = False
    user.save()
    sign_in_staff(client, user)

    assert _post_json(client, BEGIN_REGISTRATION).status_code == 403


def test_no_passwordless_sign_in(client):
    _passkey(_staff())

    response = _post_json(client, BEGIN_AUTHENTICATION)

    assert response.status_code == 403
    assert not client.session.get("otp_webauthn_authentication_state")


def test_after_the_password_a_passkey_ceremony_can_begin(client):
    user = _staff()
    passkey = _passkey(user)
    _sign_in(client)

    response = _post_json(client, BEGIN_AUTHENTICATION)

    assert response.status_code == 200
    assert response.json()["rpId"] == "localhost"
    assert len(response.json()["allowCredentials"]) == 1
    assert passkey.user == user


def test_failed_passkey_checks_count_toward_the_lockout(client):
    user = _staff()
    _passkey(user)
    make_recovery_token(user, "right")
    _sign_in(client)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert _post_json(client, BEGIN_AUTHENTICATION).status_code == 200
        assert _post_json(client, COMPLETE_AUTHENTICATION, {"id": "bm9uZQ"}).status_code >= 400

    # Locked out: neither another passkey attempt nor a right recovery code gets in.
    response = _post_json(client, BEGIN_AUTHENTICATION)
    assert response.status_code == 403
    assert response.json()["code"] in {"locked_out", "not_staff"}
    assert client.get("/admin/").status_code == 302


def test_the_code_step_offers_a_passkey_only_to_those_who_have_one(client):
    user = _staff()
    make_recovery_token(user)
    _sign_in(client)

    without = client.get("/admin/second-factor/").content.decode()
    _passkey(user)
    with_passkey = client.get("/admin/second-factor/").content.decode()

    assert "passkey-verification-placeholder" not in without
    assert "passkey-verification-placeholder" in with_passkey
    # The code form stays, for browsers without JavaScript.
    assert 'name="token"' in with_passkey
    # No inline script: configuration is a JSON data block, the scripts are files.
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", with_passkey, re.S):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
        assert "src=" not in attributes or not body.strip()
    config = json.loads(re.search(r'id="otp_webauthn_config"[^>]*>(.*?)</script>', with_passkey, re.S)[1])
    assert config["beginAuthenticationUrl"] == BEGIN_AUTHENTICATION


def test_the_passkey_page_lists_own_passkeys_and_needs_a_second_factor(client):
    user = _staff()
    _passkey(user, name="Security key")
    _passkey(_staff("erin"), name="Someone else's")
    _sign_in(client)
    assert client.get("/admin/second-factor/passkeys/").status_code == 302

    sign_in_staff(client, user)
    page = client.get("/admin/second-factor/passkeys/").content.decode()

    assert "Security key" in page
    assert "Someone else" not in page
    assert "passkey-registration-placeholder" in page
    assert 'href="/admin/second-factor/passkeys/"' in client.get("/admin/").content.decode()


def test_superuser_removes_a_lost_passkey(client):
    passkey = _passkey(_staff())
    sign_in_staff(client, make_staff_user(username="root", is_superuser=True))

    response = client.post(
        f"/admin/django_otp_webauthn/webauthncredential/{passkey.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_supporter_data_staff_cannot_touch_passkeys(client):
    passkey = _passkey(_staff())
    sign_in_staff(client, make_staff_user(SUPPORTER_DATA, username="viewer"))

    url = f"/admin/django_otp_webauthn/webauthncredential/{passkey.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
