"""generate_bench_data: the data `make bench` measures against."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from campaign.management.commands import generate_bench_data
from coalition.models import Member
from petitions.models import Petition, Signature
from petitions.services import tokens
from testimonies import models as testimonies_models

pytestmark = pytest.mark.django_db


def generate(**options):
    out = io.StringIO()
    call_command("generate_bench_data", json=True, members=3, testimonies=2, stdout=out, **options)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_generates_content_and_an_open_petition_with_the_signatures_asked_for():
    summary = generate(signatures=300)

    petition = Petition.objects.get(slug=summary["petition_slug"])
    assert petition.is_open
    assert Member.objects.published().filter(slug__startswith="bench-member-").count() == 3
    assert testimonies_models.Testimony.objects.published().filter(slug__startswith="bench-").count() == 2
    signatures = Signature.objects.filter(petition=petition)
    assert signatures.count() == 300
    assert signatures.values("email_normalised").distinct().count() == 300
    assert signatures.filter(state=Signature.State.CONFIRMED).count() == 270
    assert not signatures.filter(state=Signature.State.CONFIRMED, confirmed_at__isnull=True).exists()
    assert summary["testimony_path"].startswith("/en/testimonies/")


def test_running_again_tops_up_to_the_new_total():
    generate(signatures=200)
    summary = generate(signatures=500)

    assert summary["inserted"] == 300
    assert Signature.objects.count() == 500
    assert Member.objects.filter(slug__startswith="bench-member-").count() == 3


def test_confirm_tokens_are_written_as_confirmation_paths(tmp_path, monkeypatch):
    monkeypatch.setattr(generate_bench_data, "CONFIRM_TOKEN_FUNCTION", f"{__name__}.fake_token")
    tokens_file = tmp_path / "paths.txt"

    summary = generate(signatures=10, confirm_tokens=5, tokens_file=str(tokens_file))

    paths = tokens_file.read_text().split()
    assert summary["confirm_tokens"] == 5
    assert len(paths) == 5
    assert all(p.startswith(f"/en/petitions/{summary['petition_slug']}/confirm/token-") for p in paths)
    assert Signature.objects.filter(state=Signature.State.PENDING).count() >= 5


def test_missing_confirm_token_function_is_reported_not_fatal(tmp_path, monkeypatch):
    monkeypatch.setattr(
        generate_bench_data, "CONFIRM_TOKEN_FUNCTION", "petitions.services.tokens.no_such_function"
    )
    summary = generate(signatures=10, confirm_tokens=5, tokens_file=str(tmp_path / "paths.txt"))
    assert summary["confirm_tokens"] == 0
    assert "no confirm-token function yet" in summary["confirm_tokens_error"]


def signature_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'campaign_signature' ORDER BY 1")
        return [row[0] for row in cursor.fetchall()]


def fake_token(signature):
    return f"token-{signature.pk}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY and index rebuilds are PostgreSQL's")
def test_bulk_load_rebuilds_indexes_and_constraints(monkeypatch):
    monkeypatch.setattr(generate_bench_data, "REBUILD_FROM", 100)
    before = signature_indexes()

    summary = generate(signatures=300)

    petition = Petition.objects.get(slug=summary["petition_slug"])
    assert signature_indexes() == before
    assert len(before) >= 6
    existing = Signature.objects.filter(petition=petition).first()
    existing.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        existing.save()  # one signature per normalised email, still enforced


def test_default_adapter_reports_when_the_petition_has_no_token_maker(tmp_path, monkeypatch):
    monkeypatch.delattr(tokens, "make_token", raising=False)
    summary = generate(signatures=10, confirm_tokens=5, tokens_file=str(tmp_path / "paths.txt"))
    assert summary["confirm_tokens"] == 0
    assert "make_token" in summary["confirm_tokens_error"]


def test_refuses_a_database_holding_signatures_it_did_not_make_unless_forced():
    from django.core.management.base import CommandError

    from petitions.tests.factories import make_petition, make_signature

    make_signature(make_petition(), email="real.supporter@example.org")
    with pytest.raises(CommandError, match="did not make"):
        generate(signatures=10)
    assert not Signature.objects.filter(email_normalised__endswith="bench.example.org").exists()
    summary = generate(signatures=10, force=True)
    assert summary["signatures"] >= 10
