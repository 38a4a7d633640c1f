#!/usr/bin/env python
"""`make reliability`: load and fault runs against a real gunicorn and a throwaway PostgreSQL.

What it does, in order (each scenario prints its figures and PASS, FAIL or "skipped (reason)"):

  setup  a PostgreSQL 15 cluster of its own (`pg_createcluster 15 reliab --port 5438`; the shared
         cluster on 5432 is never touched), migrate, an open petition, gunicorn -w 4 --threads 2
         (kept-alive connections) on 127.0.0.1, TASKS_BACKEND=database with no worker, rate limits off.
  e      idempotence: migrations run twice, fixtures loaded twice, purge_signatures run twice.
  a      200 simultaneous submissions with one email: exactly one signature, no 5xx.
  d      the task worker stopped while signatures arrive, then started; a mail server that refuses
         connections: signatures stay pending, the sends are retried with a growing delay, and go
         out once mail works again.
  c      PostgreSQL stopped and restarted in the middle of a signing run.
  b      N distinct signatures (default 10,000) under load (32 client threads, one kept-alive
         connection and one fetched form each): N pending rows, one confirmation task each, the
         emails sent by two db_workers meanwhile; then a confirmation for every emailed link, 10%
         POSTed twice at once: the shown count converges to exactly the confirmed rows.

Bounded: no scenario starts after --budget seconds (480), and scenario b, which runs last, starts
no request after --deadline (540 s): submissions stop at --sign-share of its time, the emails and
confirmations work on what was submitted, and the figures say "partial" with how far it got out
of N. The cluster, the server and the workers are removed at the end, whatever happens, so the
whole run ends within 10 minutes.

Run as root (pg_createcluster, pg_ctlcluster) from the repository: `make reliability`, or
`.venv/bin/python scripts/reliability.py --signatures 2000` for a quicker pass.
"""

import argparse
import contextlib
import email
import html
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urljoin

import psycopg

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "reliability"
PYTHON = (
    str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
)
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
PG_VERSION = "15"
CLUSTER = "reliab"  # never "main": other work uses the shared cluster
HOST = "127.0.0.1"
SLUG = "reliability-run"
DB = {"dbname": "reliab", "user": "reliab", "password": "reliab-only-on-127.0.0.1", "host": HOST}

results = []  # (scenario, verdict, figures)
SERVER = []  # the running gunicorn, for CPU accounting
started = time.monotonic()


def log(*args):
    print(f"[{time.monotonic() - started:6.1f}s]", *args, flush=True)


def record(scenario, verdict, **figures):
    results.append((scenario, verdict, figures))
    shown = ", ".join(f"{key}={value}" for key, value in figures.items())
    log(f"scenario {scenario}: {verdict}" + (f" ({shown})" if shown else ""))


# PostgreSQL cluster of our own -------------------------------------------------------------


class Cluster:
    def __init__(self, port):
        self.port = port

    def _run(self, *args, check=True):
        return subprocess.run(args, check=check, capture_output=True, text=True)

    def exists(self):
        listing = self._run("pg_lsclusters", "--no-header", check=False).stdout
        return any(line.split()[:2] == [PG_VERSION, CLUSTER] for line in listing.splitlines())

    def create(self):
        if self.exists():
            self.drop()
        self._run(
            "pg_createcluster", PG_VERSION, CLUSTER, "--port", str(self.port),
            "-o", "max_connections=200", "-o", "fsync=off", "-o", "synchronous_commit=off",
        )  # fmt: skip
        self.start()
        self.psql(f"CREATE ROLE {DB['user']} LOGIN CREATEDB PASSWORD '{DB['password']}'")
        self.psql(f"CREATE DATABASE {DB['dbname']} OWNER {DB['user']}")

    def psql(self, sql):
        self._run("runuser", "-u", "postgres", "--", "psql", "-p", str(self.port), "-qtAX", "-c", sql)

    def start(self):
        self._run("pg_ctlcluster", PG_VERSION, CLUSTER, "start")
        for _ in range(60):
            if self._run("pg_isready", "-q", "-h", HOST, "-p", str(self.port), check=False).returncode == 0:
                return
            time.sleep(0.5)
        raise RuntimeError("the reliability cluster did not start")

    def stop(self):
        self._run("pg_ctlcluster", PG_VERSION, CLUSTER, "stop", "-m", "fast")

    def drop(self):
        self._run("pg_dropcluster", PG_VERSION, CLUSTER, "--stop", check=False)


def query(sql, params=None, port=None):
    with psycopg.connect(**DB, port=port or ARGS.pg_port, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


# The site: environment, manage.py, gunicorn, db_worker --------------------------------------


def site_env(**overrides):
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG", "LC_ALL"}}
    env |= {
        "DEBUG": "0",
        "SECRET_KEY": "reliability-run-secret-" + "x" * 40,
        "IP_HASH_KEY": "reliability-run-ip-hash-key",
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"http://{HOST}:{ARGS.port}",
        "DATABASE_URL": (
            f"postgres://{DB['user']}:{DB['password']}@{HOST}:{ARGS.pg_port}/{DB['dbname']}"
            f"?pool_max={ARGS.pool_max}"
        ),
        "DATABASE_POOL_TIMEOUT": str(ARGS.pool_timeout),
        "CACHE_URL": "db://django_cache",
        "TASKS_BACKEND": "database",
        "EMAIL_URL": f"file://{VAR / 'mail'}",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_MANIFEST": "0",
        "WHITENOISE_USE_FINDERS": "1",
        "PETITION_RATE_LIMITS": "0",
        "PETITION_MIN_FILL_SECONDS": "0",
        "PETITION_COUNT_MAX_AGE": "2",
        "AXES_ENABLED": "0",
        "LOG_LEVEL": "WARNING",
    }
    return env | overrides


def manage(*args, check=True, **env):
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=site_env(**env), capture_output=True, text=True
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


class Process:
    """A child process in its own process group, stopped by its id."""

    def __init__(self, args, logfile, **env):
        self.logfile = open(logfile, "ab")
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=site_env(**env), stdout=self.logfile, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.logfile.close()


def start_server():
    server = Process(
        [
            GUNICORN, "campaign.wsgi", "--workers", str(ARGS.workers), "--threads", str(ARGS.threads),
            "--keep-alive", str(KEEPALIVE), "--bind", f"{HOST}:{ARGS.port}",
            "--timeout", "60", "--graceful-timeout", "5", "--backlog", "2048",
        ],
        VAR / "gunicorn.log",
    )  # fmt: skip
    for _ in range(120):
        with contextlib.suppress(OSError):
            if request("GET", "/healthz").status == 200:
                return server
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer; see {VAR / 'gunicorn.log'}")


def start_worker(name, **env):
    return Process(
        [PYTHON, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay", "--no-reload"],
        VAR / f"{name}.log",
        **env,
    )


def run_worker_batch(**env):
    result = subprocess.run(
        [PYTHON, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        cwd=ROOT, env=site_env(**env), capture_output=True, text=True,
    )  # fmt: skip
    return result


# CPU accounting: where the time goes ----------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _proc_stats():
    """{pid: (ppid, pgid, cpu seconds)} of every process."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            stats[int(entry.name)] = (
                int(fields[1]),
                int(fields[2]),
                (int(fields[11]) + int(fields[12])) / TICKS,
            )
    return stats


def cpu_snapshot(server, workers=()):
    """CPU seconds used so far by the gunicorn processes, the task workers, PostgreSQL and this client."""
    stats = _proc_stats()
    postmaster = None
    with contextlib.suppress(OSError, ValueError):
        data_dir = Path(f"/var/lib/postgresql/{PG_VERSION}/{CLUSTER}")
        postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    groups = {"gunicorn": {server.proc.pid} if server else set(), "db_worker": {w.proc.pid for w in workers}}
    totals = Counter()
    for pid, (ppid, pgid, seconds) in stats.items():
        if pid == os.getpid():
            totals["client"] += seconds
        elif postmaster and (pid == postmaster or ppid == postmaster):
            totals["postgres"] += seconds
        else:
            for name, pgids in groups.items():
                if pgid in pgids:
                    totals[name] += seconds
    with contextlib.suppress(OSError, ValueError):
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        totals["machine_busy"] = (sum(values) - values[3] - values[4]) / TICKS  # all but idle, iowait
    return totals


def cpu_figures(before, after, items, seconds):
    """Milliseconds of CPU per item for each part, and how busy the whole machine was (in cores)."""
    figures = {
        f"{name}_ms": round((after[name] - before[name]) / max(items, 1) * 1000, 1)
        for name in ("client", "gunicorn", "db_worker", "postgres")
    }
    figures["others_ms"] = round(
        (after["machine_busy"] - before["machine_busy"]) / max(items, 1) * 1000 - sum(figures.values()),
        1,
    )
    figures["machine_busy_cores"] = round((after["machine_busy"] - before["machine_busy"]) / seconds, 2)
    return figures


# HTTP: a visitor with a cookie jar -----------------------------------------------------------


class Response:
    def __init__(self, status, headers, body, elapsed):
        self.status, self.headers, self.body, self.elapsed = status, headers, body, elapsed

    def header(self, name):
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def request(method, path, body=None, headers=None, timeout=180):
    """One request on a connection of its own (probes, one-off checks)."""
    conn = http.client.HTTPConnection(HOST, ARGS.port, timeout=timeout)
    begin = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Response(response.status, response.getheaders(), response.read(), time.monotonic() - begin)
    finally:
        conn.close()


KEEPALIVE = 30  # gunicorn --keep-alive: an idle connection is closed by the server after this


class KeptConnection:
    """A kept-alive HTTP/1.1 connection (gunicorn's threaded workers keep it open between requests).

    Reconnects before a request when the server said it would close or the connection has been
    idle for most of the keep-alive time. A POST is never sent twice: a failure is the caller's.
    """

    def __init__(self, timeout=180):
        self.timeout = timeout
        self.conn = None
        self.last_used = 0.0

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, headers=None):
        if self.conn is not None and time.monotonic() - self.last_used > KEEPALIVE / 2:
            self.close()
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, ARGS.port, timeout=self.timeout)
            begin = time.monotonic()
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                result = Response(
                    response.status, response.getheaders(), response.read(), time.monotonic() - begin
                )
            except (OSError, http.client.HTTPException):
                self.close()
                if method == "GET" and attempt == 1:
                    continue  # a GET may be sent again on a fresh connection
                raise
            if response.will_close:
                self.close()
            self.last_used = time.monotonic()
            return result
        raise AssertionError("unreachable")


INPUT = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.S | re.I)
ATTR = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


def parse_form(page, must_have="csrfmiddlewaretoken"):
    """(action, {name: value}) of the first POST form holding `must_have`, hidden values kept."""
    for form_attrs, inner in FORM.findall(page):
        attrs = {key.lower(): html.unescape(a or b) for key, a, b in ATTR.findall(form_attrs)}
        if attrs.get("method", "get").lower() != "post" or must_have not in inner:
            continue
        if "/cookies/" in attrs.get("action", ""):
            continue  # the cookie banner's form, on every page
        fields = {}
        for _tag, tag_attrs in INPUT.findall(inner):
            named = {key.lower(): html.unescape(a or b) for key, a, b in ATTR.findall(tag_attrs)}
            if "name" in named and named.get("type") not in {"submit", "checkbox"}:
                fields[named["name"]] = named.get("value", "") if named.get("type") == "hidden" else ""
        return attrs.get("action") or None, fields
    return None, None


class Visitor:
    """A browser: a cookie jar and one kept-alive connection."""

    def __init__(self):
        self.cookies = {}
        self.connection = KeptConnection()

    def _headers(self, extra=None):
        headers = {"User-Agent": "reliability-run"} | (extra or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _keep(self, response):
        for key, value in response.headers:
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def get(self, path):
        return self._keep(self.connection.request("GET", path, headers=self._headers()))

    def post(self, path, fields, connection=None):
        body = urlencode(fields).encode()
        headers = self._headers({"Content-Type": "application/x-www-form-urlencoded"})
        return self._keep((connection or self.connection).request("POST", path, body=body, headers=headers))


def petition_path():
    return f"/petitions/{SLUG}/"


def has_signing_flow():
    with contextlib.suppress(OSError):
        page = request("GET", petition_path())
        _, fields = parse_form(page.text, must_have='name="email"')
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
        self.visitor = Visitor()
        self.action = self.fields = None

    def fetch_form(self):
        page = self.visitor.get(petition_path())
        action, self.fields = parse_form(page.text, must_have='name="email"')
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
    return time.monotonic() - started > ARGS.budget


# Scenario a: one email, 200 at once ----------------------------------------------------------


def scenario_a():
    if not has_signing_flow():
        return record("a", "skipped (the petition page has no signing form yet)")
    address = f"same.person+{uuid.uuid4().hex[:6]}@reliability.example"
    signers = [Signer() for _ in range(ARGS.race)]
    with ThreadPoolExecutor(16) as pool:  # every visitor fetches the form first...
        ready = sum(pool.map(lambda signer: signer.fetch_form(), signers))
    barrier = threading.Barrier(ARGS.race)
    begin = time.monotonic()
    with ThreadPoolExecutor(ARGS.race) as pool:  # ...then all POST at the same moment
        outcomes = Counter(
            pool.map(
                lambda i: signers[i].sign(f"Same Person {i}", address, barrier=barrier), range(ARGS.race)
            )
        )
    seconds = time.monotonic() - begin
    rows = query("SELECT count(*) FROM campaign_signature WHERE email_normalised = lower(%s)", [address])[0][
        0
    ]
    bad = sum(n for outcome, n in outcomes.items() if outcome not in {"signed", "form-error"})
    verdict = "PASS" if rows == 1 and bad == 0 else "FAIL"
    record(
        "a", verdict, submissions=ARGS.race, forms_fetched=ready, seconds=round(seconds, 1), rows=rows,
        errors=bad, outcomes=dict(outcomes),
    )  # fmt: skip


# Scenario b: N distinct signatures, then N confirmations -------------------------------------


def task_table():
    """django_tasks_db's table (its name has changed between releases)."""
    return query("SELECT tablename FROM pg_tables WHERE tablename LIKE %s", ["%dbtaskresult"])[0][0]


def signature_tasks():
    """{signature id: number of confirmation tasks} from django_tasks_db's table."""
    counts = Counter()
    for (args_kwargs,) in query(
        f"SELECT args_kwargs FROM {task_table()} WHERE task_path LIKE %s",
        ["%send_confirmation%"],
    ):
        data = args_kwargs if isinstance(args_kwargs, dict) else json.loads(args_kwargs)
        ident = (data.get("kwargs") or {}).get("signature_id")
        if ident is None and data.get("args"):
            ident = data["args"][0]
        counts[int(ident)] += 1
    return counts


def confirm_links(mail_dir):
    """Paths of the confirmation links in every email the file backend wrote."""
    links = set()
    for path in Path(mail_dir).glob("*.log"):
        for chunk in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
            if not chunk.strip():
                continue
            message = email.message_from_string(chunk)
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                    links |= set(re.findall(r"https?://[^/\s]+(/petitions/[^/\s]+/confirm/[^/\s]+/)", text))
    return links


def confirm(path, twice=False):
    """Press the button on a confirmation page (twice at once if asked). Returns the statuses.

    Each thread GETs one confirmation page for its CSRF cookie and token, then only POSTs.
    """
    try:
        if not hasattr(_local, "confirmer"):
            visitor = Visitor()
            page = visitor.get(path)
            _, fields = parse_form(page.text)
            if fields is None:
                return [f"no-form-{page.status}"]
            _local.confirmer = (visitor, fields, KeptConnection())
        visitor, fields, second = _local.confirmer
        if not twice:
            return [visitor.post(path, fields).status]
        with ThreadPoolExecutor(2) as pool:  # two clicks at once, on two connections
            return list(
                pool.map(lambda conn: visitor.post(path, fields, conn).status, [visitor.connection, second])
            )
    except (OSError, http.client.HTTPException) as error:
        return [f"connection-{type(error).__name__}"]


def run_until(deadline, items, work, threads):
    """work(item) for each item on `threads` threads, starting none after `deadline`.

    Returns the results of the items that were started, in order; the rest are not attempted.
    """
    items = list(items)
    position = iter(range(len(items)))
    lock = threading.Lock()
    results = {}

    def loop():
        while time.monotonic() < deadline:
            with lock:
                index = next(position, None)
            if index is None:
                return
            results[index] = work(items[index])

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return [results[i] for i in sorted(results)]


def scenario_b():
    """N distinct signatures, their emails (worker running meanwhile), then N confirmations.

    Bounded: signing stops starting submissions at its share of the time left, and the later
    phases work on what was submitted; the figures then say how far it got out of N.
    """
    if not has_signing_flow():
        return record("b", "skipped (the petition page has no signing form yet)")
    n = ARGS.signatures
    prefix = f"load-{uuid.uuid4().hex[:6]}"
    end_of_run = started + ARGS.deadline
    sign_deadline = time.monotonic() + (end_of_run - time.monotonic()) * ARGS.sign_share

    mail_dir = VAR / "mail-load"
    shutil.rmtree(mail_dir, ignore_errors=True)
    mail_dir.mkdir(parents=True)
    # The task worker runs while signatures arrive, as in production: the emails go out meanwhile.
    workers = [
        start_worker(f"worker-load-{i}", EMAIL_URL=f"file://{mail_dir}") for i in range(ARGS.task_workers)
    ]
    try:
        begin = time.monotonic()
        cpu_before = cpu_snapshot(SERVER[0], workers)
        outcomes = Counter(
            run_until(
                sign_deadline, range(n),
                lambda i: sign(f"Load Signer {i}", f"{prefix}.{i}@reliability.example"), ARGS.concurrency,
            )
        )  # fmt: skip
        sign_seconds = time.monotonic() - begin
        submitted = sum(outcomes.values())
        sign_cpu = cpu_figures(cpu_before, cpu_snapshot(SERVER[0], workers), submitted, sign_seconds)
        rows = query(
            "SELECT id, state FROM campaign_signature WHERE email_normalised LIKE %s", [f"{prefix}.%"]
        )
        states = Counter(state for _, state in rows)
        tasks = signature_tasks()
        task_counts = Counter(tasks.get(ident, 0) for ident, _ in rows)
        signed = outcomes.get("signed", 0)
        ok_sign = (
            outcomes == Counter({"signed": submitted})
            and len(rows) == submitted
            and states == Counter({"pending": submitted})
        )
        ok_tasks = task_counts == Counter({1: submitted})
        record(
            "b.sign", ("PASS" if ok_sign and ok_tasks else "FAIL") + ("" if submitted == n else " (partial)"),
            requested=n, submissions=submitted, seconds=round(sign_seconds, 1),
            per_second=round(submitted / sign_seconds, 1), rows=len(rows), states=dict(states),
            outcomes=dict(outcomes), tasks_per_signature=dict(task_counts),
            cpu_per_signature=sign_cpu,
        )  # fmt: skip

        # Wait for the worker to finish the queue, but leave the confirmations at least as long.
        send_deadline = time.monotonic() + (end_of_run - time.monotonic()) * 0.4
        while time.monotonic() < send_deadline:
            waiting = query(f"SELECT count(*) FROM {task_table()} WHERE status IN ('READY', 'RUNNING')")
            if waiting[0][0] == 0:
                break
            time.sleep(1)
        send_seconds = time.monotonic() - begin
    finally:
        for worker in workers:
            worker.stop()
    links = sorted(link for link in confirm_links(mail_dir) if f"/petitions/{SLUG}/" in link)
    emailed = query(
        f"SELECT count(*) FROM {task_table()} WHERE task_path LIKE %s AND status = 'SUCCESSFUL'",
        ["%send_confirmation%"],
    )[0][0]
    log(f"b: {len(links)} confirmation links in the emails, {send_seconds:.0f}s after signing began")

    begin = time.monotonic()
    twice = set(links[:: max(1, round(100 / ARGS.double_percent))])
    cpu_before = cpu_snapshot(SERVER[0])
    results = run_until(end_of_run, links, lambda link: confirm(link, link in twice), ARGS.concurrency)
    confirm_cpu = cpu_figures(cpu_before, cpu_snapshot(SERVER[0]), len(results), time.monotonic() - begin)
    statuses = Counter(status for result in results for status in result)
    confirm_seconds = time.monotonic() - begin
    clicked = len(results)
    confirmed = query(
        "SELECT count(*) FROM campaign_signature WHERE email_normalised LIKE %s AND state = 'confirmed'",
        [f"{prefix}.%"],
    )[0][0]
    time.sleep(3)  # PETITION_COUNT_MAX_AGE=2: the shown count has refreshed by now
    shown = shown_count()
    total_confirmed = query(
        "SELECT count(*) FROM campaign_signature s JOIN campaign_petition p ON p.id = s.petition_id "
        "WHERE p.slug = %s AND s.state = 'confirmed'",
        [SLUG],
    )[0][0]
    bad = sum(n for status, n in statuses.items() if not (isinstance(status, int) and status < 500))
    doubled = len(twice & set(links[:clicked]))
    # The links include the earlier scenarios' pending signatures on the petition (a's, c's), and
    # nothing was confirmed before: every click confirms one signature, a second click none.
    ok = (
        bad == 0
        and total_confirmed == clicked
        and (shown is None or shown == total_confirmed)
        and confirmed <= signed
    )
    complete = signed == n and confirmed == n
    record(
        "b.confirm", ("PASS" if ok else "FAIL") + ("" if complete else " (partial)"),
        requested=n, emails_sent=emailed, links_found=len(links), send_seconds=round(send_seconds, 1),
        confirmations=clicked, double_posts=doubled, posts=sum(statuses.values()),
        seconds=round(confirm_seconds, 1), per_second=round(clicked / max(confirm_seconds, 0.1), 1),
        statuses=dict(statuses), confirmed_rows=confirmed, petition_confirmed=total_confirmed,
        shown_count=shown, errors=bad, cpu_per_confirmation=confirm_cpu,
    )  # fmt: skip


def shown_count():
    """The count as the public API shows it, or None while there is no API."""
    with contextlib.suppress(OSError, ValueError):
        response = request("GET", f"/api/v1/petitions/{SLUG}/")
        if response.status == 200 and "json" in (response.header("Content-Type") or ""):
            data = json.loads(response.body)
            for key in ("total_signatures", "signature_count", "count"):
                if isinstance(data.get(key), int):
                    return data[key]
    return None


# Scenario c: PostgreSQL stopped mid-run ------------------------------------------------------

PROBES = ["/healthz", "/", "/news/", "/api/v1/petitions/", petition_path()]


def scenario_c(cluster):
    flow = has_signing_flow()
    stop = threading.Event()
    signed, probes, lock = [], [], threading.Lock()
    counter = iter(range(10**9))
    prefix = f"outage-{uuid.uuid4().hex[:6]}"

    def signer():
        while not stop.is_set():
            i = next(counter)
            address = f"{prefix}.{i}@reliability.example"
            outcome = sign(f"Outage Signer {i}", address)
            with lock:
                signed.append((address, outcome, time.monotonic()))

    def prober(path):
        while not stop.is_set():
            sent = time.monotonic()
            try:
                response = request("GET", path, timeout=60)
                entry = (time.monotonic(), path, response.status, response.header("Retry-After"),
                         response.elapsed, "Traceback" in response.text,
                         "Temporarily unavailable" in response.text or path == "/healthz", sent)  # fmt: skip
            except (OSError, http.client.HTTPException) as error:
                entry = (time.monotonic(), path, type(error).__name__, None, None, False, False, sent)
            with lock:
                probes.append(entry)
            time.sleep(0.3)

    threads = [threading.Thread(target=prober, args=(path,)) for path in PROBES]
    if flow:
        threads += [threading.Thread(target=signer) for _ in range(ARGS.outage_signers)]
    for thread in threads:
        thread.start()
    time.sleep(4)
    down_at = time.monotonic()
    cluster.stop()
    log("c: PostgreSQL stopped")
    time.sleep(ARGS.outage_seconds)
    up_at = time.monotonic()
    cluster.start()
    log("c: PostgreSQL started")
    recovered_at = None
    while time.monotonic() - up_at < 60:
        with contextlib.suppress(OSError, http.client.HTTPException):
            if request("GET", "/healthz").status == 200:
                recovered_at = time.monotonic()
                break
        time.sleep(0.2)
    time.sleep(4)
    stop.set()
    for thread in threads:
        thread.join()

    # Sent and answered while PostgreSQL was down.
    during = [p for p in probes if down_at + 1 < p[7] and p[0] < up_at]
    failures = [p for p in probes if not isinstance(p[2], int) or p[2] >= 500]
    unstyled = [p for p in failures if p[2] != 503 or not p[3] or p[5] or not p[6]]
    healthz_down = Counter(p[2] for p in during if p[1] == "/healthz")
    slowest = max((p[4] for p in during if p[4] is not None), default=0)
    after = [p for p in probes if recovered_at and p[0] > recovered_at + 1]
    after_bad = [p for p in after if not isinstance(p[2], int) or p[2] >= 500]
    figures = {
        "outage_seconds": ARGS.outage_seconds,
        "probes": len(probes),
        "probes_during": len(during),
        "healthz_during": dict(healthz_down),
        "5xx_or_errors": len(failures),
        "unstyled_or_without_retry_after": len(unstyled),
        "slowest_during_s": round(slowest, 1),
        "recovered_after_s": round(recovered_at - up_at, 1) if recovered_at else None,
        "errors_after_recovery": len(after_bad),
        "statuses_during": {
            f"{path} {status}": n for (path, status), n in Counter((p[1], p[2]) for p in during).items()
        },
    }
    ok = (
        healthz_down
        and set(healthz_down) == {503}
        and not unstyled
        and recovered_at is not None
        and not after_bad
    )
    if flow:
        outcomes = Counter(outcome for _, outcome, _ in signed)
        answered = [address for address, outcome, _ in signed if outcome == "signed"]
        stored = {
            row[0]
            for row in query(
                "SELECT email_normalised FROM campaign_signature WHERE email_normalised LIKE %s",
                [f"{prefix}.%"],
            )
        }
        lost = [address for address in answered if address.lower() not in stored]
        figures |= {"submissions": len(signed), "answered_303": len(answered), "rows": len(stored),
                    "lost": len(lost), "outcomes": dict(outcomes)}  # fmt: skip
        ok = ok and not lost
    else:
        figures["signing"] = "skipped (no signing form yet): probes only"
    if unstyled:
        figures["first_unstyled"] = unstyled[:3]
    record("c", "PASS" if ok else "FAIL", faults_injected=1, **figures)


# Scenario d: the worker stopped; a failing mail server ---------------------------------------


def tasks_for(ids):
    rows = query(
        f"SELECT args_kwargs, status FROM {task_table()} WHERE task_path LIKE %s", ["%send_confirmation%"]
    )
    statuses = Counter()
    for args_kwargs, status in rows:
        data = args_kwargs if isinstance(args_kwargs, dict) else json.loads(args_kwargs)
        ident = (data.get("kwargs") or {}).get("signature_id") or (data.get("args") or [None])[0]
        if ident in ids:
            statuses[status] += 1
    return statuses


def mail_count(mail_dir, needle):
    return sum(path.read_text(errors="replace").count(needle) for path in Path(mail_dir).glob("*.log"))


def scenario_d():
    if not has_signing_flow():
        return record("d", "skipped (the petition page has no signing form yet)")
    n = ARGS.queue_signatures
    prefix = f"queued-{uuid.uuid4().hex[:6]}"
    with ThreadPoolExecutor(16) as pool:
        outcomes = Counter(
            pool.map(lambda i: sign(f"Queued {i}", f"{prefix}.{i}@reliability.example"), range(n))
        )
    ids = {
        row[0]
        for row in query("SELECT id FROM campaign_signature WHERE email_normalised LIKE %s", [f"{prefix}.%"])
    }
    waiting = tasks_for(ids)
    mail_dir = VAR / "mail-queue"
    shutil.rmtree(mail_dir, ignore_errors=True)
    mail_dir.mkdir(parents=True)
    before_worker = mail_count(mail_dir, f"{prefix}.")
    worker = start_worker("worker-queue", EMAIL_URL=f"file://{mail_dir}")
    begin = time.monotonic()
    try:
        while time.monotonic() - begin < 120 and tasks_for(ids).get("SUCCESSFUL", 0) < n:
            time.sleep(0.5)
    finally:
        worker.stop()
    sent = tasks_for(ids)
    # Each message holds the address in its To: header (and the greeting may repeat it): count To: lines.
    delivered = sum(
        len(re.findall(rf"^To: {re.escape(prefix)}\.\d+@", path.read_text(errors="replace"), re.M))
        for path in mail_dir.glob("*.log")
    )
    ok = outcomes == Counter({"signed": n}) and waiting == Counter({"READY": n}) and delivered == n
    record(
        "d.queue", "PASS" if ok else "FAIL",
        submissions=n, rows=len(ids), tasks_while_stopped=dict(waiting), mails_while_stopped=before_worker,
        tasks_after_worker=dict(sent), mails_delivered=delivered, seconds_to_send=round(time.monotonic() - begin, 1),
    )  # fmt: skip

    # A mail server that refuses connections.
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        closed_port = sock.getsockname()[1]
    prefix = f"smtpdown-{uuid.uuid4().hex[:6]}"
    m = max(5, n // 10)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: sign(f"Smtp Down {i}", f"{prefix}.{i}@reliability.example"), range(m)))
    ids = {
        row[0]
        for row in query("SELECT id FROM campaign_signature WHERE email_normalised LIKE %s", [f"{prefix}.%"])
    }
    down = f"smtp://{HOST}:{closed_port}?timeout=2"
    rounds = []
    for _ in range(2):  # two failed attempts in a row: the second waits longer than the first
        batch = run_worker_batch(EMAIL_URL=down)
        retries = retry_tasks(ids)
        rounds.append(
            {
                "tasks": dict(tasks_for(ids)),
                "retries_ready": len(retries),
                "retry_in_s": sorted({round(delay) for _, delay in retries}),
                "pending": pending_count(prefix),
                "worker_exit": batch.returncode,
            }
        )
        # The clock moves on: the retries become due (instead of waiting minutes).
        query(f"UPDATE {task_table()} SET run_after = now() WHERE id = ANY(%s) RETURNING id",
              [[i for i, _ in retries]])  # fmt: skip
    # Mail works again: the next worker pass sends what failed.
    mail_dir = VAR / "mail-retry"
    mail_dir.mkdir(parents=True, exist_ok=True)
    run_worker_batch(EMAIL_URL=f"file://{mail_dir}")
    retried = sum(
        len(re.findall(rf"^To: {re.escape(prefix)}\.\d+@", path.read_text(errors="replace"), re.M))
        for path in mail_dir.glob("*.log")
    )
    final = tasks_for(ids)
    ok = (
        all(r["pending"] == m and r["retries_ready"] == m for r in rounds)
        and rounds[0]["retry_in_s"] and max(rounds[0]["retry_in_s"]) <= 60 < min(rounds[1]["retry_in_s"])
        and retried == m
        and pending_count(prefix) == m
        and final.get("READY", 0) == 0
    )  # fmt: skip
    record(
        "d.smtp-down", "PASS" if ok else "FAIL",
        submissions=m, rows=len(ids), attempts_while_down=rounds, sent_after_mail_returned=retried,
        tasks_at_end=dict(final), pending_at_end=pending_count(prefix), faults_injected=1,
    )  # fmt: skip


def retry_tasks(ids):
    """(task id, seconds until due) of the READY confirmation tasks of these signatures."""
    rows = query(
        f"SELECT id, args_kwargs, extract(epoch FROM run_after - now()) FROM {task_table()} "
        "WHERE task_path LIKE %s AND status = 'READY'",
        ["%send_confirmation%"],
    )
    due = []
    for ident, args_kwargs, seconds in rows:
        data = args_kwargs if isinstance(args_kwargs, dict) else json.loads(args_kwargs)
        if (data.get("args") or [None])[0] in ids:
            due.append((ident, float(seconds)))
    return due


def pending_count(prefix):
    return query(
        "SELECT count(*) FROM campaign_signature WHERE email_normalised LIKE %s AND state = 'pending'",
        [f"{prefix}.%"],
    )[0][0]


# Scenario e: idempotence ------------------------------------------------------------------------


def fingerprint():
    tables = [
        name
        for (name,) in query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        if name.startswith(("campaign_", "coalition_", "testimonies_", "auth_", "django_migrations"))
    ]
    return {
        table: query(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t"
        )[0]
        for table in tables
    }


def scenario_e_migrate_and_fixtures():
    before = fingerprint()
    second = manage("migrate", "--no-input")
    after = fingerprint()
    ok = before == after and "No migrations to apply" in second.stdout
    record("e.migrate-twice", "PASS" if ok else "FAIL", tables=len(after),
           changed=[t for t in after if before.get(t) != after[t]])  # fmt: skip

    fixtures = sorted((ROOT / "fixtures").glob("*.json")) if (ROOT / "fixtures").is_dir() else []
    if not fixtures:
        return record("e.fixtures-twice", "skipped (no fixtures/ in this checkout yet)")
    manage("load_content", "--force")
    once = fingerprint()
    manage("load_content", "--force")
    manage("load_content")
    twice = fingerprint()
    counts_once = {t: v[0] for t, v in once.items()}
    counts_twice = {t: v[0] for t, v in twice.items()}
    ok = counts_once == counts_twice
    record("e.fixtures-twice", "PASS" if ok else "FAIL", fixtures=len(fixtures),
           rows=sum(counts_twice.values()),
           changed=[t for t in counts_twice if counts_once.get(t) != counts_twice[t]])  # fmt: skip


def scenario_e_purge():
    manage("purge_signatures")
    once = fingerprint()
    manage("purge_signatures")
    twice = fingerprint()
    record("e.purge-twice", "PASS" if once == twice else "FAIL", tables=len(twice),
           changed=[t for t in twice if once.get(t) != twice[t]])  # fmt: skip


# Set-up and the run ----------------------------------------------------------------------------

CREATE_PETITION = f"""
from django.utils import timezone
from campaign.models import ConsentWording, Petition
# Not featured: the fixtures' petition keeps that place, so reloading them still works.
petition, _ = Petition.objects.update_or_create(slug={SLUG!r}, defaults=dict(
    title="Reliability run", ask="Establish a Commission of Inquiry.", addressee="the UN",
    state="open", opens_at=timezone.now() - timezone.timedelta(days=1), is_featured=False, goal=100000))
ConsentWording.objects.get_or_create(petition=petition, version=1, defaults={{"text": "I agree."}})
"""


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def main():
    global ARGS
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--signatures", type=int, default=10000, help="scenario b size [10000]")
    parser.add_argument("--race", type=int, default=200, help="simultaneous same-email submissions [200]")
    parser.add_argument("--concurrency", type=int, default=32, help="client threads for scenario b [32]")
    parser.add_argument("--double-percent", type=float, default=10, help="confirmations POSTed twice [10]")
    parser.add_argument("--queue-signatures", type=int, default=200, help="scenario d size [200]")
    parser.add_argument("--outage-seconds", type=float, default=10)
    parser.add_argument("--outage-signers", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers [4]")
    parser.add_argument("--pool-max", type=int, default=4, help="database pool per worker [4]")
    parser.add_argument("--pool-timeout", type=int, default=1, help="DATABASE_POOL_TIMEOUT for the run [1 s]")
    parser.add_argument("--pg-port", type=int, default=5438)
    parser.add_argument("--port", type=int, default=0, help="gunicorn port [a free one]")
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker [2]")
    parser.add_argument("--task-workers", type=int, default=2, help="db_worker processes in scenario b [2]")
    parser.add_argument("--budget", type=float, default=480, help="start no scenario after this [480 s]")
    parser.add_argument(
        "--deadline", type=float, default=540, help="scenario b starts no work after this [540 s]"
    )
    parser.add_argument(
        "--sign-share", type=float, default=0.7, help="share of b's time for submissions [0.7]"
    )
    parser.add_argument("--only", default="eadcb", help="scenarios to run, in order, e.g. 'ec' [eadcb]")
    ARGS = parser.parse_args()
    ARGS.port = ARGS.port or free_port()
    if os.geteuid() != 0:
        sys.exit("reliability.py manages its own PostgreSQL cluster: run it as root (as CI does).")
    if ARGS.pg_port == 5432:
        sys.exit("5432 is the shared cluster; choose another --pg-port.")

    shutil.rmtree(VAR, ignore_errors=True)
    (VAR / "mail").mkdir(parents=True)
    cluster = Cluster(ARGS.pg_port)
    server = None
    try:
        log(f"creating PostgreSQL cluster {PG_VERSION}/{CLUSTER} on port {ARGS.pg_port}")
        cluster.create()
        manage("migrate", "--no-input")
        # The fixtures first: loading them again later updates their rows (same keys) only.
        manage("load_content")
        manage("shell", "-c", CREATE_PETITION)
        log(f"gunicorn -w {ARGS.workers} on {HOST}:{ARGS.port}")
        server = start_server()
        SERVER.append(server)
        log("signing flow present:", has_signing_flow())
        scenarios = {
            "a": scenario_a,
            "b": scenario_b,
            "d": scenario_d,
            "c": lambda: scenario_c(cluster),
        }
        for key in ARGS.only:
            if key == "e" and not over_budget():
                scenario_e_migrate_and_fixtures()
                scenario_e_purge()
                continue
            if over_budget() or (key == "b" and started + ARGS.deadline - time.monotonic() < 60):
                record(key, "skipped (time budget)")
                continue
            try:
                scenarios[key]()
            except Exception:
                traceback.print_exc()
                record(key, "FAIL", error="the scenario raised; see above")
    finally:
        if server:
            server.stop()
        tracebacks = 0
        if (VAR / "gunicorn.log").exists():
            tracebacks = (VAR / "gunicorn.log").read_text(errors="replace").count("Traceback")
        log(
            f"server log: {tracebacks} tracebacks logged (expected only during the outage) in {VAR / 'gunicorn.log'}"
        )
        log(f"dropping cluster {PG_VERSION}/{CLUSTER}")
        cluster.drop()

    summary = {
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(time.monotonic() - started),
        "arguments": vars(ARGS),
        "cpus": os.cpu_count(),
        "results": [{"scenario": s, "verdict": v, "figures": f} for s, v, f in results],
    }
    (VAR / "results.json").write_text(json.dumps(summary, indent=2, default=str))
    print("\nSummary")
    for scenario, verdict, _figures in results:
        print(f"  {scenario:18} {verdict}")
    print(f"  total {time.monotonic() - started:.0f}s")
    sys.exit(1 if any(verdict == "FAIL" for _, verdict, _ in results) else 0)


if __name__ == "__main__":
    main()
