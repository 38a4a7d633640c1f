"""Sending an update through the real database task backend: a worker killed mid-send, then resumed."""

from datetime import timedelta

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from petitions.models import UpdateDelivery
from petitions.services import updates
from petitions.tests.factories import make_subscriber, make_update

pytestmark = [pytest.mark.django_db(transaction=True)]


class KilledWorker(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs."""


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")


def time_passes(delta):
    """Move every claim and every deferred run ``delta`` into the past, as a clock moving on would."""
    for delivery in UpdateDelivery.objects.exclude(claimed_at=None):
        UpdateDelivery.objects.filter(pk=delivery.pk).update(claimed_at=delivery.claimed_at - delta)
    for task in DBTaskResult.objects.exclude(run_after=None):
        DBTaskResult.objects.filter(pk=task.pk).update(run_after=task.run_after - delta)


def test_a_worker_killed_mid_send_resumes_and_nobody_gets_the_update_twice(settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    update = make_update()
    for _ in range(5):
        make_subscriber(update.petition)
    assert updates.send_update(update=update) == 5  # queued, and its task enqueued on commit
    assert DBTaskResult.objects.count() == 1

    real_send = EmailBackend.send_messages
    handed_over = []

    def send_then_die(self, messages):
        real_send(self, messages)
        handed_over.extend(message.to[0] for message in messages)
        if len(handed_over) == 2:
            raise KilledWorker  # after the second hand-over, before "sent" was recorded

    monkeypatch.setattr(EmailBackend, "send_messages", send_then_die)
    run_worker()
    # kill -9 leaves the task RUNNING (the worker never records its end) and one delivery "sending".
    DBTaskResult.objects.update(status="RUNNING", worker_ids=["node-b"], finished_at=None)
    assert sorted(update.deliveries.values_list("state", flat=True)) == ["queued"] * 3 + ["sending", "sent"]

    call_command("reap_tasks", "--worker-id", "node-b")  # as the worker's unit does when it starts again
    run_worker()
    assert len(handed_over) == 5 and len(set(handed_over)) == 5
    assert sorted(update.deliveries.values_list("state", flat=True)) == [
        "sending",
        "sent",
        "sent",
        "sent",
        "sent",
    ]

    # The run due once the killed worker's claim is stale settles it: failed, never sent again.
    time_passes(timedelta(minutes=11))
    run_worker()
    assert len(handed_over) == 5
    progress = updates.get_update_progress(update=update)
    assert (progress["sent"], progress["failed"], progress["queued"], progress["sending"]) == (4, 1, 0, 0)
    assert progress["reasons"] == [("interrupted: the worker stopped while sending", 1)]
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
