"""Suite-wide test settings: faster tests, and no state carried from one test to the next."""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher takes ~1 s per password on these machines.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    # The shared cache (cached pages, counts, rate limits) outlives a test's
    # rolled-back transaction; each test starts with it empty.
    from django.core.cache import caches

    from pagecache import clear_local_copies

    caches["default"].clear()
    clear_local_copies()
