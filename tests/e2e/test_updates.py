"""Updates in a browser: staff write, preview and send one; a supporter unsubscribes without JavaScript."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from playwright.sync_api import expect

from petitions.models import Signature, Update
from petitions.services import tokens
from petitions.tests.factories import make_petition, make_subscriber
from tests.e2e.conftest import assert_no_problems, new_page
from tests.factories import make_staff_user, sign_in_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def staff_page(browser, live_server, user):
    """A page signed in as ``user`` (password and second factor passed, as sign_in_staff does)."""
    client = Client()
    sign_in_staff(client, user)
    context = browser.new_context(base_url=live_server.url)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return new_page(context)


def test_staff_write_preview_test_and_send_an_update(browser, live_server):
    petition = make_petition(title="For a Commission of Inquiry")
    make_subscriber(petition, email="supporter@example.org")
    make_subscriber(petition, email="other@example.org")
    user = make_staff_user(email="sender@campaign.example.org")
    user.user_permissions.add(Permission.objects.get(codename="send_update"))
    page = staff_page(browser, live_server, user)

    page.goto("/admin/petitions/update/add/")
    page.select_option("#id_petition", str(petition.pk))
    page.fill("#id_subject", "The Council has answered")
    page.fill("#id_body", "It *answered* today.\n\nRead [the answer](https://example.org/answer).")
    page.click("input[name=_continue]")
    page.click("text=Preview, test and send")

    expect(page.locator(".update-reach strong")).to_have_text("2")
    expect(page.locator(".update-preview-html em")).to_have_text("answered")
    expect(page.locator(".update-preview-text")).to_contain_text("the answer (https://example.org/answer)")
    page.click("input[name=test]")
    assert [message.to for message in mail.outbox] == [["sender@campaign.example.org"]]

    page.click("input[name=send]")
    expect(page.locator("progress.update-progress")).to_have_attribute("value", "2")
    expect(page.locator(".field-progress")).to_contain_text("2 sent, 0 failed, 0 queued")
    assert sorted(message.to[0] for message in mail.outbox[1:]) == [
        "other@example.org",
        "supporter@example.org",
    ]
    assert Update.objects.get().is_sent
    assert_no_problems(page)

    page.goto(petition.get_absolute_url())
    expect(page.locator(".petition-update h3")).to_have_text("The Council has answered")
    page.context.close()


def test_a_supporter_unsubscribes_and_subscribes_again_without_javascript(browser, live_server):
    signature = make_subscriber(make_petition(title="For a Commission of Inquiry"))
    token = tokens.make_token(signature=signature, purpose="unsubscribe")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = new_page(context)

    page.goto(f"/unsubscribe/{token}/")
    expect(page.locator("h1")).to_have_text("Stop updates")
    page.click("text=Unsubscribe")
    expect(page.locator("h1")).to_have_text("You are unsubscribed")
    signature.refresh_from_db()
    assert signature.unsubscribed_at is not None and signature.state == Signature.State.CONFIRMED

    page.click("text=Subscribe again")
    expect(page.locator("h1")).to_have_text("Stop updates")
    signature.refresh_from_db()
    assert signature.unsubscribed_at is None
    assert re.search(r"noindex", page.locator("meta[name=robots]").get_attribute("content"))
    context.close()
