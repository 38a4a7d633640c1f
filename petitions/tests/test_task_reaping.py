"""A worker killed mid-task: its task is queued again, and the signer still gets one email."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from petitions.models import Signature
from petitions.services.staff import resend_confirmations
from petitions.tests.factories import make_petition, sign_data

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed(client, settings):
    """A signature with its confirmation task queued in the real database backend."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    petition = make_petition()
    assert client.post(petition.get_absolute_url(), sign_data(petition)).status_code == 303
    return Signature.objects.get()


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")


def killed_while_running(worker_id="node-b"):
    """The queue as a worker killed by kill -9 leaves it: its task RUNNING, never finished."""
    DBTaskResult.objects.update(status="RUNNING", started_at=timezone.now(), worker_ids=[worker_id])


def reap(*args):
    call_command("reap_tasks", *args)


def test_a_task_killed_before_it_sent_is_sent_once_reaped(signed):
    killed_while_running()
    run_worker()
    assert mail.outbox == []  # RUNNING: no worker takes it
    reap("--worker-id", "node-b")
    run_worker()
    assert len(mail.outbox) == 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_task_killed_after_it_sent_sends_nothing_more(signed):
    run_worker()
    killed_while_running()  # sent, but the worker died before recording success
    reap("--worker-id", "node-b")
    run_worker()
    assert len(mail.outbox) == 1
    task = DBTaskResult.objects.get()
    assert (task.status, task.return_value) == ("SUCCESSFUL", False)


def test_staff_resend_after_a_sent_email_still_sends(signed):
    run_worker()
    assert resend_confirmations(queryset=Signature.objects.all()) == 1
    run_worker()
    assert len(mail.outbox) == 2


def test_the_reaper_leaves_other_workers_and_recent_tasks_alone(signed):
    killed_while_running("node-a")
    reap("--worker-id", "node-b")
    reap("--older-than", "3600")
    assert DBTaskResult.objects.get().status == "RUNNING"
    reap("--older-than", "0")
    assert DBTaskResult.objects.get().status == "READY"


def test_a_task_killed_between_its_claim_and_the_send_sends_nothing_but_resend_does(signed, monkeypatch):
    """At most once: the claim is made before the send, so a re-run never sends a second email."""
    from django.core.mail import EmailMultiAlternatives

    from petitions.tasks import send_confirmation

    def killed(self, *args, **kwargs):
        raise SystemExit("kill -9 after the claim")

    task = DBTaskResult.objects.get()
    monkeypatch.setattr(EmailMultiAlternatives, "send", killed)
    with pytest.raises(SystemExit):  # the task's body, as the killed worker ran it
        send_confirmation.call(*task.args_kwargs["args"], **task.args_kwargs["kwargs"])
    monkeypatch.undo()
    assert Signature.objects.get().confirmation_sent_at is not None  # claimed
    killed_while_running()
    reap("--worker-id", "node-b")
    run_worker()
    assert mail.outbox == []  # the lost email is not sent by the re-run...
    assert resend_confirmations(queryset=Signature.objects.all()) == 1
    run_worker()
    assert len(mail.outbox) == 1  # ...but staff's resend asks anew


def test_two_runs_of_one_task_send_one_email(signed):
    """Two workers holding one task (the reaped one and its original): one claim wins."""
    from petitions.tasks import send_confirmation

    task = DBTaskResult.objects.get()
    kwargs = task.args_kwargs["kwargs"]
    assert send_confirmation.call(*task.args_kwargs["args"], **kwargs) is True
    assert send_confirmation.call(*task.args_kwargs["args"], **kwargs) is False
    assert len(mail.outbox) == 1
