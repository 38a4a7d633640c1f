"""Fixtures shared by the campaign app's tests."""

import threading

import pytest
from django.db import connection


@pytest.fixture
def enqueued(monkeypatch):
    """Records the signature ids whose confirmation email is enqueued."""
    calls = []

    class FakeTask:
        def enqueue(self, signature_id):
            calls.append(signature_id)

    monkeypatch.setattr("campaign.tasks.send_confirmation", FakeTask())
    return calls


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
