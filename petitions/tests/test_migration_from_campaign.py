"""An existing database, made when the petition models lived in ``campaign``, upgrades with every row kept."""

from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from petitions.models import ConsentWording, Petition, Signature, SignatureExport

BEFORE_THE_MOVE = [("campaign", "0005_referrer_state_index"), ("petitions", None)]


@pytest.mark.django_db(transaction=True)
def test_signatures_made_before_the_move_are_all_found_after_migrating():
    from django.contrib.auth.models import Group

    executor = MigrationExecutor(connection)
    old = executor.migrate(BEFORE_THE_MOVE).apps
    # The staff groups come from a data migration, which an earlier transactional test's flush
    # removes: make them again, as that migration did, before the move.
    groups = import_module("campaign.migrations.0002_staff_groups_and_cache_table")
    groups.create_groups(old, None)
    OldPetition = old.get_model("campaign", "Petition")
    OldWording = old.get_model("campaign", "ConsentWording")
    OldSignature = old.get_model("campaign", "Signature")
    OldExport = old.get_model("campaign", "SignatureExport")
    petition = OldPetition.objects.create(title="Old", slug="old", ask="Act.", addressee="UN", state="open")
    wording = OldWording.objects.create(petition=petition, version=1, text="I agree.")
    for n, state in enumerate(["pending", "confirmed", "confirmed", "withdrawn", "suspected"]):
        OldSignature.objects.create(
            petition=petition,
            name=f"Signer {n}",
            email=f"s{n}@example.org",
            email_normalised=f"s{n}@example.org",
            country="KR",
            consent_wording=wording,
            state=state,
            confirmed_at=timezone.now() if state == "confirmed" else None,
        )
    OldExport.objects.create(rows=5, description="before the move")
    # A staff group holding a permission on the old model.
    old_permission = old.get_model("auth", "Permission").objects.get(
        content_type__app_label="campaign", codename="view_signature"
    )
    old.get_model("auth", "Group").objects.create(name="Readers").permissions.add(old_permission)
    # A confirmation email still waiting in the queue when the site is upgraded.
    old.get_model("django_tasks_database", "DBTaskResult").objects.create(
        status="READY",
        task_path="campaign.tasks.send_confirmation",
        args_kwargs={"args": [1], "kwargs": {}},
        queue_name="default",
        backend_name="default",
        run_after=timezone.now(),
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert Petition.objects.get(slug="old").title == "Old"
    assert ConsentWording.objects.get(petition__slug="old").text == "I agree."
    assert sorted(Signature.objects.values_list("name", flat=True)) == [f"Signer {n}" for n in range(5)]
    assert Signature.objects.filter(state=Signature.State.CONFIRMED).count() == 2
    assert SignatureExport.objects.get().description == "before the move"
    # The staff group still holds the moved models' permissions, under their new app.
    readers = Group.objects.get(name="Readers").permissions.values_list("content_type__app_label", "codename")
    assert list(readers) == [("petitions", "view_signature")]
    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "petitions.tasks.send_confirmation"
    ]
