"""The operations scripts' one set of helpers: PostgreSQL clusters, the site's processes, HTTP, forms, logging.

Used by ``scripts/bench.py``, ``scripts/reliability.py`` and ``.ci/postgres``. Standard library only, so
that ``.ci/postgres`` can run it with the system Python before the virtualenv exists. Every server and
client here talks to 127.0.0.1 only; the scripts never import the site's own modules, they go through
HTTP and ``manage.py``.
"""

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
HOST = "127.0.0.1"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable

_log = {"name": "ops", "started": time.monotonic()}


def start_log(name):
    """Name the script in every log line and count the seconds from now."""
    _log.update(name=name, started=time.monotonic())


def elapsed():
    return time.monotonic() - _log["started"]


def log(*parts):
    print(f"[{_log['name']} {time.strftime('%H:%M:%S')} {elapsed():6.1f}s]", *parts, flush=True)
