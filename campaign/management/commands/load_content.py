import json
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, call_command
from django.db import transaction

from campaign.models import Campaign
from petitions.models import Petition

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
PETITION_MODEL = "petitions.petition"


class Command(BaseCommand):
    help = (
        "Load every fixture in fixtures/ into a database that has no content yet. "
        "An existing deployment is left alone, so staff edits are never overwritten; "
        "--force loads them again (rows with the same keys are updated), except that a "
        "petition staff have featured stays the featured one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Load even if content exists.")

    def handle(self, *args, force=False, **options):
        paths = sorted(FIXTURES_DIR.glob("*.json"))
        if not paths:
            self.stdout.write("No fixtures to load.")
            return
        with transaction.atomic():
            if Campaign.objects.exists() and not force:
                self.stdout.write("Content already loaded; leaving it as it is (use --force to reload).")
                return
            documents = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in paths}
            kept = self._keep_staff_featured_petition(documents)
            with tempfile.TemporaryDirectory() as tmp:
                fixtures = []
                for name, objects in documents.items():
                    target = Path(tmp) / name
                    target.write_text(json.dumps(objects), encoding="utf-8")
                    fixtures.append(str(target))
                # One call, so that rows referring to each other across files load together.
                call_command("loaddata", *fixtures, verbosity=options["verbosity"])
        if kept is not None:
            self.stdout.write(
                f"Kept “{kept.title}” ({kept.slug}) as the featured petition, as staff chose; "
                "the fixtures' petition was loaded without the featured flag."
            )

    def _keep_staff_featured_petition(self, documents):
        """A petition staff featured stays featured: the fixtures' featured petition loads unfeatured.

        Only one petition can be featured (a database constraint), so loading the fixtures'
        featured petition over a staff choice would fail, or silently undo that choice.
        Returns the staff-featured petition that was kept, or None.
        """
        featured = [
            obj
            for objects in documents.values()
            for obj in objects
            if obj["model"] == PETITION_MODEL and obj["fields"].get("is_featured")
        ]
        if not featured:
            return None
        staff_choice = (
            Petition.objects.filter(is_featured=True).exclude(pk__in=[obj["pk"] for obj in featured]).first()
        )
        if staff_choice is None:
            return None
        for obj in featured:
            obj["fields"]["is_featured"] = False
        return staff_choice
