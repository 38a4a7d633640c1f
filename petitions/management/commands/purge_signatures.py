"""Retention: delete stale pending and suspected signatures, anonymise those of long-closed petitions."""

from django.conf import settings
from django.core.management.base import BaseCommand

from petitions.services import audit, retention


class Command(BaseCommand):
    help = (
        "Delete pending signatures whose creation and last confirmation email are older than "
        "PETITION_PENDING_RETENTION_DAYS, delete suspected signatures older than "
        "PETITION_SUSPECTED_RETENTION_DAYS, and anonymise the signatures of petitions closed more "
        "than PETITION_CLOSED_RETENTION_DAYS ago; prune the staff action log after STAFF_LOG_RETENTION_DAYS and finished task results after TASK_RESULT_RETENTION_DAYS. Safe to run repeatedly (e.g. daily)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted and anonymised."
        )

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            counts = {
                part: queryset.count() for part, queryset in retention.find_signatures_to_purge().items()
            }
            delete, anonymise = "would delete", "would anonymise"
        else:
            counts = retention.purge_signatures()
            delete, anonymise = "deleted", "anonymised"
            pruned = audit.prune_staff_log()
            tasks = retention.prune_task_results()
            self.stdout.write(
                f"Deleted {pruned} staff log entr{'y' if pruned == 1 else 'ies'} older than "
                f"{settings.STAFF_LOG_RETENTION_DAYS} days and {tasks} finished task result(s) older "
                f"than {settings.TASK_RESULT_RETENTION_DAYS} days."
            )
        self.stdout.write(
            f"{delete.capitalize()} {counts['deleted_pending']} pending signature(s) older than "
            f"{settings.PETITION_PENDING_RETENTION_DAYS} days; {delete} {counts['deleted_suspected']} "
            f"suspected signature(s) older than {settings.PETITION_SUSPECTED_RETENTION_DAYS} days; "
            f"{anonymise} {counts['anonymised']} signature(s) of petitions closed more than "
            f"{settings.PETITION_CLOSED_RETENTION_DAYS} days ago."
        )
