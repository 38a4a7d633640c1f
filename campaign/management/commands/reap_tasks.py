"""Queue again the tasks a killed worker left "running" (django-tasks-db never does it by itself)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult


def reap_tasks(*, worker_id=None, older_than=None):
    """Return to READY the running tasks last claimed by `worker_id`, or started over `older_than` s ago.

    A worker that dies by ``kill -9`` or a lost machine leaves its task RUNNING
    for ever. Name the worker when it is known not to run (its systemd unit's
    ``ExecStartPre``, before it starts again under the same id); give an age
    for a node that is gone for good (longer than any task may take). Each
    task is returned by a conditional UPDATE, so a worker that finishes it
    meanwhile wins. The tasks themselves must be safe to run again
    (``petitions.tasks.send_confirmation`` is). Returns the ids returned.
    """
    if not worker_id and older_than is None:
        raise ValueError("Name a worker or an age.")
    running = DBTaskResult.objects.running()
    if older_than is not None:
        running = running.filter(started_at__lt=timezone.now() - timedelta(seconds=older_than))
    reaped = []
    # A handful of rows at most; the worker ids are a JSON list (no portable "contains" lookup).
    for task_id, worker_ids in running.values_list("id", "worker_ids"):
        if worker_id and (not worker_ids or worker_ids[-1] != worker_id):
            continue
        if (
            DBTaskResult.objects.running()
            .filter(pk=task_id)
            .update(status=TaskResultStatus.READY, started_at=None)
        ):
            reaped.append(task_id)
    return reaped


class Command(BaseCommand):
    help = (
        "Queue again the tasks left RUNNING by a worker that was killed: those last claimed by "
        "--worker-id (a worker known to be stopped), or started more than --older-than seconds ago."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--worker-id", help="The id (db_worker --worker-id) of a worker that is not running."
        )
        parser.add_argument("--older-than", type=float, help="Seconds since a running task was started.")

    def handle(self, *args, worker_id=None, older_than=None, **options):
        if not worker_id and older_than is None:
            raise CommandError("Give --worker-id, --older-than, or both.")
        reaped = reap_tasks(worker_id=worker_id, older_than=older_than)
        self.stdout.write(f"{len(reaped)} task(s) queued again.")
