"""Retention: delete stale pending signatures and anonymise those of long-closed petitions."""

from django.conf import settings
from django.core.management.base import BaseCommand

from campaign import services


class Command(BaseCommand):
    help = (
        "Delete pending signatures older than PETITION_PENDING_RETENTION_DAYS and anonymise the "
        "signatures of petitions closed more than PETITION_CLOSED_RETENTION_DAYS ago. Safe to run "
        "repeatedly (e.g. daily)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted and anonymised."
        )

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            stale_pending, to_anonymise = services.signatures_to_purge()
            counts = {"deleted_pending": stale_pending.count(), "anonymised": to_anonymise.count()}
            verbs = ("would delete", "would anonymise")
        else:
            counts = services.purge_signatures()
            verbs = ("deleted", "anonymised")
        self.stdout.write(
            f"{verbs[0].capitalize()} {counts['deleted_pending']} pending signature(s) older than "
            f"{settings.PETITION_PENDING_RETENTION_DAYS} days; {verbs[1]} {counts['anonymised']} "
            f"signature(s) of petitions closed more than {settings.PETITION_CLOSED_RETENTION_DAYS} days ago."
        )
