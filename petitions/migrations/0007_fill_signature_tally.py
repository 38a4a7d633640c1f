"""Build the tally from the signatures already confirmed (see petitions.services.tally)."""

from django.db import migrations


def fill(apps, schema_editor):
    from petitions.services.tally import rebuild_tally

    rebuild_tally(
        signature_model=apps.get_model("petitions", "Signature"),
        tally_model=apps.get_model("petitions", "SignatureTally"),
    )


class Migration(migrations.Migration):
    dependencies = [("petitions", "0006_signature_tally")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
