from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, call_command

from campaign.models import Campaign

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"


class Command(BaseCommand):
    help = (
        "Load every fixture in fixtures/ into a database that has no content yet. "
        "An existing deployment is left alone, so staff edits are never overwritten; "
        "--force loads them again (rows with the same keys are updated)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Load even if content exists.")

    def handle(self, *args, force=False, **options):
        fixtures = sorted(str(path) for path in FIXTURES_DIR.glob("*.json"))
        if not fixtures:
            self.stdout.write("No fixtures to load.")
            return
        if Campaign.objects.exists() and not force:
            self.stdout.write("Content already loaded; leaving it as it is (use --force to reload).")
            return
        # One call, so that rows referring to each other across files load together.
        call_command("loaddata", *fixtures, verbosity=options["verbosity"])
