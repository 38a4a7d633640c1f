"""The second-factor flow in a browser: password, set up TOTP from the shown secret, reach the admin."""

import base64

import pytest
from django.contrib.auth.models import User
from django_otp.oath import totp

from tests.e2e.conftest import assert_no_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long staff password 1"


def test_staff_sets_up_an_authenticator_at_first_sign_in_and_reaches_the_admin(page):
    User.objects.create_superuser("erin", "erin@staff.example.org", PASSWORD)

    page.goto("/admin/")
    page.fill("#id_username", "erin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    page.wait_for_url("**/admin/second-factor/setup/**")
    assert page.locator("img[src^='data:image/svg+xml']").is_visible()
    secret = page.locator("#totp-secret").inner_text()
    code = str(totp(base64.b32decode(secret))).zfill(6)
    page.fill("#id_token", code)
    page.click("input[type=submit]")

    assert page.locator("#recovery-codes li").count() == 10
    page.click("text=Continue to the administration")
    page.wait_for_url("**/admin/")
    assert page.locator("#site-name").is_visible()
    assert_no_problems(page)
