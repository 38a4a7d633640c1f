"""Fixtures shared by the petitions app's tests."""

import pytest


@pytest.fixture
def enqueued(monkeypatch):
    """Records the signature ids whose confirmation email is enqueued."""
    calls = []

    class FakeTask:
        def enqueue(self, signature_id, **options):
            calls.append(signature_id)

    monkeypatch.setattr("petitions.tasks.send_confirmation", FakeTask())
    return calls
