"""Several app nodes behind a load balancer: the node's name in answers, PgBouncer settings, Redis outages."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from campaign.config import parse_cache_url, parse_database_url
from petitions.tests.factories import make_petition, sign_data


def test_answers_name_the_node(client, db, settings):
    settings.NODE_NAME = "node-a"
    # The middleware reads the setting once, when the handler is built: build a new one.
    response = Client().get("/healthz")
    assert response["X-Node"] == "node-a"


def test_no_node_header_without_a_node_name(client, db, settings):
    settings.NODE_NAME = ""
    assert "X-Node" not in Client().get("/healthz")


def test_server_side_cursors_can_be_switched_off_for_pgbouncer():
    url = "postgres://u:p@127.0.0.1:6432/campaign?pool_max=0"
    options = {"base_dir": Path("."), "pool_min": 1, "pool_max": 8, "pool_timeout": 5}
    assert (
        parse_database_url(url, **options, server_side_cursors=True)["DISABLE_SERVER_SIDE_CURSORS"] is False
    )
    database = parse_database_url(url, **options, server_side_cursors=False)
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "pool" not in database["OPTIONS"]


def test_the_pgbouncer_switch_is_read_from_the_environment():
    env = {
        "PATH": os.environ["PATH"],
        "DEBUG": "1",
        "DATABASE_URL": "postgres://u:p@127.0.0.1:6432/campaign?pool_max=0",
        "DATABASE_DISABLE_SERVER_SIDE_CURSORS": "1",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import campaign.settings as s; print(s.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'])",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == "True", result.stderr


def point_the_cache_at_a_closed_port(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CACHES = {"default": parse_cache_url(f"redis://127.0.0.1:{port}/0", timeout=2)}


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_redis_outage_answers_the_styled_503(db, settings, method):
    petition = make_petition()  # saving a petition bumps the page cache's version: before the outage
    point_the_cache_at_a_closed_port(settings)
    client = Client(raise_request_exception=False)
    if method == "get":
        response = client.get(petition.get_absolute_url())
    else:
        response = client.post(petition.get_absolute_url(), sign_data(petition))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"Temporarily unavailable" in response.content
    assert b"Traceback" not in response.content
