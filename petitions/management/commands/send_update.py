"""Send an update to a petition's supporters from the command line, as the admin does.

``--language`` names the language the subject and body are written in (English by default).
An English update reaches every supporter; one in another language reaches only those who
signed in it (there is no English to fall back to). Translations are added in the admin.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from petitions.models import Petition, Update
from petitions.services import updates


class Command(BaseCommand):
    help = "Email an update to the petition's confirmed signers who opted in (--dry-run: only count them)."

    def add_arguments(self, parser):
        parser.add_argument("--petition", required=True, help="The petition's slug.")
        parser.add_argument("--subject", required=True)
        parser.add_argument("--body-file", required=True, type=Path, help="The body, in the update markup.")
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            help="The language the subject and body are written in, a code from settings.LANGUAGES "
            "[%(default)s]. Not English: it reaches only the supporters who signed in that language.",
        )
        parser.add_argument("--no-publish", action="store_true", help="Do not show it on the petition page.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print how many it would reach; send nothing."
        )

    def handle(self, *args, petition, subject, body_file, language, no_publish, dry_run, **options):
        found = Petition.objects.published().filter(slug=petition).first()
        if found is None:
            raise CommandError(f"No published petition with the slug {petition!r}.")
        if language not in dict(settings.LANGUAGES):
            codes = ", ".join(code for code, _ in settings.LANGUAGES)
            raise CommandError(f"Unknown language {language!r}; choose one of: {codes}.")
        try:
            body = body_file.read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot read {body_file}: {error.strerror}.") from None
        if not subject.strip() or not body.strip():
            raise CommandError("The subject and the body must not be empty.")
        update = Update(petition=found, publish_on_petition=not no_publish)
        setattr(update, f"subject_{language}", subject)
        setattr(update, f"body_{language}", body)
        reach = updates.count_recipients(petition=found, update=update)
        per_language = ", ".join(f"{code}: {n}" for code, n in sorted(reach["by_language"].items()))
        if dry_run:
            self.stdout.write(
                f"It would reach {reach['total']} supporter(s) ({per_language or 'none'}). Nothing was sent."
            )
            return
        try:
            update = updates.create_update(
                petition=found,
                subject=subject,
                body=body,
                language=language,
                publish_on_petition=not no_publish,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        queued = updates.send_update(update=update)
        self.stdout.write(f"Update {update.pk}: queued for {queued} supporter(s) ({per_language or 'none'}).")
