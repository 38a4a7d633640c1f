"""CPU accounting: where the time goes (gunicorn, the task workers, PostgreSQL, this client)."""

import contextlib
import os
from collections import Counter
from pathlib import Path

from .common import RUN

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
    postmaster = RUN.cluster.postmaster_pid() if RUN.cluster else None
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
