"""Scenarios a and b: one email 200 times at once; N distinct signatures, their emails, their confirmations."""

import contextlib
import email
import http.client
import json
import re
import shutil
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ops import log
from ops.forms import post_form

from .common import (
    RUN,
    SLUG,
    VAR,
    Signer,
    connection,
    has_signing_flow,
    query,
    record,
    request,
    sign,
    start_worker,
    task_table,
    visitor,
)
from .cpu import cpu_figures, cpu_snapshot

_local = threading.local()  # each thread's confirming visitor

# Scenario a: one email, 200 at once ----------------------------------------------------------


def scenario_a():
    if not has_signing_flow():
        return record("a", "skipped (the petition page has no signing form yet)")
    address = f"same.person+{uuid.uuid4().hex[:6]}@reliability.example"
    signers = [Signer() for _ in range(RUN.args.race)]
    with ThreadPoolExecutor(16) as pool:  # every visitor fetches the form first...
        ready = sum(pool.map(lambda signer: signer.fetch_form(), signers))
    barrier = threading.Barrier(RUN.args.race)
    begin = time.monotonic()
    with ThreadPoolExecutor(RUN.args.race) as pool:  # ...then all POST at the same moment
        outcomes = Counter(
            pool.map(
                lambda i: signers[i].sign(f"Same Person {i}", address, barrier=barrier), range(RUN.args.race)
            )
        )
    seconds = time.monotonic() - begin
    rows = query("SELECT count(*) FROM campaign_signature WHERE email_normalised = lower(%s)", [address])[0][
        0
    ]
    bad = sum(n for outcome, n in outcomes.items() if outcome not in {"signed", "form-error"})
    verdict = "PASS" if rows == 1 and bad == 0 else "FAIL"
    record(
        "a", verdict, submissions=RUN.args.race, forms_fetched=ready, seconds=round(seconds, 1), rows=rows,
        errors=bad, outcomes=dict(outcomes),
    )  # fmt: skip


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
            browser = visitor()
            page = browser.get(path)
            _, fields = post_form(page.text)
            if fields is None:
                return [f"no-form-{page.status}"]
            _local.confirmer = (browser, fields, connection())
        browser, fields, second = _local.confirmer
        if not twice:
            return [browser.post(path, fields).status]
        with ThreadPoolExecutor(2) as pool:  # two clicks at once, on two connections
            return list(
                pool.map(lambda conn: browser.post(path, fields, conn).status, [browser.connection, second])
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
    n = RUN.args.signatures
    prefix = f"load-{uuid.uuid4().hex[:6]}"
    end_of_run = RUN.started + RUN.args.deadline
    sign_deadline = time.monotonic() + (end_of_run - time.monotonic()) * RUN.args.sign_share

    mail_dir = VAR / "mail-load"
    shutil.rmtree(mail_dir, ignore_errors=True)
    mail_dir.mkdir(parents=True)
    # The task worker runs while signatures arrive, as in production: the emails go out meanwhile.
    workers = [
        start_worker(f"worker-load-{i}", EMAIL_URL=f"file://{mail_dir}") for i in range(RUN.args.task_workers)
    ]
    try:
        begin = time.monotonic()
        cpu_before = cpu_snapshot(RUN.server, workers)
        outcomes = Counter(
            run_until(
                sign_deadline, range(n),
                lambda i: sign(f"Load Signer {i}", f"{prefix}.{i}@reliability.example"), RUN.args.concurrency,
            )
        )  # fmt: skip
        sign_seconds = time.monotonic() - begin
        submitted = sum(outcomes.values())
        sign_cpu = cpu_figures(cpu_before, cpu_snapshot(RUN.server, workers), submitted, sign_seconds)
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
    twice = set(links[:: max(1, round(100 / RUN.args.double_percent))])
    cpu_before = cpu_snapshot(RUN.server)
    results = run_until(end_of_run, links, lambda link: confirm(link, link in twice), RUN.args.concurrency)
    confirm_cpu = cpu_figures(cpu_before, cpu_snapshot(RUN.server), len(results), time.monotonic() - begin)
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
