"""Scenario e: migrations, fixtures and purge_signatures run twice change nothing the second time."""

from .common import ROOT, query, record, run_manage


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
    second = run_manage("migrate", "--no-input")
    after = fingerprint()
    ok = before == after and "No migrations to apply" in second.stdout
    record("e.migrate-twice", "PASS" if ok else "FAIL", tables=len(after),
           changed=[t for t in after if before.get(t) != after[t]])  # fmt: skip

    fixtures = sorted((ROOT / "fixtures").glob("*.json")) if (ROOT / "fixtures").is_dir() else []
    if not fixtures:
        return record("e.fixtures-twice", "skipped (no fixtures/ in this checkout yet)")
    run_manage("load_content", "--force")
    once = fingerprint()
    run_manage("load_content", "--force")
    run_manage("load_content")
    twice = fingerprint()
    counts_once = {t: v[0] for t, v in once.items()}
    counts_twice = {t: v[0] for t, v in twice.items()}
    ok = counts_once == counts_twice
    record("e.fixtures-twice", "PASS" if ok else "FAIL", fixtures=len(fixtures),
           rows=sum(counts_twice.values()),
           changed=[t for t in counts_twice if counts_once.get(t) != counts_twice[t]])  # fmt: skip


def scenario_e_purge():
    run_manage("purge_signatures")
    once = fingerprint()
    run_manage("purge_signatures")
    twice = fingerprint()
    record("e.purge-twice", "PASS" if once == twice else "FAIL", tables=len(twice),
           changed=[t for t in twice if once.get(t) != twice[t]])  # fmt: skip
