"""Updates in a browser: staff write, preview and send one; a supporter unsubscribes without JavaScript."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
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


def in_language(language, text):
    with translation.override(language):
        return gettext(text)


def test_staff_write_preview_test_and_send_an_update(browser, live_server):
    petition = make_petition(title="For a Commission of Inquiry")
    make_subscriber(petition, email="supporter@example.org")
    make_subscriber(petition, email="other@example.org", language="ko")
    user = make_staff_user(email="sender@campaign.example.org")
    user.user_permissions.add(Permission.objects.get(codename="send_update"))
    page = staff_page(browser, live_server, user)

    page.goto("/admin/petitions/update/add/")
    page.select_option("#id_petition", str(petition.pk))
    page.fill("#id_subject_en", "The Council has answered")
    page.fill("#id_body_en", "It *answered* today.\n\nRead [the answer](https://example.org/answer).")
    page.fill("#id_subject_ko", "이사회가 답했습니다")
    page.fill("#id_body_ko", "오늘 *답했습니다*.")
    page.click("input[name=_continue]")
    page.click("text=Preview, test and send")

    expect(page.locator(".update-reach strong")).to_have_text("2")
    expect(page.locator("tr[data-language=ko] .update-reach-count")).to_have_text("1")
    expect(page.locator(".update-preview-html em")).to_have_text("answered")
    expect(page.locator(".update-preview-text")).to_contain_text("the answer (https://example.org/answer)")
    page.click(".update-preview-languages >> text=Korean")
    expect(page.locator(".update-preview-html em")).to_have_text("답했습니다")
    page.click("input[name=test]")
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["sender@campaign.example.org"], "이사회가 답했습니다")
    ]

    page.click("input[name=send]")
    expect(page.locator("progress.update-progress")).to_have_attribute("value", "2")
    expect(page.locator(".field-progress")).to_contain_text("2 sent, 0 failed, 0 queued")
    assert sorted((message.to[0], message.subject) for message in mail.outbox[1:]) == [
        ("other@example.org", "이사회가 답했습니다"),
        ("supporter@example.org", "The Council has answered"),
    ]
    assert Update.objects.get().is_sent
    assert_no_problems(page)

    page.goto(f"/en/petitions/{petition.slug}/")
    expect(page.locator(".petition-update h3")).to_have_text("The Council has answered")
    page.goto(f"/ko/petitions/{petition.slug}/")
    expect(page.locator(".petition-update h3")).to_have_text("이사회가 답했습니다")
    page.context.close()


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_supporter_unsubscribes_and_subscribes_again_without_javascript(browser, live_server, language):
    signature = make_subscriber(make_petition(title="For a Commission of Inquiry"), language=language)
    token = tokens.make_token(signature=signature, purpose="unsubscribe")
    # A browser asking for French still gets the page in the language the supporter signed in.
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="fr-FR")
    page = new_page(context)

    page.goto(f"/unsubscribe/{token}/")
    assert page.url.endswith(f"/unsubscribe/{token}/")  # no redirect to a language prefix
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_have_text(in_language(language, "Stop updates"))
    page.click(f"button:has-text('{in_language(language, 'Unsubscribe')}')")
    expect(page.locator("h1")).to_have_text(in_language(language, "You are unsubscribed"))
    signature.refresh_from_db()
    assert signature.unsubscribed_at is not None and signature.state == Signature.State.CONFIRMED

    page.click(f"button:has-text('{in_language(language, 'Subscribe again')}')")
    expect(page.locator("h1")).to_have_text(in_language(language, "Stop updates"))
    signature.refresh_from_db()
    assert signature.unsubscribed_at is None
    assert re.search(r"noindex", page.locator("meta[name=robots]").get_attribute("content"))
    context.close()
