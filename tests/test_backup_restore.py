"""The documented backup (pg_dump -Fc) restores into a fresh database with every row intact."""

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from django.db import connection

from campaign.tests.factories import make_content
from petitions.models import Signature
from petitions.tests.factories import make_petition, make_signature

PG_BIN = Path("/usr/lib/postgresql/15/bin")
APP_TABLE_PREFIXES = ("campaign_", "coalition_", "testimonies_", "auth_", "django_tasks")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL"),
]


def _tool(name):
    path = PG_BIN / name
    return str(path) if path.exists() else shutil.which(name)


def _libpq_args(settings_dict, dbname):
    args = ["--dbname", dbname, "--no-password"]
    if settings_dict["HOST"]:
        args += ["--host", settings_dict["HOST"]]
    if settings_dict["PORT"]:
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict["USER"]:
        args += ["--username", settings_dict["USER"]]
    return args


def _fingerprint(cursor):
    """Row count and a checksum of every row of every application table."""
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables = [name for (name,) in cursor.fetchall() if name.startswith(APP_TABLE_PREFIXES)]
    result = {}
    for table in tables:
        cursor.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t"
        )
        result[table] = cursor.fetchone()
    return result


def test_dump_restores_every_signature_and_every_piece_of_content(tmp_path):
    petition = make_petition()
    for _ in range(2):
        make_content()
    for state in Signature.State.values:
        make_signature(petition, state=state, comment="Ünïcödé comment, 北朝鮮")
    make_signature(petition, email="restore.marker@example.org")

    settings_dict = connection.settings_dict
    env = os.environ | {"PGPASSWORD": settings_dict["PASSWORD"] or ""}
    with connection.cursor() as cursor:
        before = _fingerprint(cursor)
    assert before["campaign_signature"][0] == len(Signature.State.values) + 1
    assert before["testimonies_testimony"][0] == 2

    dump = tmp_path / "campaign.dump"
    subprocess.run(
        [
            _tool("pg_dump"),
            "--format=custom",
            "--file",
            str(dump),
            *_libpq_args(settings_dict, settings_dict["NAME"]),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = f"restore_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{fresh}"')
    try:
        subprocess.run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                *_libpq_args(settings_dict, fresh),
                str(dump),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        import psycopg

        params = {
            "dbname": fresh,
            "user": settings_dict["USER"],
            "password": settings_dict["PASSWORD"],
            "host": settings_dict["HOST"] or None,
            "port": settings_dict["PORT"] or None,
        }
        with (
            psycopg.connect(**{k: v for k, v in params.items() if v}) as restored,
            restored.cursor() as cursor,
        ):
            after = _fingerprint(cursor)
            cursor.execute(
                "SELECT name, state FROM campaign_signature WHERE email = %s", ["restore.marker@example.org"]
            )
            marker = cursor.fetchone()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')

    assert after == before
    assert marker is not None and marker[1] == "pending"
