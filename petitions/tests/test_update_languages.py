"""Updates in four languages: each supporter's email, the reach per language, the page, the feed, unsubscribing."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from petitions import update_mail
from petitions.models import Update
from petitions.services import tokens, updates
from petitions.tests.factories import make_petition, make_signature, make_subscriber, make_update

pytestmark = [pytest.mark.django_db]

SITE = "https://campaign.example.org"
KOREAN = {"subject_ko": "이사회가 답했습니다", "body_ko": "유엔 인권이사회가 오늘 *답했습니다*."}


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.UPDATE_UNSUBSCRIBE_EMAIL = "unsubscribe@campaign.example.org"


def in_language(language, text):
    with translation.override(language):
        return gettext(text)


def send_all(update):
    updates.queue_deliveries(update=update)
    update_mail.deliver_update_batch(update_id=update.pk, limit=100)
    return {message.to[0]: message for message in mail.outbox}


def html_of(message):
    return message.alternatives[0][0]


# --- Each supporter's email --------------------------------------------------------


def test_each_supporter_reads_the_update_in_the_language_they_signed_in():
    update = make_update(**KOREAN)
    make_subscriber(update.petition, email="ko@example.org", language="ko")
    make_subscriber(update.petition, email="en@example.org", language="en")
    sent = send_all(update)

    korean = sent["ko@example.org"]
    assert korean.subject == "이사회가 답했습니다"
    assert "유엔 인권이사회가 오늘 답했습니다." in korean.body
    assert "<em>답했습니다</em>" in html_of(korean)
    assert '<html lang="ko">' in html_of(korean)
    assert korean.extra_headers["Content-Language"] == "ko"
    footer = in_language("ko", "Withdraw your signature and erase your details:")
    assert footer != "Withdraw your signature and erase your details:" and footer in korean.body
    assert sent["en@example.org"].subject == "The Council has answered"


def test_links_carry_the_supporters_language_except_the_unsubscribe_address():
    update = make_update(**KOREAN)
    signature = make_subscriber(update.petition, language="ko")
    (message,) = send_all(update).values()
    slug = signature.petition.slug
    for body in (message.body, html_of(message)):
        found = re.findall(r"https?://[^\s\"<>()]+", body)
        assert f"{SITE}/ko/petitions/{slug}/" in found
        assert any(link.startswith(f"{SITE}/ko/petitions/{slug}/withdraw/") for link in found)
        assert any(link.startswith(f"{SITE}/unsubscribe/") for link in found)
    assert message.extra_headers["List-Unsubscribe"].startswith(f"<{SITE}/unsubscribe/")


def test_a_language_without_the_text_reads_english_with_the_footer_in_its_own_language():
    update = make_update(**KOREAN)
    make_subscriber(update.petition, language="ja")
    (message,) = send_all(update).values()
    assert message.subject == "The Council has answered"
    assert message.extra_headers["Content-Language"] == "en"
    html = html_of(message)
    assert '<html lang="ja">' in html and '<div lang="en">' in html
    assert in_language("ja", "Stop these emails (your signature still counts):") in message.body
    assert f"{SITE}/ja/petitions/" in message.body


def test_a_half_written_translation_is_not_mixed_with_english():
    update = make_update(subject_fr="Le Conseil a répondu")  # no French body
    make_subscriber(update.petition, language="fr")
    (message,) = send_all(update).values()
    assert message.subject == "The Council has answered"
    assert update.text_language("fr") == "en"


def test_staff_must_write_subject_and_body_together_in_at_least_one_language():
    petition = make_petition()
    with pytest.raises(ValidationError) as half:
        Update(petition=petition, subject_en="News", body_en="Text", subject_ko="소식").full_clean()
    assert "body_ko" in half.value.message_dict
    with pytest.raises(ValidationError) as empty:
        Update(petition=petition).full_clean()
    assert "subject_en" in empty.value.message_dict


def test_an_update_written_only_in_korean_reaches_only_those_who_signed_in_korean():
    petition = make_petition()
    update = make_update(petition, subject="", body="", **KOREAN)
    make_subscriber(petition, email="ko@example.org", language="ko")
    make_subscriber(petition, email="en@example.org", language="en")
    make_subscriber(petition, email="fr@example.org", language="fr")
    reach = updates.count_recipients(petition=petition, update=update)
    assert reach == {"total": 1, "by_language": {"ko": 1}}
    assert list(send_all(update)) == ["ko@example.org"]


def test_the_reach_is_counted_per_language():
    update = make_update(**KOREAN)
    for language in ("ko", "ko", "ja", "en"):
        make_subscriber(update.petition, language=language)
    make_signature(update.petition, language="fr", state="confirmed")  # did not opt in
    rows = {row["code"]: row for row in updates.reach_by_language(update=update)}
    assert {code: row["recipients"] for code, row in rows.items()} == {"en": 1, "ko": 2, "ja": 1, "fr": 0}
    assert {code: row["text_language"] for code, row in rows.items()} == {
        "en": "en",
        "ko": "ko",
        "ja": "en",
        "fr": "en",
    }
    assert updates.count_recipients(petition=update.petition)["by_language"] == {"ko": 2, "ja": 1, "en": 1}


# --- The petition page and the feed, in the page's language ------------------------------


def page(petition, language):
    with translation.override(language):
        url = petition.get_absolute_url()
    return Client().get(url).content.decode()


def test_the_petition_page_shows_each_update_in_its_language_else_in_english():
    petition = make_petition()
    make_update(petition, published_at=timezone.now(), **KOREAN)
    make_update(
        petition, subject="", body="", subject_ko="한국어 소식", body_ko="본문", published_at=timezone.now()
    )
    korean = page(petition, "ko")
    assert "이사회가 답했습니다" in korean and "한국어 소식" in korean
    assert "The Council has answered" not in korean
    french = page(petition, "fr")
    assert '<h3 class="h5" lang="en">The Council has answered</h3>' in french
    assert in_language("fr", "Not yet translated: shown in English.") in french
    assert "한국어 소식" not in french  # written in neither French nor English
    assert "한국어 소식" not in page(petition, "en")


def test_the_feed_is_in_the_language_of_its_address():
    petition = make_petition()
    make_update(petition, published_at=timezone.now(), **KOREAN)
    with translation.override("ko"):
        url = reverse("petitions:update-feed", kwargs={"slug": petition.slug})
    assert url.startswith("/ko/")
    content = Client().get(url).content.decode()
    assert 'xml:lang="ko"' in content
    assert "이사회가 답했습니다" in content and "The Council has answered" not in content
    assert f"{SITE}/ko/petitions/{petition.slug}/" in content


# --- Unsubscribing: outside the language prefixes, in the signature's language -------------


def unsubscribe_address(message):
    """The https address of an email's List-Unsubscribe header, as a mail client reads it."""
    https = message.extra_headers["List-Unsubscribe"].split(",")[0].strip("<> ")
    assert https.startswith(f"{SITE}/unsubscribe/")
    return https.removeprefix(SITE)


@pytest.mark.parametrize("visitor_language", ["en", "fr"])
def test_the_one_click_post_unsubscribes_with_a_2xx_and_no_redirect(visitor_language):
    update = make_update(**KOREAN)
    signature = make_subscriber(update.petition, language="ko")
    (message,) = send_all(update).values()
    client = Client(enforce_csrf_checks=True, headers={"accept-language": visitor_language})
    client.cookies["django_language"] = visitor_language
    response = client.post(
        unsubscribe_address(message),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert 200 <= response.status_code < 300
    assert "Location" not in response
    signature.refresh_from_db()
    assert signature.unsubscribed_at is not None
    assert updates.count_recipients(petition=update.petition)["total"] == 0


@pytest.mark.parametrize("language", ["en", "ko", "ja", "fr"])
def test_the_unsubscribe_page_is_in_the_signatures_language_whatever_the_browser_asks(language):
    signature = make_subscriber(language=language)
    path = reverse(
        "mail:unsubscribe", kwargs={"token": tokens.make_token(signature=signature, purpose="unsubscribe")}
    )
    assert path.startswith("/unsubscribe/")
    response = Client(headers={"accept-language": "fr" if language != "fr" else "ja"}).get(path)
    assert response.status_code == 200  # answered here, not redirected to a prefix
    content = response.content.decode()
    assert f'<html lang="{language}">' in content
    assert f">{in_language(language, 'Unsubscribe')}</button>" in content
    assert response["Content-Language"] == language


def test_unsubscribing_from_the_page_and_undoing_it_stay_in_the_signatures_language():
    signature = make_subscriber(language="ja")
    path = reverse(
        "mail:unsubscribe", kwargs={"token": tokens.make_token(signature=signature, purpose="unsubscribe")}
    )
    client = Client(enforce_csrf_checks=True)  # the page's forms work without a CSRF cookie or JavaScript
    response = client.post(path, {"action": "unsubscribe"})
    assert response.status_code == 303 and response["Location"] == path
    assert in_language("ja", "You are unsubscribed") in client.get(path).content.decode()
    assert client.post(path, {"action": "subscribe"}).status_code == 303
    signature.refresh_from_db()
    assert signature.unsubscribed_at is None
