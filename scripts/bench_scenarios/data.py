"""The data: generating signatures, settling the database after a bulk load, and reads that stay flat."""

import json
import time

from .wrk import LUA_COUNT_STATUS, Unavailable

FLAT_RATIO = 0.90  # 1,000,000 vs 1,000 signatures
SETTLE_SECONDS = 120  # at most this long waiting for autovacuum to go idle


def flat_reads(b, size_label):
    results = b.results["measurements"].setdefault("flat", {})
    for label, path in [
        ("count API", b.data["api_path"]),
        ("petition page", b.data["petition_path"]),
        ("embed page", b.data.get("embed_path")),
        # The chart over time and the world map (issue 14), drawn from the tally.
        ("countries page (chart, map)", b.data.get("countries_path")),
    ]:
        name = f"5. {label} at {b.data['signatures']:,} signatures"
        try:
            if not path:
                raise Unavailable("no such page in the data")
            b.check_get(path)
            b.warm(path)
            data = b.wrk.measure(path, LUA_COUNT_STATUS)
            data["signatures"] = b.data["signatures"]
            results[f"{label}/{size_label}"] = data
            goal, ok = "", None
            if size_label == "large" and f"{label}/small" in results:
                ratio = data["rps"] / results[f"{label}/small"]["rps"]
                data["ratio"] = ratio
                goal, ok = f"ratio >= {FLAT_RATIO}", ratio >= FLAT_RATIO
                b.row(name, f"{b.get_figure(data)}, ratio {ratio:.2f}", goal, ok)
            else:
                b.row(name, b.get_figure(data), "(reference for the ratio)")
        except Unavailable as exc:
            b.na(name, exc)


def generate(b, signatures, **extra):
    cmd = ["generate_bench_data", f"--signatures={signatures}", "--json", "--clear-cache"]
    cmd += [f"--{k.replace('_', '-')}={v}" for k, v in extra.items()]
    result = b.manage(*cmd)
    return json.loads(result.stdout.strip().splitlines()[-1])


def settle(b, label):
    """VACUUM ANALYZE, CHECKPOINT, then wait (bounded) until no autovacuum worker runs.

    Without it the 1,000,000-signature figures measure PostgreSQL digesting the bulk load (autovacuum
    and checkpoints on the same two cores: a ratio of 0.79-0.80), not the site.
    """
    timings = {}
    t = time.monotonic()
    b.query("VACUUM ANALYZE")
    timings["vacuum_analyze_s"] = round(time.monotonic() - t, 1)
    t = time.monotonic()
    b.pg.psql("CHECKPOINT")
    timings["checkpoint_s"] = round(time.monotonic() - t, 1)
    t = time.monotonic()
    busy = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
    while (workers := int(b.pg.psql(busy))) and time.monotonic() - t < SETTLE_SECONDS:
        time.sleep(1)
    timings["autovacuum_wait_s"] = round(time.monotonic() - t, 1)
    timings["autovacuum_workers_left"] = workers
    b.results.setdefault("settle", {})[label] = timings
    idle = "idle" if not workers else f"{workers} worker(s) still busy after {SETTLE_SECONDS} s"
    b.row(f"   settled at {b.data['signatures']:,} signatures",
          f"VACUUM ANALYZE {timings['vacuum_analyze_s']} s, CHECKPOINT {timings['checkpoint_s']} s, "
          f"autovacuum {idle} ({timings['autovacuum_wait_s']} s)", "(before measuring)")  # fmt: skip
