"""Two-factor sign-in for staff: every admin page waits for the second factor."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import SUPPORTER_DATA, make_recovery_token, make_staff_user, sign_in_staff

PASSWORD = "a long staff password 1"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _staff(username="dana", **overrides):
    user = make_staff_user(SUPPORTER_DATA, username=username, **overrides)
    user.set_password(PASSWORD)
    user.save()
    return user


def _sign_in(client, username="dana", password=PASSWORD):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def _code(device):
    device.refresh_from_db()
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(6)


def test_password_alone_opens_no_admin_page(client):
    user = _staff()
    make_recovery_token(user)
    response = _sign_in(client)
    assert response.status_code == 302
    for url in ("/admin/", "/admin/petitions/signature/", "/admin/petitions/signature/bulk-invalidate/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url
    response = client.get("/admin/login/?next=/admin/")
    assert response["Location"] == "/admin/second-factor/?next=%2Fadmin%2F"


def test_force_login_without_a_device_is_not_enough(client):
    client.force_login(_staff())
    assert client.get("/admin/").status_code == 302
    sign_in_staff(client, User.objects.get(username="dana"))
    assert client.get("/admin/").status_code == 200


def test_first_sign_in_sets_up_totp_from_a_server_drawn_qr_code(client):
    _staff()
    _sign_in(client)
    response = client.get("/admin/second-factor/?next=/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/admin/second-factor/setup/?next=/admin/"
    html = response.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html
    assert "<script>" not in html and "style=" not in html
    device = TOTPDevice.objects.get(user__username="dana", confirmed=False)
    assert re.search(r'<code id="totp-secret">[A-Z2-7=]+</code>', html)

    response = client.post("/admin/second-factor/setup/", {"token": _code(device), "next": "/admin/"})

    assert response.status_code == 200
    assert StaticToken.objects.filter(device__user__username="dana").count() == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_a_totp_code_signs_in_only_once(client):
    user = _staff()
    device = TOTPDevice.objects.create(user=user, name="phone")
    code = _code(device)
    _sign_in(client)
    assert client.post("/admin/second-factor/", {"token": code}).status_code == 302
    assert client.get("/admin/").status_code == 200

    replay = Client()
    _sign_in(replay)
    response = replay.post("/admin/second-factor/", {"token": code})

    assert response.status_code == 200
    assert b"used already" in response.content
    assert replay.get("/admin/").status_code == 302


def test_addstatictoken_issues_a_recovery_code_that_works_once(client, capsys):
    _staff()
    call_command("addstatictoken", "dana")
    token = capsys.readouterr().out.strip()
    _sign_in(client)
    assert client.post("/admin/second-factor/", {"token": token}).status_code == 302
    client.post("/admin/logout/")

    _sign_in(client)
    assert client.post("/admin/second-factor/", {"token": token}).status_code == 200
    assert client.get("/admin/").status_code == 302


def test_wrong_codes_count_toward_the_lockout(client):
    user = _staff()
    make_recovery_token(user, "right")
    _sign_in(client)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/admin/second-factor/", {"token": "000000"}).status_code == 200
    assert client.post("/admin/second-factor/", {"token": "000000"}).status_code == 429

    response = client.post("/admin/second-factor/", {"token": "right"})

    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302


def test_staff_session_ends_after_staff_session_seconds(client, settings):
    settings.STAFF_SESSION_SECONDS = 600
    make_recovery_token(_staff())
    _sign_in(client)
    assert 590 <= client.session.get_expiry_age() <= 600
    assert client.session.get_expire_at_browser_close() is False


def test_superuser_removes_a_lost_device(client):
    owner = _staff()
    device = TOTPDevice.objects.create(user=owner, name="lost phone")
    admin_user = make_staff_user(username="root", is_superuser=True)
    sign_in_staff(client, admin_user)

    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_supporter_data_staff_cannot_touch_devices(client):
    sign_in_staff(client, _staff())
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 403
