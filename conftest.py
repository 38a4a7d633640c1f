"""Suite-wide test settings that only make tests faster, never change behaviour."""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher takes ~1 s per password on these machines.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
