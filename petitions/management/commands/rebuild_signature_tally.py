"""Recount the figures' tally (petitions.services.tally) from the confirmed signatures."""

from django.core.management.base import BaseCommand, CommandError

from petitions.models import Petition
from petitions.services import tally


class Command(BaseCommand):
    help = (
        "Rebuild the tally of confirmed signatures per petition, hour or day, country and member "
        "from the signatures themselves (after a bulk load, a restore, or a member deleted outside "
        "the admin). Safe to run at any time: on PostgreSQL confirmations wait for the moment it takes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--petition", action="append", default=[], help="A petition's slug (repeatable).")

    def handle(self, *args, petition, **options):
        petition_ids = None
        if petition:
            found = dict(Petition.objects.filter(slug__in=petition).values_list("slug", "pk"))
            missing = sorted(set(petition) - set(found))
            if missing:
                raise CommandError(f"No petition with the slug {', '.join(missing)}.")
            petition_ids = list(found.values())
        rows = tally.rebuild_tally(petition_ids=petition_ids)
        self.stdout.write(f"Rebuilt the tally: {rows} rows.")
