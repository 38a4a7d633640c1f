"""The cluster on one machine: two app nodes in network namespaces, the shared services in the root one.

Each node `n` (1, 2) is a namespace with one veth pair: 10.231.n.2 inside (gunicorn on :8000 and a
db_worker), 10.231.n.1 outside, where PgBouncer and Redis listen for it. PostgreSQL (a throwaway
cluster from scripts/ops) listens on 127.0.0.1 for PgBouncer; nginx listens on 127.0.0.1 for the
client. The services run the files in deploy/, with this run's addresses put in for the @…@ words.
"""

import contextlib
import os
import re
import shlex
import shutil
import signal
import tempfile
import time
from pathlib import Path

from ops import HOST, ROOT, VENV_BIN, log
from ops.processes import Process, apt_install, free_port, run, site_env
from ops.web import request

DEPLOY = ROOT / "deploy"
VAR = ROOT / "var" / "cluster"
DB = {"user": "cluster", "password": "cluster-only-on-127.0.0.1", "database": "cluster"}
PACKAGES = {
    "nginx": "nginx-light",
    "pgbouncer": "pgbouncer",
    "redis-server": "redis-server",
    "ip": "iproute2",
}


def render(path, tokens):
    """A deploy/ file with this run's values for its @WORD@ placeholders (all of them)."""
    text = path.read_text()
    for key, value in tokens.items():
        text = text.replace(f"@{key}@", str(value))
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise RuntimeError(f"{path}: no value for {left}")
    return text


def unit_commands(unit, env):
    """ExecStartPre and ExecStart of a deploy/systemd unit as argument lists, expanded as systemd would."""
    defaults = {}
    commands = []
    for line in (DEPLOY / "systemd" / unit).read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "Environment":
            defaults |= dict(item.split("=", 1) for item in shlex.split(value))
        elif key in {"ExecStartPre", "ExecStart"}:
            commands.append(value)
    values = defaults | env
    expanded = []
    for command in commands:
        command = re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], command)
        expanded.append(
            [part.replace("/srv/campaign/venv/bin/", f"{VENV_BIN}/") for part in shlex.split(command)]
        )
    return expanded


class Node:
    def __init__(self, number, cluster):
        self.number, self.cluster = number, cluster
        self.name = f"node-{'ab'[number - 1]}"
        self.ns = f"icnk{number}-{os.getpid()}"
        self.veth = f"icv{number}-{os.getpid() % 100000}"
        self.outside, self.addr = f"10.231.{number}.1", f"10.231.{number}.2"
        self.web = self.worker = None

    def create(self):
        run(["ip", "netns", "add", self.ns])
        run(["ip", "link", "add", self.veth, "type", "veth", "peer", "name", "eth0", "netns", self.ns])
        run(["ip", "addr", "add", f"{self.outside}/24", "dev", self.veth])
        run(["ip", "link", "set", self.veth, "up"])
        for args in (["addr", "add", f"{self.addr}/24", "dev", "eth0"], ["link", "set", "eth0", "up"],
                     ["link", "set", "lo", "up"]):  # fmt: skip
            run(["ip", "-n", self.ns, *args])

    def env(self, **overrides):
        c = self.cluster
        url = f"postgres://{DB['user']}:{DB['password']}@{self.outside}:{c.pgbouncer_port}/campaign"  # deploy/pgbouncer: the name "campaign"
        return c.site_env(
            NODE_NAME=self.name,
            DATABASE_URL=url,
            DATABASE_DISABLE_SERVER_SIDE_CURSORS="1",
            CACHE_URL=f"redis://:{c.redis_password}@{self.outside}:{c.redis_port}/0",
            BIND=f"{self.addr}:8000",
            **overrides,
        )

    def start(self, web=True, worker=True, port=8000, **overrides):
        """The node's processes, started from its systemd units' own command lines, in its namespace."""
        env = self.env(**overrides) | {
            "BIND": f"{self.addr}:{port}",
            "WEB_WORKERS": str(self.cluster.web_workers),
        }
        if worker:
            reap, work = (shlex.join(command) for command in unit_commands("campaign-worker.service", env))
            # As systemd runs the unit: ExecStartPre (the reaper) before each start, and Restart=always
            # with RestartSec=2 (the worker exits when PostgreSQL goes away under it).
            self.worker = Process(
                ["ip", "netns", "exec", self.ns, "sh", "-c", f"while :; do {reap} && {work}; sleep 2; done"],
                VAR / f"{self.name}-worker.log", env,
            )  # fmt: skip
        if not web:
            return None
        (serve,) = unit_commands("campaign-web.service", env)
        process = Process(["ip", "netns", "exec", self.ns, *serve], VAR / f"{self.name}-web-{port}.log", env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.running():
            with contextlib.suppress(OSError):
                if request(port, "GET", "/healthz", host=self.addr, timeout=5).status == 200:
                    break
            time.sleep(0.3)
        else:
            raise RuntimeError(f"{self.name} did not answer on {self.addr}:{port}; see {VAR}")
        if port == 8000:
            self.web = process
        return process

    def kill(self):
        """kill -9 of every process in the namespace: the machine lost, nothing told."""
        pids = run(["ip", "netns", "pids", self.ns], check=False).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), 9)
        for process in (self.web, self.worker):
            if process:
                process.proc.wait(10)
        return len(pids)

    def stop(self):
        for process in (self.web, self.worker):
            if process:
                process.stop()

    def delete(self):
        self.kill()
        run(["ip", "netns", "delete", self.ns], check=False)


class Cluster:
    """Everything the run starts, stopped and removed by `teardown` whatever happened."""

    def __init__(self, args):
        self.args, self.web_workers = args, args.web_workers
        self.tmp = Path(tempfile.mkdtemp(prefix="icnk-cluster-"))
        self.tmp.chmod(0o755)
        self.nodes = [Node(1, self), Node(2, self)]
        self.redis = self.pgbouncer = self.nginx = self.pg = None
        self.redis_port, self.pgbouncer_port = free_port(6399), free_port(6442)
        self.redis_password = os.urandom(16).hex()
        self.https_port, self.http_port = free_port(8443), free_port(8088)

    def site_env(self, **overrides):
        origin = f"https://{HOST}:{self.https_port}"
        hosts = ",".join([HOST, "localhost", *(node.addr for node in self.nodes)])
        return site_env(port=self.https_port, database_url=self.direct_url()) | {
            "SITE_URL": origin, "ALLOWED_HOSTS": hosts, "CSRF_TRUSTED_ORIGINS": origin, "PROXY_COUNT": "1",
            "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https", "PETITION_RATE_LIMITS": "1",
            "EMAIL_URL": f"file://{VAR / 'mail'}", "STATIC_MANIFEST": "0", "WHITENOISE_USE_FINDERS": "1",
            "PETITION_COUNT_MAX_AGE": "2", "CACHE_TIMEOUT": "1",
        } | overrides  # fmt: skip

    def direct_url(self):
        return self.pg.url(DB["user"], DB["password"], DB["database"]) if self.pg else ""

    def install_missing(self):
        for command, package in PACKAGES.items():
            if not shutil.which(command) and not Path(f"/usr/sbin/{command}").exists():
                apt_install(package)

    def start_redis(self):
        conf = self.tmp / "redis.conf"
        conf.write_text(render(DEPLOY / "redis" / "campaign.conf", {
            "BIND": " ".join(node.outside for node in self.nodes), "PORT": self.redis_port, "DIR": self.tmp,
            "PASSWORD": self.redis_password}))  # fmt: skip
        self.redis = Process(["redis-server", conf], VAR / "redis.log", None)
        self._wait_port(self.nodes[0].outside, self.redis_port, "redis")

    def start_pgbouncer(self):
        auth = self.tmp / "userlist.txt"
        auth.write_text(f'"{DB["user"]}" "{DB["password"]}"\n')
        ini = self.tmp / "pgbouncer.ini"
        ini.write_text(render(DEPLOY / "pgbouncer" / "pgbouncer.ini", {
            "PG_HOST": HOST, "PG_PORT": self.pg.port, "PG_DATABASE": DB["database"],
            "LISTEN_ADDR": ",".join(node.outside for node in self.nodes), "LISTEN_PORT": self.pgbouncer_port,
            "AUTH_FILE": auth, "LOG_FILE": self.tmp / "pgbouncer.log", "PID_FILE": self.tmp / "pgbouncer.pid"}))  # fmt: skip
        run(["chown", "-R", "postgres", self.tmp])
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        self.pgbouncer = Process(
            [runuser, "-u", "postgres", "--", "pgbouncer", ini], VAR / "pgbouncer.out", None
        )
        self._wait_port(self.nodes[0].outside, self.pgbouncer_port, "pgbouncer")

    def write_site(self, down=()):
        """deploy/nginx's site with this run's values; a node in `down` is marked `down` (drained)."""
        cert, key = self.tmp / "cert.pem", self.tmp / "key.pem"
        site = render(DEPLOY / "nginx" / "campaign.conf", {
            "NODE_A": f"{self.nodes[0].addr}:8000", "NODE_B": f"{self.nodes[1].addr}:8000",
            "HTTP_LISTEN": f"{HOST}:{self.http_port}", "HTTPS_LISTEN": f"{HOST}:{self.https_port}",
            "SERVER_NAME": f"{HOST} localhost"})  # fmt: skip
        site = site.replace("/etc/ssl/campaign/fullchain.pem", str(cert)).replace(
            "/etc/ssl/campaign/privkey.pem", str(key)
        )
        for node in down:
            site = site.replace(f"server {node.addr}:8000 ", f"server {node.addr}:8000 down ")
        (self.tmp / "site.conf").write_text(site)

    def drain(self, *nodes, settle=1.5):
        """Take `nodes` out of nginx's upstream (none: put every node back), as a deploy does before a
        stop: reload (HUP) lets the old workers finish what they hold and close their kept connections."""
        self.write_site(down=nodes)
        os.kill(self.nginx.pid, signal.SIGHUP)
        time.sleep(settle)

    def make_certificate(self):
        """The run's throwaway certificate for nginx (the site's TLS paths are placeholders)."""
        cert, key = self.tmp / "cert.pem", self.tmp / "key.pem"
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
             "-keyout", key, "-out", cert])  # fmt: skip

    def start_nginx(self):
        self.write_site()
        # The test's own main file (the machine's nginx.conf is Debian's): just enough to load the site.
        (self.tmp / "nginx.conf").write_text(
            f"worker_processes 2;\npid {self.tmp}/nginx.pid;\nerror_log {VAR}/nginx-error.log;\n"
            f"events {{ worker_connections 1024; }}\n"
            f"http {{ access_log off; client_body_temp_path {self.tmp}/body; proxy_temp_path {self.tmp}/proxy;\n"
            f"  include {self.tmp}/site.conf; }}\n"
        )
        self.nginx = Process(
            ["nginx", "-c", self.tmp / "nginx.conf", "-g", "daemon off;"], VAR / "nginx.out", None
        )
        self._wait_port(HOST, self.https_port, "nginx")

    def _wait_port(self, host, port, what, wait=20):
        import socket

        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
                return
            time.sleep(0.2)
        raise RuntimeError(f"{what} did not listen on {host}:{port}; see {VAR}")

    def teardown(self):
        log("teardown: processes, namespaces, the PostgreSQL cluster")
        for node in self.nodes:
            node.delete()
        for process in (self.nginx, self.pgbouncer, self.redis):
            if process:
                process.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
