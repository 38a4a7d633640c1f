#!/usr/bin/env python
"""Lighthouse scores for the home, petition and a testimony page (`make audit`).

Serves the site with gunicorn on 127.0.0.1 under production-like settings (DEBUG off, hashed and compressed
static files collected into STATIC_ROOT, a fresh SQLite database in a temporary folder loaded with the
deployment fixtures), runs the pinned Lighthouse from node_modules in Debian's Chromium on each page, prints
the four category scores beside their goals, keeps the reports in var/audit/, and stops the server.
Exits 1 when a score misses its goal. Needs `make node_modules` (the Makefile target does it).
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OUT_DIR = BASE_DIR / "var" / "audit"
LIGHTHOUSE = BASE_DIR / "node_modules" / ".bin" / "lighthouse"
GUNICORN = Path(sys.executable).parent / "gunicorn"
CHROME_PATH = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    # This machine has no network beyond the package registries: no background calls home.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CATEGORIES = ["accessibility", "best-practices", "seo", "performance"]
GOALS = {"accessibility": 1.0, "best-practices": 1.0, "seo": 1.0, "performance": 0.95}
LIGHTHOUSE_TIMEOUT = 240  # seconds per page
SERVER_START_TIMEOUT = 60


class AuditFailed(Exception):
    pass


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_like_environment(workdir, port):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "campaign.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "IP_HASH_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite:///{workdir}/db.sqlite3",
        "CACHE_URL": "db://django_cache",
        "EMAIL_URL": "locmem:",
        "TASKS_BACKEND": "immediate",
        "ALLOW_IMMEDIATE_TASKS": "1",
        "STATIC_MANIFEST": "1",
        # Plain HTTP on the loopback address: no TLS redirect, secure-only cookies or HSTS.
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
    }


# The content and the pages to audit come from the same builder as the browser tests: the deployment
# fixtures, plus stand-ins for what they lack. Printed as JSON for this script to read.
PREPARE = """
import json
from django.core.management import call_command
from tests.e2e.site_content import ensure_site_content
call_command("collectstatic", interactive=False, verbosity=0)
call_command("migrate", interactive=False, verbosity=0)
site = ensure_site_content()
print(json.dumps({
    "home": "/",
    "petition": site.petition.get_absolute_url(),
    "testimony": site.testimony.get_absolute_url(),
}))
"""


def prepare(env):
    completed = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{PREPARE}"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if completed.returncode != 0:
        sys.exit(f"Preparing the database and static files failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def start_server(env, port, log):
    server = subprocess.Popen(
        [str(GUNICORN), "campaign.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    stop_server(server)
    raise RuntimeError(f"gunicorn did not answer within {SERVER_START_TIMEOUT}s; see {log.name}")


def stop_server(server):
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def lighthouse(url, name, workdir):
    report = OUT_DIR / f"{name}.json"
    command = [
        str(LIGHTHOUSE),
        url,
        "--output=json",
        f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={' '.join(CHROME_FLAGS)} --user-data-dir={workdir}/chrome-{name}",
        "--quiet",
    ]
    env = {**os.environ, "CHROME_PATH": CHROME_PATH}
    completed = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=LIGHTHOUSE_TIMEOUT, check=False
    )
    result = json.loads(report.read_text()) if report.exists() else {}
    if completed.returncode != 0 or "categories" not in result or result.get("runtimeError"):
        error = (result.get("runtimeError") or {}).get("message") or completed.stderr.strip()[-1000:]
        raise AuditFailed(f"Lighthouse could not audit {url}: {error}")
    return result


def missed_audits(result, category):
    """The audits that cost points in a category, worst first."""
    audits = result["audits"]
    missed = []
    for ref in result["categories"][category]["auditRefs"]:
        audit = audits[ref["id"]]
        if ref["weight"] > 0 and audit.get("score") is not None and audit["score"] < 1:
            missed.append((audit["score"], f"{ref['id']} ({audit['score']:.2f}): {audit['title']}"))
    return [text for _, text in sorted(missed)]


def score_of(result, category):
    return result["categories"][category]["score"] if result else None


def print_table(results):
    title = "Lighthouse (mobile, simulated throttling)"
    width = max([len(title) + 1] + [len(name) + len(path) + 3 for name, (path, _) in results.items()])
    print()
    print(title.ljust(width), *(c.ljust(18) for c in CATEGORIES))
    print(
        "goal".ljust(width), *(f"{'>= ' if GOALS[c] < 1 else ''}{GOALS[c]:.2f}".ljust(18) for c in CATEGORIES)
    )
    for name, (path, result) in results.items():
        cells = []
        for category in CATEGORIES:
            score = score_of(result, category)
            verdict = "ok" if score is not None and score >= GOALS[category] else "MISSED"
            cells.append(f"{'n/a' if score is None else f'{score:.2f}'} {verdict}".ljust(18))
        print(f"{name} {path}".ljust(width), *cells)


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    if not LIGHTHOUSE.exists():
        sys.exit("node_modules/.bin/lighthouse is missing: run `make node_modules`.")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="audit-") as workdir:
        port = free_port()
        env = production_like_environment(workdir, port)
        print("Collecting static files, migrating a fresh database, loading the fixtures…")
        pages = prepare(env)
        results = {}
        with open(OUT_DIR / "server.log", "w") as log:
            server = start_server(env, port, log)
            try:
                for name, path in pages.items():
                    print(f"Lighthouse: {name} {path}")
                    try:
                        results[name] = (path, lighthouse(f"http://127.0.0.1:{port}{path}", name, workdir))
                    except AuditFailed as error:
                        print(f"  {error}")
                        results[name] = (path, None)
            finally:
                stop_server(server)
    print_table(results)
    summary = {
        name: {category: score_of(result, category) for category in CATEGORIES} | {"path": path}
        for name, (path, result) in results.items()
    }
    (OUT_DIR / "summary.json").write_text(json.dumps({"goals": GOALS, "pages": summary}, indent=2) + "\n")
    missed = False
    for name, (_path, result) in results.items():
        for category in CATEGORIES:
            score = score_of(result, category)
            if score is None or score < GOALS[category]:
                missed = True
            if result and score is not None and score < GOALS[category]:
                print(f"\n{name}, {category}:", *missed_audits(result, category)[:10], sep="\n  ")
    print(f"\nReports in {OUT_DIR.relative_to(BASE_DIR)}/ ({time.monotonic() - started:.0f}s)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
