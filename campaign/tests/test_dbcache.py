"""The database cache (CACHE_URL=db://…, the default outside tests): increments that always count."""

import datetime
import uuid

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from campaign.config import parse_cache_url
from petitions.models import Signature
from petitions.tests.factories import make_petition, sign_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def db_cache(settings):
    """The deployment's cache, as `CACHE_URL=db://…` configures it, in its own table."""
    settings.CACHES = {**settings.CACHES, "default": parse_cache_url("db://test_rate_cache", timeout=2)}
    call_command("createcachetable", verbosity=0)
    cache = caches["default"]
    cache.clear()
    yield cache
    cache.clear()


def test_the_database_cache_url_uses_the_atomic_backend(db_cache):
    assert type(db_cache).__module__ == "campaign.dbcache"


def test_incr_adds_to_the_stored_value_and_refuses_a_missing_or_expired_key(db_cache, monkeypatch):
    key = f"counter-{uuid.uuid4()}"
    assert db_cache.add(key, 0, timeout=60)
    assert db_cache.incr(key) == 1
    assert db_cache.incr(key, 5) == 6
    assert db_cache.get(key) == 6

    with pytest.raises(ValueError):
        db_cache.incr(f"missing-{uuid.uuid4()}")

    later = timezone.now() + datetime.timedelta(seconds=61)
    monkeypatch.setattr("campaign.dbcache.tz_now", lambda: later)
    with pytest.raises(ValueError):
        db_cache.incr(key)


def test_simultaneous_increments_are_all_counted(postgresql, db_cache, at_once):
    key = f"counter-{uuid.uuid4()}"
    db_cache.add(key, 0, timeout=60)

    def increment(n):
        for _ in range(25):
            db_cache.incr(key)

    assert at_once(8, increment) == []
    assert db_cache.get(key) == 200


def test_a_burst_of_signatures_from_one_address_is_held_to_the_limit(postgresql, db_cache, settings, at_once):
    # Twelve submissions from one address at the same moment, five allowed a minute: exactly five
    # become pending signatures (emailed), the other seven are held as suspected.
    settings.PETITION_RATE_LIMITS = True
    settings.PETITION_RATE_BURST = 5
    settings.PETITION_RATE_SUSTAINED = 100
    settings.PETITION_MIN_FILL_SECONDS = 0
    petition = make_petition()
    url = petition.get_absolute_url()

    def submit(n):
        response = Client(REMOTE_ADDR="203.0.113.7").post(
            url, sign_data(petition, email=f"signer{n}@example.org")
        )
        assert response.status_code == 303, response.status_code

    assert at_once(12, submit) == []
    states = list(Signature.objects.filter(petition=petition).values_list("state", flat=True))
    assert len(states) == 12
    assert states.count(Signature.State.PENDING) == 5
    assert states.count(Signature.State.SUSPECTED) == 7
