"""Scenarios c and d: PostgreSQL stopped mid-run; the task worker stopped, and a mail server refusing."""

import contextlib
import http.client
import json
import re
import shutil
import socket
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ops import HOST, log

from .common import (
    RUN,
    VAR,
    has_signing_flow,
    petition_path,
    query,
    record,
    request,
    run_worker_batch,
    sign,
    start_worker,
    task_table,
)

# Scenario c: PostgreSQL stopped mid-run ------------------------------------------------------

PROBES = ["/healthz", "/en/", "/en/news/", "/api/v1/petitions/", petition_path()]


def scenario_c():
    cluster = RUN.cluster
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
        threads += [threading.Thread(target=signer) for _ in range(RUN.args.outage_signers)]
    for thread in threads:
        thread.start()
    time.sleep(4)
    down_at = time.monotonic()
    cluster.stop()
    log("c: PostgreSQL stopped")
    time.sleep(RUN.args.outage_seconds)
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
        "outage_seconds": RUN.args.outage_seconds,
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
    n = RUN.args.queue_signatures
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
