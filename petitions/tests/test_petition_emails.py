"""The confirmation email: what a signer receives."""

import re
import smtplib

import pytest
from django.core import mail
from django.test import Client

from petitions.models import Signature
from petitions.tasks import send_confirmation
from petitions.tests.factories import make_petition, make_signature, sign_data

pytestmark = [pytest.mark.django_db]


def links(text):
    return re.findall(r"https?://[^\s\"<>]+", text)


@pytest.fixture
def emailed_signature(settings):
    settings.SITE_URL = "https://campaign.example.org"
    petition = make_petition(title="For a Commission of Inquiry")
    signature = make_signature(petition, name="Kim Min-ji", email="min-ji@example.org")
    assert send_confirmation.call(signature.pk) is True
    return signature


def test_email_goes_to_the_signer_with_a_clear_subject(emailed_signature):
    (message,) = mail.outbox
    assert message.to == ["min-ji@example.org"]
    assert message.subject == "Please confirm your signature: For a Commission of Inquiry"


def test_email_has_text_and_html_with_absolute_confirm_and_withdraw_links(emailed_signature):
    (message,) = mail.outbox
    slug = emailed_signature.petition.slug
    text_links = links(message.body)
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    html_links = links(html)
    for found in (text_links, html_links):
        assert any(
            link.startswith(f"https://campaign.example.org/en/petitions/{slug}/confirm/") for link in found
        )
        assert any(
            link.startswith(f"https://campaign.example.org/en/petitions/{slug}/withdraw/") for link in found
        )
    assert "Dear Kim Min-ji" in message.body and "Dear Kim Min-ji" in html
    assert "7 days" in message.body


def test_links_in_the_email_confirm_and_withdraw(emailed_signature, settings):
    settings.PETITION_COUNT_MAX_AGE = 0
    (message,) = mail.outbox
    confirm = next(link for link in links(message.body) if "/confirm/" in link)
    withdraw = next(link for link in links(message.body) if "/withdraw/" in link)
    client = Client()
    path = confirm.removeprefix("https://campaign.example.org")
    assert client.post(path).status_code == 303
    emailed_signature.refresh_from_db()
    assert emailed_signature.state == Signature.State.CONFIRMED
    client.post(withdraw.removeprefix("https://campaign.example.org"))
    emailed_signature.refresh_from_db()
    assert emailed_signature.state == Signature.State.WITHDRAWN


def test_names_are_escaped_in_html_but_plain_in_text():
    petition = make_petition()
    signature = make_signature(petition, name="<b>O'Brien</b>")
    send_confirmation.call(signature.pk)
    (message,) = mail.outbox
    assert "Dear <b>O'Brien</b>" in message.body
    assert "&lt;b&gt;O&#x27;Brien&lt;/b&gt;" in message.alternatives[0][0]


@pytest.mark.parametrize("state", ["confirmed", "withdrawn", "suspected", "invalidated"])
def test_no_email_unless_the_signature_is_pending(state):
    signature = make_signature(make_petition(), state=state)
    assert send_confirmation.call(signature.pk) is False
    assert mail.outbox == []


def test_missing_signature_sends_nothing():
    assert send_confirmation.call(123456) is False
    assert mail.outbox == []


def test_mail_server_errors_propagate_so_the_task_is_retried(monkeypatch):
    signature = make_signature(make_petition())

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_confirmation.call(signature.pk)
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING
    assert signature.confirmation_sent_at is None  # nothing went out: retention counts from signing


def test_a_sent_email_is_recorded_on_the_signature(emailed_signature):
    before = emailed_signature.confirmation_sent_at
    emailed_signature.refresh_from_db()
    assert before is None
    assert emailed_signature.confirmation_sent_at >= emailed_signature.created_at


def test_signing_through_the_form_sends_the_email_after_commit(client, django_capture_on_commit_callbacks):
    petition = make_petition()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(petition.get_absolute_url(), sign_data(petition))
    assert mail.outbox == []  # nothing is sent before the signature is committed
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
