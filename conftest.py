"""Suite-wide test settings: faster tests, and no state carried from one test to the next."""

import threading

import pytest
from django.db import connection


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher takes ~1 s per password on these machines.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_to_begin_with():
    # A request activates its language in the thread and nothing deactivates it:
    # without this, a test would build its content in the last test's language.
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _empty_cache():
    # The shared cache (cached pages, counts, rate limits) outlives a test's
    # rolled-back transaction; each test starts with it empty.
    from django.core.cache import caches

    from pagecache import clear_local_copies

    caches["default"].clear()
    clear_local_copies()


@pytest.fixture
def postgresql():
    """Skip on SQLite: the test needs PostgreSQL's concurrent transactions."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent transactions")


def _run_at_once(count, work):
    barrier = threading.Barrier(count)
    errors = []

    def run(n):
        try:
            barrier.wait(timeout=10)
            work(n)
        except Exception as error:  # reported by the caller, with the thread's number
            errors.append(f"{n}: {error!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.fixture
def at_once():
    """``at_once(count, work)``: ``work(n)`` in ``count`` threads released together; the errors, each with its number."""
    return _run_at_once
