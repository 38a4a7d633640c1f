"""The sign-in lockout behind the proxy: the attacker's address is locked, the staff member's is not."""

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import make_recovery_token, make_staff_user

PASSWORD = "a long staff password 1"
ATTACKER = "203.0.113.66"
STAFF_MEMBER = "198.51.100.7"
PROXY = "127.0.0.1"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def behind_one_proxy(settings):
    settings.PROXY_COUNT = 1
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fay():
    user = make_staff_user(username="fay")
    user.set_password(PASSWORD)
    user.save()
    make_recovery_token(user, "fay-recovery")
    return user


def _sign_in(client, address, password):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "fay", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=address,
    )


def test_attackers_address_is_locked_and_the_staff_members_still_works(fay):
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = _sign_in(attacker, ATTACKER, "guess")
    assert response.status_code == 429
    assert _sign_in(attacker, ATTACKER, PASSWORD).status_code == 429

    staff_member = Client()
    response = _sign_in(staff_member, STAFF_MEMBER, PASSWORD)

    assert response.status_code == 302
    assert "_auth_user_id" in staff_member.session


def test_a_forged_forwarded_header_before_the_proxys_entry_changes_nothing(fay):
    attacker = Client()
    for number in range(settings.AXES_FAILURE_LIMIT):
        # The attacker writes a new address each time; the proxy appends the one it saw.
        response = _sign_in(attacker, f"192.0.2.{number}, {ATTACKER}", "guess")
    assert response.status_code == 429


def test_failures_across_addresses_reach_the_per_username_ceiling(fay, settings):
    settings.AXES_USERNAME_FAILURE_LIMIT = 6
    for number in range(6):
        _sign_in(Client(), f"192.0.2.{number}", "guess")

    response = _sign_in(Client(), STAFF_MEMBER, PASSWORD)

    assert response.status_code == 429
