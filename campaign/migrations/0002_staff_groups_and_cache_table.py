from django.contrib.auth.management import create_permissions
from django.core.management import call_command
from django.db import migrations

CONTENT_EDITORS = "Content editors"
SUPPORTER_DATA = "Supporter data"

CONTENT_MODELS = {
    "coalition": ["member"],
    "testimonies": ["testimony", "passage", "topic"],
    "campaign": [
        "campaign",
        "keyfact",
        "appeal",
        "demand",
        "milestone",
        "statement",
        "contact",
        "petition",
        "consentwording",
    ],
}
SUPPORTER_PERMISSIONS = [
    ("campaign", "view_signature"),
    ("campaign", "change_signature"),
    ("campaign", "export_signature"),
    ("campaign", "view_signatureexport"),
    ("campaign", "view_petition"),
]


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    editors, _ = Group.objects.get_or_create(name=CONTENT_EDITORS)
    for app_label, models in CONTENT_MODELS.items():
        for model in models:
            for action in ("add", "change", "delete", "view"):
                editors.permissions.add(
                    Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}")
                )

    supporters, _ = Group.objects.get_or_create(name=SUPPORTER_DATA)
    for app_label, codename in SUPPORTER_PERMISSIONS:
        supporters.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def create_cache_table(apps, schema_editor):
    # The default cache lives in the database; `migrate` alone readies a deployment.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("campaign", "0001_initial"),
        ("coalition", "0001_initial"),
        ("testimonies", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_groups, migrations.RunPython.noop),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
