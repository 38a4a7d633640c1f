"""What the reliability scenarios share: the run's state, the database, the site's processes, signers."""

import contextlib
import http.client
import threading
import time
from types import SimpleNamespace
from urllib.parse import urljoin

import psycopg
from ops import HOST, ROOT, log, web
from ops.forms import post_form
from ops.processes import Gunicorn, manage, site_env, task_worker, task_worker_batch

VAR = ROOT / "var" / "reliability"
SLUG = "reliability-run"
DB = {"dbname": "reliab", "user": "reliab", "password": "reliab-only-on-127.0.0.1", "host": HOST}
KEEPALIVE = 30  # gunicorn --keep-alive: an idle connection is closed by the server after this

# The run: its arguments, cluster, server and results (set by scripts/reliability.py).
RUN = SimpleNamespace(args=None, cluster=None, server=None, results=[], started=time.monotonic())


def record(scenario, verdict, **figures):
    RUN.results.append((scenario, verdict, figures))
    shown = ", ".join(f"{key}={value}" for key, value in figures.items())
    log(f"scenario {scenario}: {verdict}" + (f" ({shown})" if shown else ""))


def query(sql, params=None):
    with psycopg.connect(**DB, port=RUN.args.pg_port, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def task_table():
    """django_tasks_db's table (its name has changed between releases)."""
    return query("SELECT tablename FROM pg_tables WHERE tablename LIKE %s", ["%dbtaskresult"])[0][0]


# The site: environment, manage.py, gunicorn, db_worker --------------------------------------------


def env(**overrides):
    url = f"postgres://{DB['user']}:{DB['password']}@{HOST}:{RUN.args.pg_port}/{DB['dbname']}"
    return (
        site_env(port=RUN.args.port, database_url=f"{url}?pool_max={RUN.args.pool_max}")
        | {
            "DATABASE_POOL_TIMEOUT": str(RUN.args.pool_timeout),
            "EMAIL_URL": f"file://{VAR / 'mail'}",
            "STATIC_MANIFEST": "0",
            "WHITENOISE_USE_FINDERS": "1",
            "PETITION_COUNT_MAX_AGE": "2",
            "AXES_ENABLED": "0",
            "DATA_UPLOAD_MAX_MEMORY_SIZE": str(RUN.args.body_limit),
        }
        | overrides
    )


def run_manage(*args, check=True, **overrides):
    return manage(*args, env=env(**overrides), check=check)


def start_server():
    options = ["--workers", RUN.args.workers, "--threads", RUN.args.threads, "--keep-alive", KEEPALIVE,
               "--timeout", RUN.args.worker_timeout, "--graceful-timeout", 5, "--backlog", 2048]  # fmt: skip
    return Gunicorn(port=RUN.args.port, env=env(), logfile=VAR / "gunicorn.log", options=options, wait=60)


def start_worker(name, **overrides):
    return task_worker(VAR / f"{name}.log", env(**overrides))


def run_worker_batch(**overrides):
    return task_worker_batch(env(**overrides))


# HTTP: visitors and signers ------------------------------------------------------------------------


def request(method, path, body=None, headers=None, timeout=180):
    return web.request(RUN.args.port, method, path, body, headers, timeout)


def visitor():
    return web.Visitor(RUN.args.port, user_agent="reliability-run", keepalive=KEEPALIVE)


def connection():
    return web.KeptConnection(RUN.args.port, keepalive=KEEPALIVE)


def petition_path():
    return f"/en/petitions/{SLUG}/"


def has_signing_flow():
    with contextlib.suppress(OSError):
        page = request("GET", petition_path())
        _, fields = post_form(page.text, "email")
        return page.status == 200 and fields is not None
    return False


def classify(response):
    if response.status == 303 and "/thanks/" in (response.header("Location") or ""):
        return "signed"
    if response.status >= 500:
        return f"http-{response.status}"
    if response.status == 200 and ("is-invalid" in response.text or "errorlist" in response.text):
        return "form-error"
    return f"http-{response.status}"


class Signer:
    """A visitor who has the signing form: its cookies and hidden values (reused for every POST)."""

    def __init__(self):
        self.visitor = visitor()
        self.action = self.fields = None

    def fetch_form(self):
        page = self.visitor.get(petition_path())
        action, self.fields = post_form(page.text, "email")
        self.action = urljoin(petition_path(), action or "")
        return self.fields is not None

    def sign(self, name, address, barrier=None):
        """POST the form filled in as a person would. Returns an outcome label."""
        try:
            if self.fields is None and not self.fetch_form():
                return "no-form"
            fields = self.fields | {
                "name": name, "email": address, "country": "GB", "consent": "on", "show_name": "on",
            }  # fmt: skip
            if barrier is not None:
                barrier.wait(timeout=600)
            response = self.visitor.post(self.action, fields)
            outcome = classify(response)
            if outcome != "signed":
                self.fields = None  # fetch a fresh form next time
            return outcome
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as error:
            self.fields = None
            return f"connection-{type(error).__name__}"


_local = threading.local()


def sign(name, address):
    """Sign with this thread's visitor: one GET of the form, then a POST per signature."""
    if not hasattr(_local, "signer"):
        _local.signer = Signer()
    return _local.signer.sign(name, address)


def over_budget():
    return time.monotonic() - RUN.started > RUN.args.budget
