"""Child processes: commands, manage.py, gunicorn and the task worker, each stopped by its own id."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from . import HOST, PYTHON, ROOT, VENV_BIN, log
from .web import request

# Passed through from the caller's environment; everything else the site reads is set explicitly.
PASSED_THROUGH = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}
# One pair of keys per run: the server, manage.py and the task workers must sign and check alike.
RUN_SECRET_KEY = "ops-run-secret-" + os.urandom(24).hex()
RUN_IP_HASH_KEY = "ops-run-ip-hash-" + os.urandom(16).hex()


def run(cmd, *, env=None, timeout=300, check=True, user=None, cwd=ROOT):
    """Run a command to its end (as `user` if given); its output captured, an error raised on failure."""
    if user:  # runuser lives in /usr/sbin, which a non-login PATH may lack
        cmd = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", user, "--", *cmd]
    result = subprocess.run(
        [str(part) for part in cmd], env=env, timeout=timeout, text=True, capture_output=True, cwd=cwd
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def free_port(preferred=None):
    """`preferred` when nothing listens on it, else any free port on 127.0.0.1."""
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free port")


def apt_install(package):
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError(f"{package} is missing; install it (e.g. sudo apt-get install {package}).")
    log(f"installing {package} from Debian")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], env=env, check=False)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", package], env=env)


def site_env(*, port, database_url, **overrides):
    """The site with production settings (DEBUG off) on 127.0.0.1, HTTP only, rate limits off."""
    env = {key: value for key, value in os.environ.items() if key in PASSED_THROUGH}
    env |= {
        "DEBUG": "0",
        "SECRET_KEY": RUN_SECRET_KEY,
        "IP_HASH_KEY": RUN_IP_HASH_KEY,
        "ALLOWED_HOSTS": f"{HOST},localhost",
        "SITE_URL": f"http://{HOST}:{port}",
        "DATABASE_URL": database_url,
        "CACHE_URL": "db://django_cache",
        "TASKS_BACKEND": "database",
        # Production requires a mail server; callers that read the mail pass a file:// one.
        "EMAIL_URL": "locmem:",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "PETITION_RATE_LIMITS": "0",
        "PETITION_MIN_FILL_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    return env | overrides


def manage(*args, env, timeout=600, check=True):
    return run([PYTHON, "manage.py", *args], env=env, timeout=timeout, check=check)


class Process:
    """A child in its own process group, its output appended to `logfile`, stopped by its id."""

    def __init__(self, args, logfile, env):
        self.logfile = Path(logfile)
        with open(self.logfile, "ab") as output:
            self.proc = subprocess.Popen(
                [str(arg) for arg in args], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc.poll() is None

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def children(self):
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        with contextlib.suppress(OSError):
            return [int(pid) for pid in path.read_text().split()]
        return []


class Gunicorn(Process):
    """gunicorn serving the site on 127.0.0.1:`port`; started means /healthz answered 200."""

    def __init__(self, *, port, env, logfile, options=(), wait=60):
        self.port = port
        args = [VENV_BIN / "gunicorn", "campaign.wsgi", "--no-control-socket", "--bind", f"{HOST}:{port}",
                "--log-level", "warning", *options]  # fmt: skip
        super().__init__(args, logfile, env)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"gunicorn exited; see {self.logfile}")
            with contextlib.suppress(OSError):
                if request(port, "GET", "/healthz", timeout=10).status == 200:
                    return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /healthz within {wait} s; see {self.logfile}")

    def workers(self):
        return self.children()

    def timeouts(self):
        """How many times gunicorn's log says it killed a worker for its timeout."""
        with contextlib.suppress(OSError):
            return self.logfile.read_text(errors="replace").count("WORKER TIMEOUT")
        return 0


def task_worker(logfile, env, interval=0.2):
    """django-tasks' ``db_worker``, polling every `interval` seconds until stopped."""
    args = [PYTHON, "manage.py", "db_worker", "--interval", interval, "--no-startup-delay", "--no-reload"]
    return Process(args, logfile, env)


def task_worker_batch(env):
    """One ``db_worker --batch`` pass over what is due, to its end."""
    return manage("db_worker", "--batch", "--no-startup-delay", "--no-reload", env=env, check=False)


def peak_rss_kb(pid):
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None
