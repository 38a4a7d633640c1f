"""A failing mail server: the confirmation email is retried later, never lost, never looping."""

import logging
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from petitions.models import Signature
from petitions.tasks import MAX_ATTEMPTS, RETRY_DELAYS, send_confirmation
from petitions.tests.factories import make_petition, make_signature, sign_data


class DisconnectingBackend(BaseEmailBackend):
    """A mail server that drops every connection."""

    attempts = 0

    def send_messages(self, email_messages):
        DisconnectingBackend.attempts += 1
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def mail_down(settings):
    DisconnectingBackend.attempts = 0
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.DisconnectingBackend"}}
    return settings


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")


@pytest.mark.django_db(transaction=True)
def test_worker_retries_later_and_the_email_goes_out_when_mail_works(client, database_tasks, mail_down):
    petition = make_petition()
    assert client.post(petition.get_absolute_url(), sign_data(petition)).status_code == 303
    signature = Signature.objects.get()

    run_worker()

    first, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert first.status == "FAILED"
    assert "SMTPServerDisconnected" in first.exception_class_path
    assert retry.status == "READY"
    # The retry keeps the first request's time: an email sent since (a resend) makes it a no-op.
    assert retry.args_kwargs == {
        "args": [signature.pk],
        "kwargs": {"attempt": 2, **first.args_kwargs["kwargs"]},
    }
    assert timezone.now() + timedelta(seconds=50) < retry.run_after < timezone.now() + timedelta(minutes=2)
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING

    mail_down.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    run_worker()  # not due yet: nothing happens
    assert mail.outbox == []
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())  # a minute later
    run_worker()

    retry.refresh_from_db()
    assert retry.status == "SUCCESSFUL"
    (message,) = mail.outbox
    assert message.to == ["min-ji@example.org"]
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING  # until the signer clicks


@pytest.mark.django_db
def test_backoff_grows_and_stops_after_the_last_attempt(database_tasks, mail_down, caplog):
    signature = make_signature(make_petition())
    for attempt in range(1, MAX_ATTEMPTS + 1):
        before = timezone.now()
        with pytest.raises(smtplib.SMTPServerDisconnected):
            send_confirmation.call(signature.pk, attempt=attempt)
        if attempt < MAX_ATTEMPTS:
            queued = DBTaskResult.objects.get(args_kwargs__kwargs__attempt=attempt + 1)
            assert queued.run_after - before >= RETRY_DELAYS[attempt - 1]
            assert queued.run_after - before < RETRY_DELAYS[attempt - 1] + timedelta(seconds=30)
    assert MAX_ATTEMPTS == 6
    assert [delay.total_seconds() for delay in RETRY_DELAYS] == [60, 300, 1800, 7200, 43200]
    assert DBTaskResult.objects.count() == MAX_ATTEMPTS - 1  # no seventh attempt
    assert DisconnectingBackend.attempts == MAX_ATTEMPTS
    gave_up = [r for r in caplog.records if r.levelno == logging.ERROR and "giving up" in r.getMessage()]
    assert len(gave_up) == 1
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING


@pytest.mark.django_db
def test_immediate_backend_fails_once_without_looping(
    client, mail_down, caplog, django_capture_on_commit_callbacks
):
    petition = make_petition()
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = client.post(petition.get_absolute_url(), sign_data(petition))
    assert response.status_code == 303  # the signer still sees the thanks page
    assert DisconnectingBackend.attempts == 1
    assert any("cannot retry later" in r.getMessage() for r in caplog.records)
    assert Signature.objects.get().state == Signature.State.PENDING
