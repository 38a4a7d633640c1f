#!/usr/bin/env python3
"""`make bench`: load-test the site on this machine and compare with its own ceiling.

Sets up everything it needs and removes it afterwards: a throwaway PostgreSQL
cluster (initdb into a temporary directory, its own port), migrations,
collectstatic, generated data (``manage.py generate_bench_data``), gunicorn
with production settings (2 sync workers), and ``wrk`` (installed from Debian
when missing) with Lua scripts for the POSTs. Every request goes to 127.0.0.1.

Every goal is a ratio to the ceiling measured in the same run, because
absolute numbers drift between runs on shared machines. A measurement that
cannot run yet (a page or form not built) prints "n/a (reason)" instead of
stopping the run. Results: a table on stdout, JSON in var/bench/.

Standard library only (run it with the project's virtualenv Python so that
manage.py and gunicorn find Django).
"""

import argparse
import contextlib
import datetime
import gzip
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "var" / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
HOST = "127.0.0.1"

# Goals from issue 6, as ratios to the ceiling measured in the same run.
PAGE_SHARE = 0.50  # anonymous pages: >= 50 % of the ceiling's requests/s
PAGE_P99_MS = 100
SIGN_SHARE = 0.12  # signing: >= 12 % of the ceiling's requests/s
SIGN_P99_MS = 250
READS_KEPT = 0.80  # reads during confirmations keep >= 80 % of unloaded throughput
FLAT_RATIO = 0.90  # 1,000,000 vs 1,000 signatures
PAGE_WEIGHT_KB = 100


class Unavailable(Exception):
    """A measurement that cannot run yet; its reason goes in the table."""


# Processes --------------------------------------------------------------------


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(cmd, *, env=None, timeout=300, check=True, capture=True, user=None):
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    result = subprocess.run(cmd, env=env, timeout=timeout, text=True, capture_output=capture, cwd=ROOT)
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def free_port(preferred=None):
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free port")


def apt_install(package):
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError(f"{package} is missing; install it (e.g. sudo apt-get install {package}).")
    log(f"installing {package} from Debian")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], env=env, timeout=300, check=False)
    run(["apt-get", "install", "-y", "-qq", package], env=env, timeout=300)


def ensure_wrk():
    if not shutil.which("wrk"):
        apt_install("wrk")
    return shutil.which("wrk")


def postgres_bin():
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not versions:
        if shutil.which("pg_ctl"):
            return Path(shutil.which("pg_ctl")).parent
        apt_install("postgresql")
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parent


class Postgres:
    """A throwaway cluster in a temporary directory; never the shared one."""

    def __init__(self, port):
        self.bin = postgres_bin()
        self.port = port
        self.user = "postgres" if os.geteuid() == 0 else None
        self.dir = Path(tempfile.mkdtemp(prefix="bench-pg-"))
        self.started = False

    def start(self):
        data = self.dir / "data"
        if self.user:
            shutil.chown(self.dir, self.user)
        run([str(self.bin / "initdb"), "-D", str(data), "-U", "bench", "--auth=trust", "-E", "UTF8",
             "--locale=C.UTF-8", "--no-sync"], user=self.user, timeout=120)  # fmt: skip
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses={HOST} -c max_connections=60 "
            "-c shared_buffers=256MB -c max_wal_size=2GB -c log_min_messages=warning"
        )
        run([str(self.bin / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.dir / "log"), "-w",
             "-t", "60", "start"], user=self.user, timeout=90)  # fmt: skip
        self.started = True
        run(
            [str(self.bin / "createdb"), "-h", HOST, "-p", str(self.port), "-U", "bench", "bench"], timeout=60
        )

    @property
    def url(self):
        return f"postgres://bench@{HOST}:{self.port}/bench"

    def query(self, sql):
        result = run([str(self.bin / "psql"), "-h", HOST, "-p", str(self.port), "-U", "bench", "-d", "bench",
                      "-Atc", sql], timeout=120)  # fmt: skip
        return result.stdout.strip()

    def version(self):
        return self.query("SHOW server_version")

    def stop(self):
        if self.started:
            run([str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "-t", "30", "stop"],
                user=self.user, timeout=60, check=False)  # fmt: skip
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


class Gunicorn:
    def __init__(self, port, env, workers=2, worker_class="sync", threads=1):
        self.port = port
        self.env = env
        self.options = ["-w", str(workers), "--worker-class", worker_class, "--threads", str(threads)]
        self.process = None
        self.log = OUT_DIR / "gunicorn.log"

    def start(self):
        cmd = [str(VENV_BIN / "gunicorn"), "campaign.wsgi", *self.options, "-b", f"{HOST}:{self.port}",
               "--error-logfile", str(self.log), "--log-level", "warning"]  # fmt: skip
        with open(self.log, "a") as output:  # Django's error log goes to stderr
            self.process = subprocess.Popen(
                cmd, env=self.env, cwd=ROOT, start_new_session=True, stdout=output, stderr=output
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            with contextlib.suppress(OSError):
                if http_get("/healthz", port=self.port).status == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def workers(self):
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return [int(pid) for pid in children.read_text().split()]
        return []

    def stop(self):
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def peak_rss_kb(pid):
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


# HTTP -----------------------------------------------------------------------


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def cookies(self):
        jar = {}
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                jar[name.strip()] = rest.split(";")[0]
        return jar

    @property
    def text(self):
        body = self.body
        if self.header("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return body.decode("utf-8", "replace")


def http_get(path, *, port, headers=None, method="GET", body=None, timeout=30):
    conn = HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Response(response.status, response.getheaders(), response.read())
    finally:
        conn.close()


class FormParser(HTMLParser):
    """Forms (action, method, fields) and the page's assets."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.assets = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "fields": [],
            }
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            self._form["fields"].append({"tag": "input", **a, "type": a.get("type", "text").lower()})
        elif tag == "select" and self._form is not None and a.get("name"):
            self._select = {"tag": "select", **a, "options": []}
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a)
        elif tag == "textarea" and self._form is not None and a.get("name"):
            self._textarea = {"tag": "textarea", **a, "value": ""}
            self._form["fields"].append(self._textarea)
        if tag == "link" and a.get("href"):
            rels = set(a.get("rel", "").lower().split())
            if rels & {"stylesheet", "icon", "preload", "modulepreload", "apple-touch-icon"}:
                self.assets.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.assets.append(a["src"])
        elif tag in {"img", "source"}:
            if a.get("src"):
                self.assets.append(a["src"])
            elif a.get("srcset"):
                self.assets.append(a["srcset"].split(",")[0].split()[0])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data


def parse_html(html):
    parser = FormParser()
    parser.feed(html)
    return parser


# wrk ------------------------------------------------------------------------

LUA_COMMON = r"""
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  local s2, s3, s4, s5, other = 0, 0, 0, 0, 0
  local counted = false
  for _, t in ipairs(threads) do
    if t:get("n2") ~= nil then
      counted = true
      s2 = s2 + t:get("n2"); s3 = s3 + t:get("n3"); s4 = s4 + t:get("n4")
      s5 = s5 + t:get("n5"); other = other + t:get("nother")
    end
  end
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
    .. '"max_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,'
    .. '"timeouts":%d,"counted":%s,"n2xx":%d,"n3xx":%d,"n4xx":%d,"n5xx":%d,"nother":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, tostring(counted), s2, s3, s4, s5, other))
end
"""

LUA_COUNT_STATUS = r"""
n2, n3, n4, n5, nother = 0, 0, 0, 0, 0
function response(status, headers, body)
  if status >= 200 and status < 300 then n2 = n2 + 1
  elseif status >= 300 and status < 400 then n3 = n3 + 1
  elseif status >= 400 and status < 500 then n4 = n4 + 1
  elseif status >= 500 then n5 = n5 + 1
  else nother = nother + 1 end
end
"""

LUA_PACING = r"""
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_usec; } bench_timeval;
  int gettimeofday(bench_timeval *tv, void *tz);
]]
local tv = ffi.new("bench_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end
local next_slot = nil
-- Each thread sends at {rate_per_thread}/s, whatever the latency (open loop).
function delay()
  local now = now_ms()
  if next_slot == nil or next_slot < now - 1000 then next_slot = now end
  local wait = next_slot - now
  next_slot = next_slot + {interval_ms}
  if wait < 0 then return 0 end
  return wait
end
"""


def lua_string(value):
    return json.dumps(value)  # a JSON string is a valid Lua string literal for ASCII


def lua_headers(headers):
    return "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()) + "}"


class Wrk:
    def __init__(self, binary, port, duration, connections, threads, workdir):
        self.binary = binary
        self.port = port
        self.duration = duration
        self.connections = connections
        self.threads = threads
        self.workdir = workdir
        self.count = 0
        self.processes = []

    def script(self, body):
        self.count += 1
        path = self.workdir / f"script{self.count}.lua"
        path.write_text(LUA_COMMON + body)
        return path

    def start(self, path, lua_body="", *, connections=None, threads=None, duration=None):
        script = self.script(lua_body)
        cmd = [self.binary, "-t", str(threads or self.threads), "-c", str(connections or self.connections),
               "-d", f"{duration or self.duration}s", "--timeout", "10s", "--latency", "-s", str(script),
               f"http://{HOST}:{self.port}{path}"]  # fmt: skip
        process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        self.processes.append(process)
        return process

    def stop_all(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)

    def finish(self, process):
        out, err = process.communicate(timeout=(self.duration or 10) + 120)
        match = re.search(r"^BENCHJSON (.*)$", out, re.MULTILINE)
        if not match:
            raise Unavailable(f"wrk failed: {err.strip() or out.strip()}"[:200])
        data = json.loads(match.group(1))
        seconds = data["duration_us"] / 1e6
        data["rps"] = data["requests"] / seconds if seconds else 0.0
        data["p50_ms"] = data["p50_us"] / 1000
        data["p99_ms"] = data["p99_us"] / 1000
        data["errors"] = sum(
            data[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
        )
        return data

    def measure(self, path, lua_body="", **kwargs):
        return self.finish(self.start(path, lua_body, **kwargs))


def get_lua(headers=None):
    if not headers:
        return ""
    return "".join(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}\n" for k, v in headers.items())


def alternating_get_lua(paths, headers=None):
    """Each connection cycles through the paths (e.g. the petition page and the count API)."""
    reqs = ", ".join(f"wrk.format('GET', {lua_string(p)}, {lua_headers(headers or {})})" for p in paths)
    return f"""
local reqs = nil
local i = 0
function request()
  if reqs == nil then reqs = {{{reqs}}} end
  i = i + 1
  return reqs[(i % #reqs) + 1]
end
"""


# The run --------------------------------------------------------------------


class Bench:
    def __init__(self, args):
        self.args = args
        self.results = {"measurements": {}, "table": []}
        self.pg = None
        self.gunicorn = None
        self.workdir = Path(tempfile.mkdtemp(prefix="bench-run-"))
        self.run_id = "b" + "".join(random.choices(string.ascii_lowercase + string.digits, k=6))

    # setup

    def django_env(self):
        env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "CACHE_URL"}}
        env.update(
            DEBUG="0",
            SECRET_KEY="bench-" + "".join(random.choices(string.ascii_letters + string.digits, k=50)),
            IP_HASH_KEY="bench-ip-" + "".join(random.choices(string.ascii_letters, k=40)),
            ALLOWED_HOSTS=f"{HOST},localhost",
            SITE_URL=f"http://{HOST}:{self.port}",
            SECURE_SSL_REDIRECT="0",
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
            SECURE_HSTS_SECONDS="0",
            STATIC_MANIFEST="1",
            EMAIL_URL="locmem:",
            TASKS_BACKEND="database",
            CACHE_URL="db://django_cache",
            DATABASE_URL=self.pg.url,
            PETITION_RATE_LIMITS="0",
            PETITION_MIN_FILL_SECONDS="0",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        return env

    def manage(self, *args, timeout=600):
        return run([PYTHON, "manage.py", *args], env=self.env, timeout=timeout)

    def generate(self, signatures, **extra):
        cmd = ["generate_bench_data", f"--signatures={signatures}", "--json", "--clear-cache"]
        cmd += [f"--{k.replace('_', '-')}={v}" for k, v in extra.items()]
        result = self.manage(*cmd)
        return json.loads(result.stdout.strip().splitlines()[-1])

    def setup(self):
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        self.wrk_binary = ensure_wrk()
        self.pg = Postgres(free_port(5439))
        log(f"starting a throwaway PostgreSQL on port {self.pg.port} in {self.pg.dir}")
        self.pg.start()
        self.port = free_port(8765)
        self.env = self.django_env()
        t = time.monotonic()
        self.manage("migrate", "--no-input")
        log(f"migrated in {time.monotonic() - t:.1f} s")
        if not self.args.data_only:
            t = time.monotonic()
            # Without --clear: unchanged files are neither copied nor compressed again.
            self.manage("collectstatic", "--no-input")
            log(f"collected static files in {time.monotonic() - t:.1f} s")
        self.data = self.generate(self.args.small)
        log(f"generated data: {self.data['signatures']} signatures ({self.data['insert_seconds']} s)")
        if self.args.data_only:
            return
        a = self.args
        self.gunicorn = Gunicorn(self.port, self.env, a.workers, a.worker_class, a.worker_threads)
        self.gunicorn.start()
        log(f"gunicorn ({a.workers} {a.worker_class} workers, {a.worker_threads} threads each) on "
            f"http://{HOST}:{self.port}")  # fmt: skip
        self.wrk = Wrk(self.wrk_binary, self.port, self.args.duration, self.args.connections, self.args.threads,
                       self.workdir)  # fmt: skip

    def teardown(self):
        if getattr(self, "wrk", None):
            self.wrk.stop_all()
        if self.gunicorn:
            rss = {str(pid): peak_rss_kb(pid) for pid in self.gunicorn.workers()}
            self.results["worker_peak_rss_kb"] = rss
            self.gunicorn.stop()
        if self.pg:
            self.pg.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # helpers

    def row(self, name, figure, goal="", passed=None):
        self.results["table"].append({"measurement": name, "figure": figure, "goal": goal, "pass": passed})
        mark = "" if passed is None else ("PASS" if passed else "FAIL")
        print(f"  {name:<46} {figure:<40} {goal:<28} {mark}", flush=True)

    def na(self, name, reason):
        self.results["table"].append(
            {"measurement": name, "figure": f"n/a ({reason})", "goal": "", "pass": None}
        )
        print(f"  {name:<46} n/a ({reason})", flush=True)

    def check_get(self, path, headers=None):
        response = http_get(path, port=self.port, headers=headers)
        if response.status != 200:
            raise Unavailable(f"GET {path} answers {response.status}")
        return response

    def warm(self, path, headers=None, times=4):
        for _ in range(times):
            http_get(path, port=self.port, headers=headers)

    def get_figure(self, data):
        return f"{data['rps']:.0f} req/s, p50 {data['p50_ms']:.1f} ms, p99 {data['p99_ms']:.1f} ms"

    # measurements

    def ceiling(self):
        results = {}
        manifest = ROOT / "staticfiles" / "staticfiles.json"
        paths = json.loads(manifest.read_text())["paths"] if manifest.exists() else {}
        candidates = [
            (abs((ROOT / "staticfiles" / hashed).stat().st_size - 30_000), name, hashed)
            for name, hashed in paths.items()
            if (ROOT / "staticfiles" / hashed).exists() and not name.endswith((".map", ".gz", ".br"))
        ]
        static = min(candidates)[2] if candidates else None
        for label, path in [
            ("robots.txt", "/robots.txt"),
            ("static", f"/static/{static}" if static else None),
        ]:
            name = f"1. ceiling: {label if label != 'static' else 'static ' + Path(static or '').name}"
            try:
                if path is None:
                    raise Unavailable("no collected static file")
                self.check_get(path)
                self.warm(path)
                data = self.wrk.measure(path, LUA_COUNT_STATUS)
                results[label] = data
                self.row(name, self.get_figure(data), "(reference)")
            except Unavailable as exc:
                self.na(name, exc)
        self.results["measurements"]["ceiling"] = results
        rates = [d["rps"] for d in results.values()]
        if not rates:
            raise RuntimeError("no ceiling: the site does not answer /robots.txt")
        self.ceiling_rps = max(rates)
        self.row("   ceiling used for the ratios", f"{self.ceiling_rps:.0f} req/s", "(the higher of the two)")

    def returning_cookies(self):
        """The site's own cookies: a CSRF cookie it set and a cookie choice."""
        token = None
        for path in (self.data["petition_path"], "/", "/cookies/"):
            with contextlib.suppress(OSError):
                token = http_get(path, port=self.port).cookies().get("csrftoken") or token
            if token:
                break
        origin = "from the site"
        if not token:
            token = "".join(random.choices(string.ascii_letters + string.digits, k=32))
            origin = "made up: no page set one yet"
        self.results["returning_visitor_csrf_cookie"] = origin
        return {"Cookie": f"csrftoken={token}; cookie_consent=declined"}

    def pages(self):
        pages = [("home", "/"), ("coalition", "/coalition/"), ("testimony", self.data["testimony_path"]),
                 ("petition", self.data["petition_path"])]  # fmt: skip
        returning = self.returning_cookies()
        results = {}
        for visitor, headers in [("new", None), ("returning", returning)]:
            for label, path in pages:
                name = f"2. {label} ({visitor} visitor)"
                try:
                    if not path:
                        raise Unavailable("no such page in the data")
                    response = self.check_get(path, headers)
                    self.warm(path, headers)
                    data = self.wrk.measure(path, get_lua(headers) + LUA_COUNT_STATUS)
                    data["page_cache"] = response.header("X-Page-Cache")
                    results[f"{label}/{visitor}"] = data
                    share = data["rps"] / self.ceiling_rps
                    ok = share >= PAGE_SHARE and data["p99_ms"] < PAGE_P99_MS and data["errors"] == 0
                    self.row(name, f"{self.get_figure(data)} = {share:.0%}",
                             f">= {PAGE_SHARE:.0%}, p99 < {PAGE_P99_MS} ms", ok)  # fmt: skip
                except Unavailable as exc:
                    self.na(name, exc)
        self.results["measurements"]["pages"] = results

    def flat_reads(self, size_label):
        results = self.results["measurements"].setdefault("flat", {})
        for label, path in [
            ("count API", self.data["api_path"]),
            ("petition page", self.data["petition_path"]),
        ]:
            name = f"5. {label} at {self.data['signatures']:,} signatures"
            try:
                self.check_get(path)
                self.warm(path)
                data = self.wrk.measure(path, LUA_COUNT_STATUS)
                data["signatures"] = self.data["signatures"]
                results[f"{label}/{size_label}"] = data
                goal, ok = "", None
                if size_label == "large" and f"{label}/small" in results:
                    ratio = data["rps"] / results[f"{label}/small"]["rps"]
                    data["ratio"] = ratio
                    goal, ok = f"ratio >= {FLAT_RATIO}", ratio >= FLAT_RATIO
                    self.row(name, f"{self.get_figure(data)}, ratio {ratio:.2f}", goal, ok)
                else:
                    self.row(name, self.get_figure(data), "(reference for the ratio)")
            except Unavailable as exc:
                self.na(name, exc)

    def signing_form(self):
        """The petition form's fields, filled like a visitor would, with its CSRF cookie."""
        path = self.data["petition_path"]
        response = self.check_get(path)
        forms = [
            f for f in parse_html(response.text).forms
            if f["method"] == "post" and any(x.get("type") == "email" or "email" in x["name"] for x in f["fields"])
        ]  # fmt: skip
        if not forms:
            raise Unavailable("no signing form on the petition page yet")
        form = forms[0]
        cookie = response.cookies().get("csrftoken")
        if not cookie:
            raise Unavailable("the petition page sets no CSRF cookie")
        fields, email_field = [], None
        for field in form["fields"]:
            name, kind = field["name"], field.get("type", "")
            if field["tag"] == "input" and (kind == "email" or name == "email"):
                email_field = name
                continue
            if field["tag"] == "select":
                # The preselected option, unless it is the empty "choose one": then a real one.
                options = [o.get("value", "") for o in field["options"]]
                chosen = next((o.get("value", "") for o in field["options"] if "selected" in o), "")
                if not chosen and ("required" in field or "country" in name):
                    chosen = "GB" if "GB" in options else next((o for o in options if o), "")
                fields.append((name, chosen))
            elif kind == "checkbox":
                if "required" in field or any(w in name for w in ("consent", "agree", "terms")):
                    fields.append((name, field.get("value") or "on"))
            elif kind in {"submit", "button", "radio"} and not field.get("value"):
                continue
            elif kind == "hidden" or field.get("value"):
                fields.append((name, field.get("value", "")))
            elif field["tag"] == "textarea":
                fields.append((name, ""))
            elif "required" in field or name in {"name", "full_name", "first_name", "last_name"}:
                fields.append((name, "Bench Signer"))
            else:
                fields.append((name, ""))  # optional text, and the honeypot, stay empty
        if not email_field:
            raise Unavailable("no email field in the form")
        action = urljoin(path, form["action"] or path)
        return action, cookie, fields, email_field

    def signing(self):
        name = "3. signing POSTs (unique emails)"
        try:
            action, cookie, fields, email_field = self.signing_form()
            headers = {"Cookie": f"csrftoken={cookie}", "Content-Type": "application/x-www-form-urlencoded",
                       "Referer": f"http://{HOST}:{self.port}{self.data['petition_path']}"}  # fmt: skip
            probe = urlencode([*fields, (email_field, f"{self.run_id}probe@sign.bench.example.org")])
            response = http_get(action, port=self.port, method="POST", body=probe, headers=headers)
            if response.status != 303:
                snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))[:120]
                raise Unavailable(f"a signing POST answers {response.status}, not 303: {snippet}")
            prefix = urlencode(fields) + f"&{email_field}="
            lua = f"""
local headers = {lua_headers(headers)}
local counter = 0
function request()
  counter = counter + 1
  local email = "{self.run_id}t" .. id .. "n" .. counter .. "%40sign.bench.example.org"
  return wrk.format("POST", {lua_string(action)}, headers, {lua_string(prefix)} .. email)
end
"""
            data = self.wrk.measure(action, lua + LUA_COUNT_STATUS)
            acknowledged = data["n3xx"]
            stored = int(self.pg.query(
                f"SELECT count(*) FROM campaign_signature WHERE email_normalised LIKE '{self.run_id}t%'"
            ))  # fmt: skip
            data.update(acknowledged=acknowledged, stored=stored)
            self.results["measurements"]["signing"] = data
            share = data["rps"] / self.ceiling_rps
            not_3xx = data["n2xx"] + data["n4xx"] + data["n5xx"] + data["nother"] + data["errors"]
            self.row(name, f"{self.get_figure(data)} = {share:.0%}",
                     f">= {SIGN_SHARE:.0%}, p99 < {SIGN_P99_MS} ms",
                     share >= SIGN_SHARE and data["p99_ms"] < SIGN_P99_MS)  # fmt: skip
            self.row("3. signing: responses other than 3xx", str(not_3xx), "0", not_3xx == 0)
            self.row("3. signing: acknowledged (303) vs stored rows", f"{acknowledged} vs {stored}",
                     "all acknowledged stored", stored >= acknowledged)  # fmt: skip
        except Unavailable as exc:
            self.na(name, exc)

    def confirmations(self, tokens_file):
        name = "4. reads during confirmations"
        reads = alternating_get_lua([self.data["petition_path"], self.data["api_path"]])
        try:
            if self.data.get("confirm_tokens_error") or not self.data.get("confirm_tokens"):
                raise Unavailable(self.data.get("confirm_tokens_error") or "no confirm tokens")
            paths = tokens_file.read_text().split()
            page = self.check_get(paths[0])
            forms = [f for f in parse_html(page.text).forms if f["method"] == "post"]
            cookie = page.cookies().get("csrftoken")
            if not forms or not cookie:
                raise Unavailable("the confirm page has no POST form or CSRF cookie")
            fields = [(f["name"], f.get("value", "")) for f in forms[0]["fields"] if f["tag"] == "input"]
            body = urlencode(fields)
            headers = {"Cookie": f"csrftoken={cookie}", "Content-Type": "application/x-www-form-urlencoded"}
            probe = http_get(paths[0], port=self.port, method="POST", body=body, headers=headers)
            if probe.status >= 400:
                raise Unavailable(f"a confirmation POST answers {probe.status}")
            self.check_get(self.data["api_path"])
            rate = SIGN_SHARE * self.ceiling_rps
            conns, threads = 8, 1
            lua = f"""
local headers = {lua_headers(headers)}
local paths = {{}}
function init(args)
  local i = 0
  for line in io.lines({lua_string(str(tokens_file))}) do
    i = i + 1
    if i > 1 and i % {threads} == id - 1 then table.insert(paths, line) end
  end
end
local n = 0
function request()
  n = n + 1
  return wrk.format("POST", paths[((n - 1) % #paths) + 1], headers, {lua_string(body)})
end
"""
            pacing = LUA_PACING.replace("{interval_ms}", f"{1000 * threads / rate:.3f}").replace(
                "{rate_per_thread}", f"{rate / threads:.0f}"
            )
            self.warm(self.data["petition_path"])
            unloaded = self.wrk.measure(self.data["petition_path"], reads)
            confirming = self.wrk.start(
                paths[0], lua + pacing + LUA_COUNT_STATUS, connections=conns, threads=threads
            )
            loaded_process = self.wrk.start(self.data["petition_path"], reads)
            loaded = self.wrk.finish(loaded_process)
            confirms = self.wrk.finish(confirming)
            kept = loaded["rps"] / unloaded["rps"] if unloaded["rps"] else 0
            # A yardstick for the goal: the same reads while the site's cheapest response
            # (/robots.txt, no database) is requested at the confirmations' rate. A confirmation
            # does all that request does and a durable write besides, so it cannot cost the reads less.
            cheapest = self.wrk.start(
                "/robots.txt", pacing + LUA_COUNT_STATUS, connections=conns, threads=threads
            )
            beside_cheapest = self.wrk.finish(self.wrk.start(self.data["petition_path"], reads))
            cheapest_done = self.wrk.finish(cheapest)
            kept_cheapest = beside_cheapest["rps"] / unloaded["rps"] if unloaded["rps"] else 0
            confirmed = int(self.pg.query(
                "SELECT count(*) FROM campaign_signature WHERE state = 'confirmed' "
                "AND email_normalised LIKE '%@confirm.bench.example.org'"
            ))  # fmt: skip
            self.results["measurements"]["confirmations"] = {
                "target_rate": rate, "unloaded_reads": unloaded, "loaded_reads": loaded,
                "confirmations": confirms, "kept": kept, "confirmed_rows": confirmed,
                "cheapest_requests": cheapest_done, "reads_beside_cheapest": beside_cheapest,
                "kept_beside_cheapest": kept_cheapest,
            }  # fmt: skip
            self.row("4. reads alone (petition page + count API)", self.get_figure(unloaded), "(reference)")
            self.row("4. confirmations", f"{self.get_figure(confirms)} (target {rate:.0f}/s)",
                     f"{confirms['n3xx'] + confirms['n2xx']} ok, {confirmed} rows confirmed")  # fmt: skip
            self.row(name, f"{self.get_figure(loaded)} = {kept:.0%} of alone", f">= {READS_KEPT:.0%}",
                     kept >= READS_KEPT)  # fmt: skip
            self.row("4. yardstick: reads during /robots.txt at that rate",
                     f"{self.get_figure(beside_cheapest)} = {kept_cheapest:.0%} of alone "
                     f"({cheapest_done['rps']:.0f} robots.txt/s)", "(reference)")  # fmt: skip
        except Unavailable as exc:
            self.na(name, exc)

    def page_weight(self):
        name = "6. first visit to / with brotli"
        try:
            headers = {"Accept-Encoding": "br"}
            html = self.check_get("/", headers)
            # Parse an uncompressed copy (the standard library has no brotli).
            parsed = parse_html(self.check_get("/").text)
            items = [("/", len(html.body), html.header("Content-Encoding") or "identity")]
            seen = set()
            queue = [urljoin("/", u) for u in parsed.assets]
            while queue:
                url = queue.pop(0)
                if (
                    url in seen
                    or urlsplit(url).netloc not in {"", f"{HOST}:{self.port}"}
                    or url.startswith("data:")
                ):
                    continue
                seen.add(url)
                path = urlsplit(url).path
                response = http_get(path, port=self.port, headers=headers)
                items.append((path, len(response.body), response.header("Content-Encoding") or "identity"))
                if path.endswith(".css") and response.status == 200:
                    css = http_get(path, port=self.port).body.decode("utf-8", "replace")
                    for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css):
                        if not ref.startswith("data:"):
                            queue.append(urljoin(path, ref.split("#")[0].split("?")[0]))
            total = sum(size for _, size, _ in items)
            self.results["measurements"]["page_weight"] = {"total_bytes": total, "items": items}
            html_note = "" if html.header("Content-Encoding") else " (HTML uncompressed by Django)"
            self.row(name, f"{total / 1024:.1f} KB in {len(items)} responses{html_note}",
                     f"<= {PAGE_WEIGHT_KB} KB", total <= PAGE_WEIGHT_KB * 1024)  # fmt: skip
            for path, size, encoding in items:
                print(f"      {size / 1024:7.1f} KB  {encoding:<8} {path}")
        except Unavailable as exc:
            self.na(name, exc)

    def markdown(self):
        """The table and the machine, ready to paste into BENCHMARKS.md."""
        m = self.results.get("machine", {})
        p = self.results["parameters"]
        lines = [
            f"Run {self.results['started_at']} at commit {m.get('commit', '?')}, "
            f"{self.results.get('total_seconds')} s in all.",
            "",
            f"Machine: {m.get('cpu', '?')}, {m.get('cores')} cores, {m.get('memory')}; kernel "
            f"{m.get('kernel')}; {m.get('python')}, Django {m.get('django')}, PostgreSQL "
            f"{m.get('postgresql')}; {m.get('wrk')}. Load average at start "
            f"{m.get('load_average', [0])[0]:.1f}, at end {self.results['load_average_end'][0]:.1f}.",
            "",
            f"gunicorn {p['gunicorn_workers']} {p['worker_class']} workers; wrk {p['threads']} threads, "
            f"{p['connections']} connections, {p['duration_s']} s per measurement; 127.0.0.1.",
            "",
            "| Measurement | Figure | Goal | Result |",
            "|---|---|---|---|",
        ]
        for row in self.results["table"]:
            mark = "" if row["pass"] is None else ("pass" if row["pass"] else "**FAIL**")
            lines.append(f"| {row['measurement'].strip()} | {row['figure']} | {row['goal']} | {mark} |")
        return "\n".join(lines) + "\n"

    # the whole run

    def wanted(self, part):
        return not self.args.only or part in self.args.only.split(",")

    def machine(self):
        cpu = ""
        with contextlib.suppress(OSError):
            cpu = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in open("/proc/cpuinfo")
                    if line.startswith("model name")
                ),
                "",
            )
        mem = ""
        with contextlib.suppress(OSError):
            mem = next(
                line.split(":", 1)[1].strip() for line in open("/proc/meminfo") if line.startswith("MemTotal")
            )
        commit = run(["git", "rev-parse", "--short", "HEAD"], check=False).stdout.strip()
        django_version = run([PYTHON, "-c", "import django; print(django.get_version())"], check=False).stdout
        wrk_version = run([self.wrk_binary, "--version"], check=False).stdout.splitlines()[:1]
        return {
            "cpu": cpu, "cores": os.cpu_count(), "memory": mem, "kernel": platform.release(),
            "python": run([PYTHON, "--version"], check=False).stdout.strip(), "django": django_version.strip(),
            "postgresql": self.pg.version() if self.pg and self.pg.started else "", "wrk": " ".join(wrk_version),
            "commit": commit, "load_average": os.getloadavg(),
        }  # fmt: skip

    def run(self):
        started = time.monotonic()
        a = self.args
        self.results["parameters"] = {
            "duration_s": a.duration, "connections": a.connections, "threads": a.threads,
            "small": a.small, "large": a.large, "gunicorn_workers": a.workers, "worker_class": a.worker_class,
            "worker_threads": a.worker_threads,
        }  # fmt: skip
        self.results["started_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        try:
            self.setup()
            self.results["machine"] = self.machine()
            if a.data_only:
                t = time.monotonic()
                self.data = self.generate(a.large)
                log(
                    f"topped up to {self.data['signatures']:,}: {self.data['inserted']:,} rows inserted in "
                    f"{self.data['insert_seconds']} s {self.data.get('insert_timings')}; "
                    f"the command took {time.monotonic() - t:.1f} s"
                )
                self.results["generate_large"] = self.data
                return
            print(f"\n  {'measurement':<46} {'figure':<40} {'goal':<28} result")
            self.ceiling()
            if self.wanted("pages"):
                self.pages()
            if self.wanted("flat"):
                self.flat_reads("small")
            if self.wanted("signing"):
                self.signing()
            if self.wanted("flat") or self.wanted("confirm"):
                tokens_file = self.workdir / "confirm-paths.txt"
                tokens = int(SIGN_SHARE * self.ceiling_rps * a.duration * 1.3) + 100
                t = time.monotonic()
                self.data = self.generate(a.large, confirm_tokens=tokens, tokens_file=tokens_file)
                self.results["generate_large"] = self.data
                self.row(f"   top-up to {self.data['signatures']:,} signatures",
                         f"{self.data['inserted']:,} rows in {self.data['insert_seconds']} s "
                         f"(command {time.monotonic() - t:.0f} s)", "well under a minute",
                         self.data["insert_seconds"] < 60 if self.data["inserted"] >= 500_000 else None)  # fmt: skip
            if self.wanted("flat"):
                self.flat_reads("large")
            if self.wanted("confirm"):
                self.confirmations(tokens_file)
            if self.wanted("weight"):
                self.page_weight()
        finally:
            self.teardown()
        rss = self.results.get("worker_peak_rss_kb") or {}
        if rss:
            figure = ", ".join(f"{(kb or 0) / 1024:.0f} MB" for kb in rss.values())
            self.row("6. peak RSS per gunicorn worker (VmHWM)", figure, "(reported)")
        self.results["total_seconds"] = round(time.monotonic() - started, 1)
        self.results["load_average_end"] = os.getloadavg()
        busy = max(self.results["load_average_end"][0], self.results["machine"]["load_average"][0])
        if busy > (os.cpu_count() or 1):
            log(f"warning: load average {busy:.1f} on {os.cpu_count()} cores: other work shared the CPU")
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        text = json.dumps(self.results, indent=2, default=str)
        (OUT_DIR / f"{stamp}.json").write_text(text)
        if self.args.only:  # a partial run is not the latest result
            log(f"done in {self.results['total_seconds']} s; var/bench/{stamp}.json")
            return
        (OUT_DIR / "latest.json").write_text(text)
        (OUT_DIR / "latest.md").write_text(self.markdown())
        log(f"done in {self.results['total_seconds']} s; var/bench/{stamp}.json, latest.json, latest.md")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement [10]")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections [32]")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads [2]")
    parser.add_argument("--small", type=int, default=1000, help="signatures for the first pass [1000]")
    parser.add_argument(
        "--large", type=int, default=1_000_000, help="signatures for the second pass [1000000]"
    )
    parser.add_argument("--data-only", action="store_true", help="only time the data generation")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers [2]")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class [sync]")
    parser.add_argument("--worker-threads", type=int, default=1, help="threads per gunicorn worker [1]")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 s each, 20,000 signatures")
    parser.add_argument(
        "--only",
        metavar="PARTS",
        help="comma-separated parts to measure after the ceiling: pages, flat, signing, confirm, weight "
        "(for working on one figure; the full run, without --only, is the one to record)",
    )
    args = parser.parse_args()
    if args.quick:
        args.duration, args.large = 3, 20_000

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    bench = Bench(args)
    try:
        bench.run()
    except KeyboardInterrupt:
        log("interrupted; everything it started is stopped")
        sys.exit(130)


if __name__ == "__main__":
    main()
