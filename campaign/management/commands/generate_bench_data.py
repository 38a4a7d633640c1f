"""Data for `make bench`: members, testimonies, a petition and many signatures.

On PostgreSQL the signatures are made by the database itself, in one
``INSERT … SELECT … FROM generate_series`` with the indexes dropped and rebuilt
afterwards (a million in some seconds); other databases get ``bulk_create``
from the same rows made in Python (fine for the small numbers tests use).
Run it again with a larger ``--signatures`` to top the petition up: it adds
only the missing rows. Meant for a throwaway benchmark database, never for a
deployment: the members and testimonies it makes are labelled as generated.
"""

import datetime
import hashlib
import json
import time

from django.core.cache import cache
from django.core.management import BaseCommand, CommandError, call_command
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from coalition.models import Member
from pagecache import bump_content_version
from petitions.models import ConsentWording, Petition, Signature
from testimonies.models import Passage, Testimony, Topic

BENCH_DOMAIN = "bench.example.org"  # every address this command (and make bench) makes ends with it
CONFIRM_DOMAIN = "confirm.bench.example.org"
# From this many rows on, indexes and constraints are rebuilt after loading.
REBUILD_FROM = 100_000
BENCH_PETITION_SLUG = "bench-petition"
COUNTRIES = ["GB", "US", "KR", "JP", "DE", "FR", "CA", "AU", "NL", "SE", "", "IT", "ES", "BR", "IN"]
# Confirmed, pending, withdrawn, invalidated: out of 100.
STATE_SHARES = [
    (90, Signature.State.CONFIRMED),
    (96, Signature.State.PENDING),
    (98, Signature.State.WITHDRAWN),
    (100, Signature.State.INVALIDATED),
]
# Makes the token for petitions:confirm from a Signature: the adapter
# below, or any function with that shape (tests point it elsewhere).
CONFIRM_TOKEN_FUNCTION = "campaign.management.commands.generate_bench_data.make_confirm_token"
COPY_COLUMNS = (
    "petition_id",
    "name",
    "email",
    "email_normalised",
    "country",
    "comment",
    "show_name",
    "keep_informed",
    "consent_wording_id",
    "consented_at",
    "state",
    "created_at",
    "confirmed_at",
    "withdrawn_at",
    "ip_hash",
    "referrer_id",
    "language",  # no database default: the bench's signers all sign in English
)
FILLER = (
    "Generated text for the benchmark, standing in for a member's description or a "
    "testimony's context of a realistic length. "
)


def real_signatures():
    """Signatures whose address is not one of the bench's (withdrawn and anonymised ones left aside)."""
    made_here = Q(email_normalised__endswith=BENCH_DOMAIN)
    return Signature.objects.exclude(made_here | Q(email_normalised__regex=r"^(withdrawn|anonymised)-"))


class Command(BaseCommand):
    help = "Generate benchmark data: members, testimonies, an open petition and N signatures."

    def add_arguments(self, parser):
        parser.add_argument("--signatures", type=int, default=1000, help="Total signatures wanted.")
        parser.add_argument("--members", type=int, default=60)
        parser.add_argument("--testimonies", type=int, default=12)
        parser.add_argument(
            "--confirm-tokens",
            type=int,
            default=0,
            help="Also add this many pending signatures and write their confirmation paths to --tokens-file.",
        )
        parser.add_argument("--tokens-file", default="")
        parser.add_argument("--clear-cache", action="store_true", help="Empty the shared cache at the end.")
        parser.add_argument("--json", action="store_true", help="Print a JSON summary on the last line.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Add bench data even to a database holding signatures this command did not make.",
        )

    def handle(self, *args, signatures, members, testimonies, confirm_tokens, tokens_file, **options):
        if not options["force"] and real_signatures().exists():
            raise CommandError(
                "This database holds signatures that generate_bench_data did not make (real supporters?): "
                "refusing to add bench data to it. Use a database of its own, or --force."
            )
        started = time.monotonic()
        self.timings = {}
        call_command("load_content", verbosity=0)
        self.make_members(members)
        testimony = self.make_testimonies(testimonies)
        petition, wording = self.get_petition()
        member_ids = list(Member.objects.published().values_list("pk", flat=True)[:20])

        insert_started = time.monotonic()
        existing = Signature.objects.filter(
            petition=petition, email_normalised__endswith=BENCH_DOMAIN
        ).count()
        total_before = Signature.objects.filter(petition=petition).count()
        wanted = max(0, signatures - total_before)
        self.insert_signatures(petition, wording, member_ids, start=existing, count=wanted)
        insert_seconds = time.monotonic() - insert_started
        if connection.vendor == "postgresql" and wanted:
            # As autovacuum would soon: statistics, and a visibility map so
            # that counting can use an index-only scan.
            # (VACUUM cannot run inside a transaction, e.g. in a test.)
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            vacuum_started = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute(f"{command} {Signature._meta.db_table}")
            self.timings["vacuum_analyze"] = round(time.monotonic() - vacuum_started, 2)

        summary = {
            "petition_slug": petition.slug,
            "petition_path": petition.get_absolute_url(),
            "api_path": reverse("api:petition-detail", kwargs={"slug": petition.slug}),
            "testimony_path": testimony.get_absolute_url() if testimony else None,
            "signatures": Signature.objects.filter(petition=petition).count(),
            "inserted": wanted,
            "insert_seconds": round(insert_seconds, 2),
            "insert_timings": self.timings,
            "confirm_tokens": 0,
            "confirm_tokens_error": None,
        }
        if confirm_tokens:
            try:
                summary["confirm_tokens"] = self.write_confirm_tokens(
                    petition, wording, confirm_tokens, tokens_file
                )
            except CommandError as exc:
                summary["confirm_tokens_error"] = str(exc)
        bump_content_version()
        if options["clear_cache"]:
            cache.clear()
        summary["seconds"] = round(time.monotonic() - started, 2)
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                f"{summary['signatures']} signatures on {petition.slug} "
                f"({wanted} added in {insert_seconds:.1f} s)."
            )

    # Content ----------------------------------------------------------------

    def make_members(self, count):
        have = set(Member.objects.filter(slug__startswith="bench-member-").values_list("slug", flat=True))
        Member.objects.bulk_create(
            Member(
                name=f"Generated member organisation {i}",
                slug=f"bench-member-{i}",
                acronym=f"GMO{i}",
                country=COUNTRIES[i % len(COUNTRIES)],
                description=FILLER * 2,
                website=f"https://member-{i}.example.org/",
                is_published=True,
                ordering=1000 + i,
            )
            for i in range(count)
            if f"bench-member-{i}" not in have
        )

    def make_testimonies(self, count):
        topic, _ = Topic.objects.get_or_create(slug="bench-topic", defaults={"name": "Generated topic"})
        for i in range(count):
            testimony, created = Testimony.objects.get_or_create(
                slug=f"bench-testimony-{i}",
                defaults={
                    "name": f"Generated survivor pseudonym {i}",
                    "summary": FILLER,
                    "body": "\n\n".join([FILLER * 3] * 3),
                    "detention_place": "Generated place",
                    "consent_basis": Testimony.ConsentBasis.WRITTEN,
                    "consent_date": datetime.date(2020, 1, 1),
                    "consent_scope": "Generated for the benchmark.",
                    "is_published": True,
                    "ordering": 1000 + i,
                },
            )
            if created:
                testimony.topics.add(topic)
                Passage.objects.bulk_create(
                    Passage(testimony=testimony, position=p, text=FILLER * 4, is_graphic=p == 2, warning="")
                    for p in range(4)
                )
        return Testimony.objects.published().order_by("ordering", "pk").first()

    def get_petition(self):
        petition = Petition.objects.open().filter(is_featured=True).first()
        if petition is None:
            petition, _ = Petition.objects.get_or_create(
                slug=BENCH_PETITION_SLUG,
                defaults={
                    "title": "Generated benchmark petition",
                    "ask": FILLER * 3,
                    "description": FILLER * 5,
                    "addressee": "Generated addressee",
                    "goal": 2_000_000,
                    "opens_at": timezone.now() - datetime.timedelta(days=30),
                    "state": Petition.State.OPEN,
                    "is_featured": not Petition.objects.filter(is_featured=True).exists(),
                },
            )
        wording = ConsentWording.objects.filter(petition=petition).order_by("-version").first()
        if wording is None:
            wording = ConsentWording.objects.create(
                petition=petition, version=1, text="I agree to the benchmark's generated consent text."
            )
        return petition, wording

    # Signatures -------------------------------------------------------------

    def copy_lines(self, petition, wording, member_ids, start, count, domain, state=None):
        """Signature rows as tab-separated lines (for ``bulk_create`` on databases other than PostgreSQL).

        Everything that repeats (timestamps, states, IP hashes) is prepared
        once; a row is then one f-string. Generated values hold no tabs,
        newlines or backslashes, so nothing needs escaping.
        """
        spread = 10007  # distinct creation times over the last 30 days
        now = timezone.now()
        created = [now - datetime.timedelta(days=30 * k / spread) for k in range(spread)]
        created_text = [c.isoformat() for c in created]
        confirmed_text = [(c + datetime.timedelta(minutes=5)).isoformat() for c in created]
        withdrawn_text = [(c + datetime.timedelta(days=1)).isoformat() for c in created]
        states = [str(state or next(s for limit, s in STATE_SHARES if k < limit)) for k in range(100)]
        ip_hashes = [hashlib.blake2b(str(k).encode(), digest_size=32).hexdigest() for k in range(997)]
        referrers = [str(pk) for pk in member_ids] or [r"\N"]
        pid, wid, countries = petition.pk, wording.pk, COUNTRIES
        confirmed, withdrawn = Signature.State.CONFIRMED, Signature.State.WITHDRAWN
        for i in range(start, start + count):
            k = (i * 7919) % spread
            row_state = states[i % 100]
            email = f"s{i}@{domain}"
            yield (
                f"{pid}\tSigner {i}\t{email}\t{email}\t{countries[i % len(countries)]}\t\t"
                f"{'t' if i % 3 == 0 else 'f'}\t{'t' if i % 2 == 0 else 'f'}\t{wid}\t{created_text[k]}\t"
                f"{row_state}\t{created_text[k]}\t"
                f"{confirmed_text[k] if row_state == confirmed else r'\N'}\t"
                f"{withdrawn_text[k] if row_state == withdrawn else r'\N'}\t{ip_hashes[i % 997]}\t"
                f"{referrers[i % len(referrers)] if i % 10 == 0 else r'\N'}\ten\n"
            )

    def insert_signatures(
        self, petition, wording, member_ids, *, start, count, domain=BENCH_DOMAIN, state=None
    ):
        if count <= 0:
            return
        lines = self.copy_lines(petition, wording, member_ids, start, count, domain, state)
        if connection.vendor != "postgresql":
            Signature.objects.bulk_create((_signature_from_line(line) for line in lines), batch_size=2000)
            return
        table = Signature._meta.db_table
        with transaction.atomic(), connection.cursor() as cursor:
            rebuilt = _drop_indexes_and_constraints(cursor, table) if count >= REBUILD_FROM else []
            started = time.monotonic()
            # The rows are made inside PostgreSQL from generate_series: nothing
            # crosses the socket but the statement, and no Python runs per row.
            cursor.execute(*_insert_select(petition, wording, member_ids, start, count, domain, state))
            self.timings["insert"] = round(time.monotonic() - started, 2)
            started = time.monotonic()
            for statement in rebuilt:
                cursor.execute(statement)
            self.timings["rebuild_indexes"] = round(time.monotonic() - started, 2)

    def write_confirm_tokens(self, petition, wording, count, path):
        try:
            make_token = import_string(CONFIRM_TOKEN_FUNCTION)
            make_token(Signature(pk=0, petition=petition))  # fails early if it cannot work yet
        except (ImportError, AttributeError, NotImplementedError) as exc:
            raise CommandError(f"no confirm-token function yet ({CONFIRM_TOKEN_FUNCTION}: {exc})") from None
        start = Signature.objects.filter(petition=petition, email_normalised__endswith=CONFIRM_DOMAIN).count()
        self.insert_signatures(
            petition,
            wording,
            [],
            start=start,
            count=count,
            domain=CONFIRM_DOMAIN,
            state=Signature.State.PENDING,
        )
        emails = [f"s{i}@{CONFIRM_DOMAIN}" for i in range(start, start + count)]
        signatures = Signature.objects.filter(petition=petition, email_normalised__in=emails)
        paths = [
            reverse("petitions:confirm", kwargs={"slug": petition.slug, "token": make_token(signature)})
            for signature in signatures.iterator(chunk_size=2000)
        ]
        with open(path, "w") as handle:
            handle.write("\n".join(paths) + "\n")
        return len(paths)


def make_confirm_token(signature):
    """Adapter to the petition's token maker: the token a confirmation email links to."""
    from petitions.services import tokens

    return tokens.make_token(signature=signature, purpose="confirm")


def _drop_indexes_and_constraints(cursor, table):
    """Drop the table's secondary indexes, unique and foreign-key constraints; return how to rebuild them.

    Loading a million rows and then building each index in one sort is several
    times faster than updating eight indexes and queueing three deferred
    foreign-key checks per row. Called inside the loading transaction, so a
    failure leaves the table as it was.
    """
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    # Deferred checks still pending in this transaction would block ALTER TABLE.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, table],
    )
    indexes = cursor.fetchall()
    for name, _kind, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    # Indexes first, then unique constraints, then foreign keys (checked in one pass each).
    return [definition for _name, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for name, _kind, definition in constraints
    ]


def _insert_select(petition, wording, member_ids, start, count, domain, state):
    """``INSERT … SELECT … FROM generate_series``: the same rows as ``copy_lines``, made by PostgreSQL."""
    spread = 10007  # distinct creation times over the last 30 days
    if state:
        state_sql, params = "%s", [str(state)]
    else:
        limits = " ".join(f"WHEN i % 100 < {limit} THEN '{s}'" for limit, s in STATE_SHARES[:-1])
        state_sql, params = f"CASE {limits} ELSE '{STATE_SHARES[-1][1]}' END", []
    ip_hashes = [hashlib.blake2b(str(k).encode(), digest_size=32).hexdigest() for k in range(997)]
    columns = ", ".join(COPY_COLUMNS)
    sql = f"""
        INSERT INTO {Signature._meta.db_table} ({columns})
        SELECT %(petition)s, 'Signer ' || i, e, e, (%(countries)s::text[])[i % %(n_countries)s + 1], '',
               i % 3 = 0, i % 2 = 0, %(wording)s, created, st, created,
               CASE WHEN st = %(confirmed)s THEN created + interval '5 minutes' END,
               CASE WHEN st = %(withdrawn)s THEN created + interval '1 day' END,
               (%(ip_hashes)s::text[])[i % 997 + 1],
               CASE WHEN i % 10 = 0 THEN (%(referrers)s::bigint[])[i % %(n_referrers)s + 1] END,
               'en'
        FROM (
            SELECT i, 's' || i || '@' || %(domain)s AS e, {state_sql.replace("%s", "%(state)s")} AS st,
                   %(now)s - interval '30 days' * (((i * 7919) % {spread})::float / {spread}) AS created
            FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
        ) AS rows
    """
    values = {
        "petition": petition.pk,
        "wording": wording.pk,
        "countries": COUNTRIES,
        "n_countries": len(COUNTRIES),
        "confirmed": str(Signature.State.CONFIRMED),
        "withdrawn": str(Signature.State.WITHDRAWN),
        "ip_hashes": ip_hashes,
        "referrers": list(member_ids),
        "n_referrers": max(len(member_ids), 1),
        "domain": domain,
        "now": timezone.now(),
        "first": start,
        "last": start + count - 1,
    }
    if params:
        values["state"] = params[0]
    return sql.replace(" % ", " %% "), values  # a modulo, not a placeholder


def _signature_from_line(line):
    """A Signature from a COPY line (for databases without COPY: tests on SQLite)."""
    values = line.rstrip("\n").split("\t")
    return Signature(**{c: (None if v == r"\N" else v) for c, v in zip(COPY_COLUMNS, values, strict=True)})
