"""The installs are reproducible: every package, transitive ones included, is pinned with its hashes."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def requirements(path):
    """``{name: (version, hashes)}`` from a pip-compile lock (continuation lines joined)."""
    text = (ROOT / path).read_text().replace("\\\n", " ")
    found = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = PIN.match(line)
        assert match, f"{path}: not pinned with ==: {line!r}"
        found[match.group(1).lower().replace("_", "-")] = (
            match.group(2),
            re.findall(r"--hash=sha256:\w+", line),
        )
    return found


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-dev.txt"])
def test_every_locked_package_is_pinned_with_hashes(lock):
    packages = requirements(lock)
    assert packages
    assert [name for name, (_, hashes) in packages.items() if not hashes] == []


@pytest.mark.parametrize(
    ("source", "lock"),
    [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")],
)
def test_each_direct_pin_is_what_the_lock_holds(source, lock):
    """A pin changed in a .in file without `make lock` is caught here."""
    locked = requirements(lock)
    for name, (version, _) in requirements(source).items():
        assert locked.get(name, (None,))[0] == version, (
            f"{name}=={version} in {source}, not in {lock}: run make lock"
        )


def test_the_development_lock_agrees_with_the_runtime_lock():
    runtime, dev = requirements("requirements.txt"), requirements("requirements-dev.txt")
    assert {name: runtime[name][0] for name in runtime.keys() & dev.keys()} == {
        name: dev[name][0] for name in runtime.keys() & dev.keys()
    }
