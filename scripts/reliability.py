#!/usr/bin/env python
"""`make reliability`: load and fault runs against a real gunicorn and a throwaway PostgreSQL.

What it does, in order (each scenario prints its figures and PASS, FAIL or "skipped (reason)"):

  setup  a PostgreSQL 15 cluster of its own (`pg_createcluster 15 reliab_<pid>`, port 5438 or a
         free one; the shared cluster on 5432 is never touched), migrate, an open petition, gunicorn
         -w 4 --threads 2 (kept-alive connections) on 127.0.0.1, TASKS_BACKEND=database with no
         worker, rate limits off.
  e      idempotence: migrations run twice, fixtures loaded twice, purge_signatures run twice.
  a      200 simultaneous submissions with one email: exactly one signature, no 5xx.
  d      the task worker stopped while signatures arrive, then started; a mail server that refuses
         connections: signatures stay pending, the sends are retried with a growing delay, and go
         out once mail works again.
  c      PostgreSQL stopped and restarted in the middle of a signing run.
  f      bursts of 20 simultaneous signing POSTs with every field at the body limit
         (DATA_UPLOAD_MAX_MEMORY_SIZE, 256 KiB: one field at a time, or all sharing it) while normal
         signing goes on: normal signings keep p99 under 500 ms, every hostile POST gets its form
         errors back, and gunicorn kills no worker for its timeout ("WORKER TIMEOUT" in its log).
  b      N distinct signatures (default 10,000) under load (32 client threads, one kept-alive
         connection and one fetched form each): N pending rows, one confirmation task each, the
         emails sent by two db_workers meanwhile; then a confirmation for every emailed link, 10%
         POSTed twice at once: the shown count converges to exactly the confirmed rows.

Bounded: no scenario starts after --budget seconds (480), and scenario b, which runs last, starts
no request after --deadline (540 s): submissions stop at --sign-share of its time, the emails and
confirmations work on what was submitted, and the figures say "partial" with how far it got out
of N. The cluster, the server and the workers are removed at the end, whatever happens, so the
whole run ends within 10 minutes.

The scenarios live in scripts/reliability_scenarios/, the helpers in scripts/ops/.
Run as root (pg_createcluster, pg_ctlcluster) from the repository: `make reliability`, or
`.venv/bin/python scripts/reliability.py --signatures 2000` for a quicker pass.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import time
import traceback

from ops import log, start_log
from ops.postgres import throwaway
from ops.processes import free_port
from reliability_scenarios.body_limit import scenario_f
from reliability_scenarios.common import (
    DB,
    RUN,
    SLUG,
    VAR,
    has_signing_flow,
    over_budget,
    record,
    run_manage,
    start_server,
)
from reliability_scenarios.faults import scenario_c, scenario_d
from reliability_scenarios.idempotence import scenario_e_migrate_and_fixtures, scenario_e_purge
from reliability_scenarios.load import scenario_a, scenario_b

# (flag, type, default, help): every option is a number but the scenarios' order.
OPTIONS = [
    ("--signatures", int, 10000, "scenario b size"),
    ("--race", int, 200, "simultaneous same-email submissions"),
    ("--concurrency", int, 32, "client threads for scenario b"),
    ("--double-percent", float, 10, "confirmations POSTed twice"),
    ("--queue-signatures", int, 200, "scenario d size"),
    ("--outage-seconds", float, 10, "scenario c: PostgreSQL down for"),
    ("--outage-signers", int, 8, "scenario c: signers meanwhile"),
    ("--workers", int, 4, "gunicorn workers"),
    ("--threads", int, 2, "gunicorn threads per worker"),
    ("--worker-timeout", int, 60, "gunicorn --timeout (seconds)"),
    ("--pool-max", int, 4, "database pool per worker"),
    ("--pool-timeout", int, 1, "DATABASE_POOL_TIMEOUT for the run (seconds)"),
    ("--pg-port", int, 5438, "the cluster's port (or a free one when taken)"),
    ("--port", int, 0, "gunicorn port (0: a free one)"),
    ("--task-workers", int, 2, "db_worker processes in scenario b"),
    ("--budget", float, 480, "start no scenario after this (seconds)"),
    ("--deadline", float, 540, "scenario b starts no work after this (seconds)"),
    ("--sign-share", float, 0.7, "share of b's time for submissions"),
    ("--body-limit", int, 256 * 1024, "DATA_UPLOAD_MAX_MEMORY_SIZE for the run: scenario f's body size"),
    ("--hostile", int, 20, "scenario f: simultaneous body-limit POSTs a burst"),
    ("--hostile-bursts", int, 5, "scenario f: bursts"),
    ("--steady-signers", int, 4, "scenario f: normal signers meanwhile"),
    ("--settle-seconds", float, 3, "scenario f: normal signing alone before and after"),
    ("--only", str, "eadcfb", "scenarios to run, in order, e.g. 'ec'"),
]

PG_SETTINGS = {"max_connections": 200, "fsync": "off", "synchronous_commit": "off"}

CREATE_PETITION = f"""
from django.apps import apps
from django.utils import timezone
# By model name: the petition models are moving between apps, and the script does not import them.
models = {{model.__name__: model for model in apps.get_models()}}
Petition, ConsentWording = models["Petition"], models["ConsentWording"]
# Not featured: the fixtures' petition keeps that place, so reloading them still works.
petition, _ = Petition.objects.update_or_create(slug={SLUG!r}, defaults=dict(
    title="Reliability run", ask="Establish a Commission of Inquiry.", addressee="the UN",
    state="open", opens_at=timezone.now() - timezone.timedelta(days=1), is_featured=False, goal=100000))
ConsentWording.objects.get_or_create(petition=petition, version=1, defaults={{"text": "I agree."}})
"""


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for flag, kind, default, text in OPTIONS:
        shown = f" [{default}]" if default else ""
        parser.add_argument(flag, type=kind, default=default, help=text + shown if text else None)
    RUN.args = parser.parse_args()
    RUN.args.port = RUN.args.port or free_port()
    if os.geteuid() != 0:
        sys.exit("reliability.py manages its own PostgreSQL cluster: run it as root (as CI does).")
    if RUN.args.pg_port == 5432:
        sys.exit("5432 is the shared cluster; choose another --pg-port.")

    shutil.rmtree(VAR, ignore_errors=True)
    (VAR / "mail").mkdir(parents=True)
    start_log("reliability")
    signal.signal(signal.SIGTERM, interrupted)
    with contextlib.ExitStack() as stack:
        RUN.cluster = stack.enter_context(throwaway(
            "reliab", free_port(RUN.args.pg_port), user=DB["user"], password=DB["password"],
            database=DB["dbname"], settings=PG_SETTINGS,
        ))  # fmt: skip
        RUN.args.pg_port = RUN.cluster.port
        log(f"a PostgreSQL cluster of its own: {RUN.cluster}")
        stack.callback(server_log_summary)
        stack.callback(stop_server)
        set_up_and_run()
    summarise()


def set_up_and_run():
    run_manage("migrate", "--no-input")
    # The fixtures first: loading them again later updates their rows (same keys) only.
    run_manage("load_content")
    run_manage("shell", "-c", CREATE_PETITION)
    log(f"gunicorn -w {RUN.args.workers} on 127.0.0.1:{RUN.args.port}")
    RUN.server = start_server()
    log("signing flow present:", has_signing_flow())
    scenarios = {"a": scenario_a, "b": scenario_b, "c": scenario_c, "d": scenario_d, "f": scenario_f}
    for key in RUN.args.only:
        if key == "e" and not over_budget():
            scenario_e_migrate_and_fixtures()
            scenario_e_purge()
            continue
        if over_budget() or (key == "b" and RUN.started + RUN.args.deadline - time.monotonic() < 60):
            record(key, "skipped (time budget)")
            continue
        try:
            scenarios[key]()
        except Exception:
            traceback.print_exc()
            record(key, "FAIL", error="the scenario raised; see above")


def interrupted(signum, frame):
    raise KeyboardInterrupt


def stop_server():
    if RUN.server:
        RUN.server.stop()


def server_log_summary():
    log_text = (VAR / "gunicorn.log").read_text(errors="replace") if (VAR / "gunicorn.log").exists() else ""
    log(f"server log: {log_text.count('Traceback')} tracebacks (expected only during the outage), "
        f"{log_text.count('WORKER TIMEOUT')} worker timeouts, in {VAR / 'gunicorn.log'}; dropping the cluster")  # fmt: skip


def summarise():
    results = RUN.results
    summary = {
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(time.monotonic() - RUN.started),
        "arguments": vars(RUN.args),
        "cpus": os.cpu_count(),
        "results": [{"scenario": s, "verdict": v, "figures": f} for s, v, f in results],
    }
    (VAR / "results.json").write_text(json.dumps(summary, indent=2, default=str))
    print("\nSummary")
    for scenario, verdict, _figures in results:
        print(f"  {scenario:18} {verdict}")
    print(f"  total {time.monotonic() - RUN.started:.0f}s")
    sys.exit(1 if any(verdict == "FAIL" for _, verdict, _ in results) else 0)


if __name__ == "__main__":
    main()
