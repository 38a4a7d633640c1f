"""Send an update to a petition's supporters from the command line, as the admin does."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from petitions.models import Petition
from petitions.services import updates


class Command(BaseCommand):
    help = "Email an update to the petition's confirmed signers who opted in (--dry-run: only count them)."

    def add_arguments(self, parser):
        parser.add_argument("--petition", required=True, help="The petition's slug.")
        parser.add_argument("--subject", required=True)
        parser.add_argument("--body-file", required=True, type=Path, help="The body, in the update markup.")
        parser.add_argument(
            "--language", help="A code from settings.LANGUAGES (updates are in one language for now)."
        )
        parser.add_argument("--no-publish", action="store_true", help="Do not show it on the petition page.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print how many it would reach; send nothing."
        )

    def handle(self, *args, petition, subject, body_file, language, no_publish, dry_run, **options):
        found = Petition.objects.published().filter(slug=petition).first()
        if found is None:
            raise CommandError(f"No published petition with the slug {petition!r}.")
        if language is not None and language not in dict(settings.LANGUAGES):
            codes = ", ".join(code for code, _ in settings.LANGUAGES)
            raise CommandError(f"Unknown language {language!r}; choose one of: {codes}.")
        try:
            body = body_file.read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot read {body_file}: {error.strerror}.") from None
        if not subject.strip() or not body.strip():
            raise CommandError("The subject and the body must not be empty.")
        reach = updates.count_recipients(petition=found)["total"]
        if dry_run:
            self.stdout.write(f"It would reach {reach} supporter(s). Nothing was sent.")
            return
        update = updates.create_update(
            petition=found, subject=subject, body=body, publish_on_petition=not no_publish
        )
        queued = updates.send_update(update=update)
        self.stdout.write(f"Update {update.pk}: queued for {queued} supporter(s).")
