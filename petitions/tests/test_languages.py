"""Signing, confirming and withdrawing in the signer's language; one count across languages."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from petitions.models import Signature
from petitions.services import counting
from petitions.tasks import send_confirmation
from petitions.tests.factories import make_consent, make_petition, make_signature, sign_data

pytestmark = pytest.mark.django_db

TITLES = {
    "en": "For a UN Commission of Inquiry",
    "ko": "유엔 조사위원회 설치를 위하여",
    "ja": "国連調査委員会の設置を求めて",
    "fr": "Pour une commission d'enquête de l'ONU",
}
CONSENT = {
    "en": "I agree that my details are kept to count my signature.",
    "ko": "서명 집계를 위해 제 정보가 보관되는 데 동의합니다.",
    "ja": "署名を数えるために私の情報が保存されることに同意します。",
    "fr": "J'accepte que mes informations soient conservées pour compter ma signature.",
}


@pytest.fixture
def petition():
    petition = make_petition(
        slug="coi", consent_text=None, **{f"title_{code}": t for code, t in TITLES.items()}
    )
    make_consent(petition, **{f"text_{code}": text for code, text in CONSENT.items()})
    return petition


def _url(name, language, **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs)


def _link(body, purpose):
    return re.search(rf"https?://[^/\s]+(/\w\w/petitions/coi/{purpose}/[^/\s\"<]+/)", body).group(1)


@pytest.mark.parametrize(
    ("language", "form_text", "thanks", "subject", "confirmed", "withdrawn"),
    [
        (
            "ja",
            "お名前",
            "メールを確認してください",
            "署名の確認をお願いします:",
            "署名が確認されました",
            "署名は撤回されました",
        ),
        (
            "ko",
            "이름",
            "이메일을 확인해 주세요",
            "서명을 확인해 주세요: ",
            "서명이 확인되었습니다",
            "서명이 철회되었습니다",
        ),
    ],
)
def test_sign_confirm_and_withdraw_entirely_in_the_signers_language(
    petition, language, form_text, thanks, subject, confirmed, withdrawn, django_capture_on_commit_callbacks
):
    """No JavaScript: plain GETs and form POSTs, the links read from the email sent."""
    client = Client()
    page = client.get(_url("petitions:detail", language, slug="coi"))
    assert form_text in page.text and CONSENT[language] in page.text and TITLES[language] in page.text

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("petitions:detail", language, slug="coi"), sign_data(petition), follow=True
        )
    assert response.redirect_chain[-1][0] == _url("petitions:thanks", language, slug="coi")
    assert thanks in response.text

    signature = Signature.objects.get(petition=petition)
    assert signature.language == language
    assert signature.consent_wording.text_ja == CONSENT["ja"]  # the exact version, in every language

    (message,) = mail.outbox
    assert message.subject == subject + TITLES[language]
    html, _ = message.alternatives[0]
    assert f'<html lang="{language}">' in html
    confirm, withdraw = _link(message.body, "confirm"), _link(message.body, "withdraw")
    assert confirm.startswith(f"/{language}/") and withdraw.startswith(f"/{language}/")

    assert f'<html lang="{language}">' in client.get(confirm).text
    response = client.post(confirm, {"name": "Kim Min-ji", "country": "KR"}, follow=True)
    assert confirmed in response.text
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED

    response = client.post(withdraw, follow=True)
    assert withdrawn in response.text
    signature.refresh_from_db()
    assert signature.state == Signature.State.WITHDRAWN


def test_a_later_email_uses_the_language_the_signer_signed_in(petition):
    signature = make_signature(petition, language="fr")
    with translation.override("ko"):  # e.g. staff resending from a Korean admin
        assert send_confirmation.call(signature.pk) is True
    (message,) = mail.outbox
    assert message.subject == f"Veuillez confirmer votre signature : {TITLES['fr']}"
    assert "/fr/petitions/coi/confirm/" in message.body
    assert "Bonjour" in message.body


def test_an_untranslated_petition_emails_the_english_title_in_the_signers_words(settings):
    petition = make_petition(slug="plain", title="Plain English title")
    signature = make_signature(petition, language="ja")
    send_confirmation.call(signature.pk)
    (message,) = mail.outbox
    assert message.subject == "署名の確認をお願いします:Plain English title"


def test_the_count_is_one_total_across_languages(petition, settings):
    settings.PETITION_COUNT_MAX_AGE = 0
    for language in ("en", "ko", "ja", "fr"):
        make_signature(petition, language=language, state=Signature.State.CONFIRMED)
    assert counting.get_signature_count(petition=petition) == 4
    for language in ("ko", "fr"):
        html = Client().get(_url("petitions:detail", language, slug="coi")).text
        assert '<span class="petition-count-figure">4</span>' in html
