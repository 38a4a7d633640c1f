"""Site-wide pieces: health check, robots.txt, error pages, security headers, settings."""

import os
import subprocess
import sys

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import path

from campaign import urls as root_urls


def test_healthz_reports_ok_when_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_reports_503_when_database_fails(client, db, monkeypatch):
    class UnreachableDatabase:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("campaign.views.site.connection", UnreachableDatabase())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_robots_txt_points_to_sitemap_and_hides_admin(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "Disallow: /admin/" in body
    assert "Sitemap: http://testserver/sitemap.xml" in body


def test_unknown_page_gets_styled_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b'<a class="skip-link"' in response.content


def _boom(request):
    raise RuntimeError("secret internal detail")


def _db_down(request):
    raise OperationalError("server closed the connection unexpectedly")


urlpatterns = [
    path("boom/", _boom),
    path("db-down/", _db_down),
    *root_urls.urlpatterns,
]
handler500 = root_urls.handler500
handler404 = root_urls.handler404


@pytest.mark.urls("campaign.tests.test_site")
def test_server_error_shows_styled_page_without_traceback(db):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"secret internal detail" not in response.content
    assert b"Traceback" not in response.content


@pytest.mark.urls("campaign.tests.test_site")
def test_lost_database_gets_503_with_retry_after(db):
    client = Client(raise_request_exception=False)
    response = client.get("/db-down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"Temporarily unavailable" in response.content


def test_csrf_failure_gets_styled_403(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert b"This form has expired" in response.content


def test_pages_carry_security_headers(client, db):
    response = client.get("/en/")
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def _settings_with(env):
    """Import the settings module in a fresh interpreter with exactly these variables."""
    base = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}}
    return subprocess.run(
        [sys.executable, "-c", "import campaign.settings as s; print(s.DEBUG, s.ALLOWED_HOSTS)"],
        env=base | env,
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )


def test_missing_secret_key_stops_start_up_when_debug_is_off():
    result = _settings_with({"ALLOWED_HOSTS": "example.org", "IP_HASH_KEY": "k", "TASKS_BACKEND": "database"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_missing_allowed_hosts_stops_start_up_when_debug_is_off():
    result = _settings_with({"SECRET_KEY": "s", "IP_HASH_KEY": "k", "TASKS_BACKEND": "database"})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


PRODUCTION = {"SECRET_KEY": "s", "IP_HASH_KEY": "k", "ALLOWED_HOSTS": "example.org", "EMAIL_URL": "locmem:"}


def test_missing_email_url_stops_start_up_when_debug_is_off():
    production = {key: value for key, value in PRODUCTION.items() if key != "EMAIL_URL"}
    result = _settings_with(production | {"TASKS_BACKEND": "database"})
    assert result.returncode != 0
    assert "EMAIL_URL" in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", "change-me-to-a-long-random-string"),
        ("IP_HASH_KEY", "change-me-to-another-long-random-string"),
        ("SECRET_KEY_FALLBACKS", "old-key,change-me-to-a-long-random-string"),
    ],
)
def test_placeholder_secrets_from_env_example_stop_start_up(name, value):
    result = _settings_with(PRODUCTION | {"TASKS_BACKEND": "database", name: value})
    assert result.returncode != 0
    assert f"{name} is still the example value" in result.stderr


def test_the_env_example_placeholders_are_the_refused_ones():
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    with open(os.path.join(root, ".env.example")) as example:
        values = dict(
            line.strip().split("=", 1) for line in example if line.startswith(("SECRET_KEY=", "IP_HASH_KEY="))
        )
    from campaign.config import PLACEHOLDER_SECRETS

    assert set(values.values()) <= PLACEHOLDER_SECRETS


def test_links_signed_with_a_fallback_key_still_open(settings):
    from django.core import signing

    token = signing.dumps({"s": 1}, key="the-old-secret-key", salt="x")
    settings.SECRET_KEY_FALLBACKS = ["the-old-secret-key"]
    assert signing.loads(token, salt="x") == {"s": 1}


def test_immediate_tasks_stop_start_up_when_debug_is_off():
    result = _settings_with(PRODUCTION | {"TASKS_BACKEND": "immediate"})
    assert result.returncode != 0
    assert "ALLOW_IMMEDIATE_TASKS=1" in result.stderr


def test_a_small_deployment_may_accept_immediate_tasks():
    result = _settings_with(PRODUCTION | {"TASKS_BACKEND": "immediate", "ALLOW_IMMEDIATE_TASKS": "1"})
    assert result.returncode == 0, result.stderr


def test_queued_tasks_start_without_the_override():
    assert _settings_with(PRODUCTION | {"TASKS_BACKEND": "database"}).returncode == 0


def test_debug_runs_with_development_defaults():
    result = _settings_with({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True")


def test_check_deploy_with_production_variables_has_no_warnings():
    env = {
        "SECRET_KEY": "a-long-production-secret-" + "x" * 40,
        "IP_HASH_KEY": "another-production-secret",
        "ALLOWED_HOSTS": "campaign.example.org",
        "EMAIL_URL": "smtp://user:pass@smtp.example.org:587?tls=1",
        "TASKS_BACKEND": "database",
        "DJANGO_SETTINGS_MODULE": "campaign.settings",
    }
    base = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}}
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=base | env,
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_favicon_ico_leads_to_the_site_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")
