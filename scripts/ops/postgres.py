"""PostgreSQL clusters the Debian way (pg_createcluster, pg_ctlcluster), run by the postgres user.

The one way the scripts start PostgreSQL: ``.ci/postgres`` keeps the shared cluster 15/main on
5432 (created when missing, never dropped); ``make bench`` and ``make reliability`` make a throwaway
cluster of their own (`throwaway`), on another port, listening on 127.0.0.1 only, and drop it at the end.
"""

import contextlib
import os
import shutil
import time
from pathlib import Path

from . import HOST
from .processes import apt_install, run

VERSION = "15"


def _sql_literal(value):
    return "'" + str(value).replace("'", "''") + "'"


class Cluster:
    def __init__(self, name, port, version=VERSION):
        self.name, self.port, self.version = name, port, version

    def __str__(self):
        return f"{self.version}/{self.name} on port {self.port}"

    @property
    def data_dir(self):
        return Path(f"/var/lib/postgresql/{self.version}/{self.name}")

    def exists(self):
        listing = run(["pg_lsclusters", "--no-header"], check=False).stdout
        return any(line.split()[:2] == [self.version, self.name] for line in listing.splitlines())

    def create(self, settings=None):
        """initdb through pg_createcluster; `settings` go into a file of their own in its conf.d."""
        if not shutil.which("pg_createcluster"):
            apt_install(f"postgresql-{self.version}")
        run(["pg_createcluster", self.version, self.name, "--port", self.port], timeout=120)
        if settings:
            lines = [f"{key} = {_sql_literal(value)}\n" for key, value in settings.items()]
            conf = Path(f"/etc/postgresql/{self.version}/{self.name}/conf.d/ops.conf")
            conf.write_text("".join(lines))

    def start(self, wait=60):
        # Exit status 2 means "already running": fine, the wait below says whether it answers.
        started = run(["pg_ctlcluster", self.version, self.name, "start"], check=False, timeout=wait)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and started.returncode in {0, 2}:
            if run(["pg_isready", "-q", "-h", HOST, "-p", self.port], check=False).returncode == 0:
                return
            time.sleep(0.3)
        raise RuntimeError(f"PostgreSQL {self} did not start: {started.stderr.strip()}")

    def stop(self):
        run(["pg_ctlcluster", self.version, self.name, "stop", "-m", "fast"], check=False, timeout=60)

    def drop(self):
        run(["pg_dropcluster", self.version, self.name, "--stop"], check=False, timeout=60)

    def psql(self, sql, database="postgres"):
        """Run SQL as the postgres superuser; the output, unaligned and without headers."""
        cmd = ["psql", "-p", self.port, "-d", database, "-v", "ON_ERROR_STOP=1", "-qtAX", "-c", sql]
        return run(cmd, user="postgres", cwd="/", timeout=600).stdout.strip()

    def ensure_role(self, user, password):
        if self.psql(f"SELECT 1 FROM pg_roles WHERE rolname = {_sql_literal(user)}") != "1":
            self.psql(f'CREATE ROLE "{user}" LOGIN CREATEDB PASSWORD {_sql_literal(password)}')

    def ensure_database(self, name, owner):
        if self.psql(f"SELECT 1 FROM pg_database WHERE datname = {_sql_literal(name)}") != "1":
            self.psql(f'CREATE DATABASE "{name}" OWNER "{owner}"')

    def url(self, user, password, database, query=""):
        return f"postgres://{user}:{password}@{HOST}:{self.port}/{database}" + (f"?{query}" if query else "")

    def server_version(self):
        return self.psql("SHOW server_version")

    def postmaster_pid(self):
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        return None


@contextlib.contextmanager
def throwaway(prefix, port, *, user, password, database, settings=None):
    """A cluster of this run's own (named `prefix` and the process id), dropped whatever happens."""
    if os.geteuid() != 0:
        raise SystemExit("a throwaway PostgreSQL cluster needs root (pg_createcluster): run as root.")
    cluster = Cluster(f"{prefix}_{os.getpid()}", port)
    try:
        cluster.create({"listen_addresses": HOST, **(settings or {})})
        cluster.start()
        cluster.ensure_role(user, password)
        cluster.ensure_database(database, user)
        yield cluster
    finally:
        cluster.drop()


def shared(*, user, password, database, name="main", port=5432):
    """The machine's shared cluster (``.ci/postgres``), started, with the role and database: its URL."""
    cluster = Cluster(name, port)
    if not cluster.exists():
        cluster.create()
    cluster.start(wait=30)
    cluster.ensure_role(user, password)
    cluster.ensure_database(database, user)
    return cluster.url(user, password, database)
