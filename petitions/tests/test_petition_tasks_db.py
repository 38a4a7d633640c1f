"""The confirmation email through the real database task backend (django-tasks-db)."""

import pytest
from django.core import mail
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from petitions.models import Signature
from petitions.tests.factories import make_petition, sign_data

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_signing_queues_the_email_and_the_worker_sends_it(client, database_tasks):
    petition = make_petition()
    response = client.post(petition.get_absolute_url(), sign_data(petition))
    assert response.status_code == 303
    signature = Signature.objects.get()
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "petitions.tasks.send_confirmation"
    assert queued.args_kwargs["args"] == [signature.pk]
    assert mail.outbox == []  # waiting for the worker

    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")

    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    (message,) = mail.outbox
    assert message.to == ["min-ji@example.org"]


def test_a_second_signature_queues_a_second_email_while_pending(client, database_tasks):
    petition = make_petition()
    client.post(petition.get_absolute_url(), sign_data(petition))
    client.post(petition.get_absolute_url(), sign_data(petition, email="Min-Ji@Example.org"))
    assert Signature.objects.count() == 1
    assert DBTaskResult.objects.count() == 2


def test_suspected_signature_queues_nothing(client, database_tasks):
    petition = make_petition()
    client.post(petition.get_absolute_url(), sign_data(petition, website="spam"))
    assert Signature.objects.get().state == Signature.State.SUSPECTED
    assert not DBTaskResult.objects.exists()


def test_a_signature_and_its_email_task_are_one_transaction_of_few_queries(
    client, database_tasks, django_assert_max_num_queries
):
    petition = make_petition()
    client.get(petition.get_absolute_url())
    # One SELECT (petition and consent wording), BEGIN, two INSERTs, COMMIT: a viral
    # spike is a stream of these, so each one added shows in signatures a second.
    with django_assert_max_num_queries(5):
        response = client.post(petition.get_absolute_url(), sign_data(petition))
    assert response.status_code == 303
    signature = Signature.objects.get()
    assert DBTaskResult.objects.get().args_kwargs["args"] == [signature.pk]


def test_a_duplicate_signature_leaves_no_orphan_task(client, database_tasks):
    petition = make_petition()
    client.post(petition.get_absolute_url(), sign_data(petition))
    Signature.objects.update(state=Signature.State.CONFIRMED)
    client.post(petition.get_absolute_url(), sign_data(petition, email="Min-Ji@Example.org"))
    assert Signature.objects.count() == 1
    assert DBTaskResult.objects.count() == 1  # confirmed: no second email


def _stored(signature):
    row = Signature.objects.filter(pk=signature.pk).values().get()
    task = DBTaskResult.objects.get(args_kwargs__args=[signature.pk])
    varying = {"id", "email", "email_normalised", "name", "created_at", "consented_at"}
    task_row = {
        field.name: getattr(task, field.name)
        for field in DBTaskResult._meta.concrete_fields
        if field.name not in {"id", "enqueued_at", "run_after", "args_kwargs"}
    }
    return {key: value for key, value in row.items() if key not in varying}, task_row


def test_the_one_statement_insert_stores_what_the_orm_stores(database_tasks, postgresql, monkeypatch):
    """PostgreSQL's one-statement signature-and-task INSERT and the ORM's two saves leave identical rows."""
    from django.db import transaction

    from petitions.services import storing

    petition = make_petition()
    wording = petition.consent_wordings.get()

    def new_signature(n):
        return Signature(
            petition=petition,
            name=f"Signer {n}",
            email=f"s{n}@example.org",
            email_normalised=f"s{n}@example.org",
            country="KR",
            consent_wording=wording,
            ip_hash="f" * 64,
        )

    one_statement = new_signature(1)
    storing.insert_signature(signature=one_statement, send_email=True)
    # The same call with the database reporting another vendor takes the ORM's path.
    monkeypatch.setattr(transaction.get_connection(), "vendor", "not-postgresql")
    orm = new_signature(2)
    storing.insert_signature(signature=orm, send_email=True)
    monkeypatch.undo()

    assert _stored(one_statement) == _stored(orm)
    assert DBTaskResult.objects.count() == 2
