#!/usr/bin/env python
"""`make cluster` / `make cluster-test`: two app nodes behind nginx on PgBouncer, Redis and PostgreSQL.

As root, on one machine: each app node in a network namespace of its own (veth pair 10.231.n.1 ↔
10.231.n.2) running gunicorn and db_worker from deploy/systemd's command lines; nginx, PgBouncer and
Redis from deploy/ in the root namespace; PostgreSQL a throwaway cluster (scripts/ops). `--serve`
starts it, prints the address and waits for Ctrl-C; otherwise the scenarios in
scripts/cluster_scenarios/ run (`--only 123456`), their figures go to SCALING.md, and everything is
removed at the end, on an error, on Ctrl-C and on TERM.
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
from concurrent.futures import ThreadPoolExecutor

from cluster_scenarios import scenarios
from cluster_scenarios.topology import DB, VAR, Cluster
from ops import ROOT, elapsed, log, start_log
from ops.postgres import throwaway
from ops.processes import free_port, manage
from reliability import CREATE_PETITION

OPTIONS = [
    # Throughput first, on a healthy cluster; the node kill, the longest, last.
    ("--only", str, "123654", "scenarios to run, in order"),
    ("--signatures", int, 5000, "scenario 4: unique addresses signed while a node is killed"),
    ("--graceful-signatures", int, 400, "scenario 4: signatures while a node stops gracefully"),
    ("--concurrency", int, 16, "client threads for scenarios 4 and 6"),
    ("--web-workers", int, 2, "gunicorn workers per node"),
    ("--outage-seconds", float, 10, "scenario 5: Redis down for"),
    ("--throughput-seconds", float, 5, "scenario 6: seconds per measurement"),
    ("--pg-port", int, 5439, "the throwaway PostgreSQL's port (or a free one)"),
    ("--budget", float, 540, "start no scenario after this many seconds"),
]
PG_SETTINGS = {"max_connections": 100, "fsync": "off", "synchronous_commit": "off", "timezone": "UTC"}


def interrupted(signum, frame):
    scenarios.STOP.set()
    raise KeyboardInterrupt


def ignore_signals():
    """From the teardown on: a second Ctrl-C or TERM must not cut it short and leave things behind."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


# The database, in one manage.py process (each start of Django costs seconds): the schema, the
# content, the run's petition, and staff with one recovery code (as `addstatictoken` gives), since
# the admin wants a second factor.
PREPARE = """
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("load_content")
{petition}
call_command("createsuperuser", interactive=False, username="staff", email="staff@example.org")
call_command("addstatictoken", "staff", token={token!r})
"""


def set_up(cluster):
    env = cluster.site_env()
    staff = env | {"DJANGO_SUPERUSER_PASSWORD": scenarios.STAFF_PASSWORD}
    code = PREPARE.format(petition=CREATE_PETITION, token=scenarios.STAFF_TOKEN)
    with ThreadPoolExecutor(2) as pool:
        # While PostgreSQL is filled: the namespaces, then Redis and PgBouncer on their veth pairs'
        # outer ends, and nginx's certificate.
        prepared = pool.submit(manage, "shell", "-c", code, env=staff)
        for node in cluster.nodes:
            node.create()
        cluster.start_redis()
        cluster.start_pgbouncer()
        cluster.make_certificate()
        prepared.result()
        log("database ready; starting the nodes")
        list(pool.map(lambda node: node.start(), cluster.nodes))
    scenarios.RUN.max_age = int(env["PETITION_COUNT_MAX_AGE"])
    cluster.start_nginx()
    log(f"nginx: https://127.0.0.1:{cluster.https_port}/ → {', '.join(n.addr for n in cluster.nodes)}")


def write_scaling(run, args):
    lines = [
        "# SCALING",
        "",
        "Written by `make cluster-test` (scripts/cluster.py): two app nodes in network namespaces behind",
        "nginx, PgBouncer (transaction pooling), Redis and PostgreSQL 15, all from deploy/, on one machine",
        f"with {os.cpu_count()} cores. Finished {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in "
        f"{time.monotonic() - run.started:.0f} s; arguments: `{' '.join(sys.argv[1:]) or '(defaults)'}`.",
        "",
        f"Setting up (PostgreSQL filled, namespaces, services, both nodes) took {run.seconds.get('set-up', 0):.0f} s.",
        "",
        "| Scenario | Verdict | Seconds | Figures |",
        "|---|---|---|---|",
    ]
    for name, verdict, figures in run.results:
        shown = ", ".join(f"{key}={value}" for key, value in figures.items())
        seconds = run.seconds.get(name.split()[0])
        lines.append(f"| {name} | {verdict} | {'' if seconds is None else round(seconds)} | {shown} |")
    (ROOT / "SCALING.md").write_text("\n".join(lines) + "\n")
    (VAR / "results.json").write_text(json.dumps(run.results, indent=2, default=str))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--serve", action="store_true", help="start the cluster and wait for Ctrl-C")
    for flag, kind, default, text in OPTIONS:
        parser.add_argument(flag, type=kind, default=default, help=f"{text} [{default}]")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("cluster.py makes network namespaces and a PostgreSQL cluster: run it as root.")
    shutil.rmtree(VAR, ignore_errors=True)
    (VAR / "mail").mkdir(parents=True)
    start_log("cluster")
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    run = scenarios.RUN
    run.args = args
    cluster = Cluster(args)
    cluster.install_missing()
    failed = False
    with contextlib.ExitStack() as stack:
        stack.callback(cluster.teardown)
        cluster.pg = stack.enter_context(throwaway(
            "cluster", free_port(args.pg_port), user=DB["user"], password=DB["password"],
            database=DB["database"], settings=PG_SETTINGS))  # fmt: skip
        stack.callback(ignore_signals)  # the first of the exits
        set_up(cluster)
        run.seconds["set-up"] = elapsed()
        run.cluster = cluster
        if args.serve:
            print(
                f"The cluster answers on https://127.0.0.1:{cluster.https_port}/ (Ctrl-C stops it).",
                flush=True,
            )
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()
            return
        for key in args.only:
            if time.monotonic() - run.started > args.budget:
                scenarios.record(key, "skipped (time budget)")
                continue
            began = time.monotonic()
            try:
                scenarios.SCENARIOS[key]()
            except Exception:
                traceback.print_exc()
                scenarios.record(key, "FAIL", error="raised; see the log above")
            run.seconds[key] = time.monotonic() - began
        write_scaling(run, args)
        failed = any(verdict == "FAIL" for _, verdict, _ in run.results)
    print("\nSummary")
    for name, verdict, _ in run.results:
        seconds = run.seconds.get(name.split()[0])
        print(f"  {name:28} {verdict:6} {'' if seconds is None else f'{seconds:.0f}s'}")
    print(f"  total {time.monotonic() - run.started:.0f}s; figures in SCALING.md")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
