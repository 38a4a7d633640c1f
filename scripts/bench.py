#!/usr/bin/env python3
"""`make bench`: load-test the site on this machine and compare with its own ceiling.

Sets up everything it needs and removes it afterwards: a throwaway PostgreSQL
cluster (its own port, 127.0.0.1 only), migrations, collectstatic, generated
data (``manage.py generate_bench_data``; the database settled after each load:
VACUUM ANALYZE, CHECKPOINT, autovacuum idle), gunicorn with production settings
(2 sync workers), and ``wrk`` (installed from Debian when missing) with Lua
scripts for the POSTs and the junk values. Every request goes to 127.0.0.1.

Every goal is a ratio to a figure measured in the same run (the ceiling, or
clean home for the junk cookies and parameters), because absolute numbers drift
between runs on shared machines. A measurement that cannot run yet prints
"n/a (reason)" instead of stopping the run; a missed goal prints FAIL and does
not change the exit status. Results: a table on stdout, JSON in var/bench/.

The scenarios live in scripts/bench_scenarios/, the helpers in scripts/ops/
(standard library only; run it with the project's virtualenv Python so that
manage.py and gunicorn find Django).
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import random
import shutil
import signal
import string
import sys
import tempfile
import time
from pathlib import Path

from bench_scenarios import data, pages, updates, writes
from bench_scenarios.wrk import Unavailable, Wrk, ensure_wrk
from ops import HOST, PYTHON, ROOT, log, start_log
from ops.postgres import throwaway
from ops.processes import Gunicorn, free_port, manage, peak_rss_kb, run, site_env
from ops.web import request

OUT_DIR = ROOT / "var" / "bench"
PG_SETTINGS = {"max_connections": 60, "shared_buffers": "256MB", "max_wal_size": "2GB",
               "log_min_messages": "warning"}  # fmt: skip


class Bench:
    """One run: the cluster, the server and wrk, the table of rows the scenarios add."""

    database = "bench"

    def __init__(self, args):
        self.args = args
        self.results = {"measurements": {}, "table": []}
        self.pg = self.gunicorn = self.wrk = None
        self.stack = contextlib.ExitStack()
        self.workdir = Path(tempfile.mkdtemp(prefix="bench-run-"))
        self.run_id = "b" + "".join(random.choices(string.ascii_lowercase + string.digits, k=6))
        self.gunicorn_options = ["--workers", args.workers, "--worker-class", args.worker_class,
                                 "--threads", args.worker_threads]  # fmt: skip

    # setup

    def manage(self, *args, timeout=600):
        return manage(*args, env=self.env, timeout=timeout)

    def setup(self):
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        self.wrk_binary = ensure_wrk()
        password = "bench-" + "".join(random.choices(string.ascii_letters + string.digits, k=20))
        self.pg = self.stack.enter_context(throwaway(
            "bench", free_port(5439), user="bench", password=password, database=self.database,
            settings=PG_SETTINGS,
        ))  # fmt: skip
        log(f"a throwaway PostgreSQL: {self.pg}")
        self.port = free_port(8765)
        self.env = site_env(port=self.port, database_url=self.pg.url("bench", password, self.database),
                            STATIC_MANIFEST="1", EMAIL_URL="locmem:")  # fmt: skip
        t = time.monotonic()
        self.manage("migrate", "--no-input")
        log(f"migrated in {time.monotonic() - t:.1f} s")
        if not self.args.data_only:
            t = time.monotonic()
            # Without --clear: unchanged files are neither copied nor compressed again.
            self.manage("collectstatic", "--no-input")
            log(f"collected static files in {time.monotonic() - t:.1f} s")
        self.data = data.generate(self, self.args.small)
        log(f"generated data: {self.data['signatures']} signatures ({self.data['insert_seconds']} s)")
        if self.args.data_only:
            return
        a = self.args
        self.gunicorn = Gunicorn(port=self.port, env=self.env, logfile=OUT_DIR / "gunicorn.log",
                                 options=self.gunicorn_options)  # fmt: skip
        log(f"gunicorn ({a.workers} {a.worker_class} workers, {a.worker_threads} threads each) on "
            f"http://{HOST}:{self.port}")  # fmt: skip
        self.wrk = Wrk(self.wrk_binary, self.port, a.duration, a.connections, a.threads, self.workdir)

    def teardown(self):
        if self.wrk:
            self.wrk.stop_all()
        if self.gunicorn:
            rss = {str(pid): peak_rss_kb(pid) for pid in self.gunicorn.workers()}
            self.results["worker_peak_rss_kb"] = rss
            self.gunicorn.stop()
        self.stack.close()  # drops the cluster
        shutil.rmtree(self.workdir, ignore_errors=True)

    # what the scenarios use

    def row(self, name, figure, goal="", passed=None):
        self.results["table"].append({"measurement": name, "figure": figure, "goal": goal, "pass": passed})
        mark = "" if passed is None else ("PASS" if passed else "FAIL")
        print(f"  {name:<46} {figure:<40} {goal:<28} {mark}", flush=True)

    def na(self, name, reason):
        self.results["table"].append(
            {"measurement": name, "figure": f"n/a ({reason})", "goal": "", "pass": None}
        )
        print(f"  {name:<46} n/a ({reason})", flush=True)

    def query(self, sql):
        """SQL in the bench database, as the superuser; the output, unaligned."""
        return self.pg.psql(sql, self.database)

    def check_get(self, path, headers=None):
        response = request(self.port, "GET", path, headers=headers)
        if response.status != 200:
            raise Unavailable(f"GET {path} answers {response.status}")
        return response

    def warm(self, path, headers=None, times=4):
        for _ in range(times):
            request(self.port, "GET", path, headers=headers)

    def get_figure(self, data):
        return f"{data['rps']:.0f} req/s, p50 {data['p50_ms']:.1f} ms, p99 {data['p99_ms']:.1f} ms"

    # the table and the machine

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
            "postgresql": self.pg.server_version() if self.pg else "", "wrk": " ".join(wrk_version),
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
                self.data = data.generate(self, a.large)
                log(
                    f"topped up to {self.data['signatures']:,}: {self.data['inserted']:,} rows inserted in "
                    f"{self.data['insert_seconds']} s {self.data.get('insert_timings')}; "
                    f"the command took {time.monotonic() - t:.1f} s"
                )
                self.results["generate_large"] = self.data
                return
            self.measure()
        finally:
            self.teardown()
        self.save(started)

    def measure(self):
        a = self.args
        print(f"\n  {'measurement':<46} {'figure':<40} {'goal':<28} result")
        data.settle(self, "small")
        pages.ceiling(self)
        if self.wanted("pages"):
            pages.pages(self)
        if self.wanted("junk"):
            pages.junk(self)
        if self.wanted("csrf"):
            pages.csrf_patch(self)
        if self.wanted("flat"):
            data.flat_reads(self, "small")
        if self.wanted("signing"):
            writes.signing(self)
        if self.wanted("flat") or self.wanted("confirm"):
            tokens_file = self.workdir / "confirm-paths.txt"
            tokens = int(writes.SIGN_SHARE * self.ceiling_rps * a.duration * 1.3) + 100
            t = time.monotonic()
            self.data = data.generate(self, a.large, confirm_tokens=tokens, tokens_file=tokens_file)
            self.results["generate_large"] = self.data
            self.row(f"   top-up to {self.data['signatures']:,} signatures",
                     f"{self.data['inserted']:,} rows in {self.data['insert_seconds']} s "
                     f"(command {time.monotonic() - t:.0f} s)", "well under a minute",
                     self.data["insert_seconds"] < 60 if self.data["inserted"] >= 500_000 else None)  # fmt: skip
            data.settle(self, "large")
        if self.wanted("flat"):
            data.flat_reads(self, "large")
        if self.wanted("confirm"):
            writes.confirmations(self, tokens_file)
        if self.wanted("weight"):
            pages.page_weight(self)
        if self.wanted("updates"):
            updates.updates(self)

    def save(self, started):
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
        help="comma-separated parts to measure after the ceiling: pages, junk, csrf, flat, signing, "
        "confirm, weight, updates "
        "(for working on one figure; the full run, without --only, is the one to record)",
    )
    args = parser.parse_args()
    if args.quick:
        args.duration, args.large = 3, 20_000

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    start_log("bench")
    bench = Bench(args)
    try:
        bench.run()
    except KeyboardInterrupt:
        log("interrupted; everything it started is stopped")
        sys.exit(130)


if __name__ == "__main__":
    main()
