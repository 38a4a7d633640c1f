"""Small builders for petition tests: make_petition(**overrides) and friends."""

import itertools
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from campaign.forms import issue_form_stamp
from campaign.models import ConsentWording, Petition, Signature
from coalition.models import Member

_numbers = itertools.count(1)


def make_petition(
    *, consent_text="I agree that ICNK stores my name, email and country for this petition.", **overrides
):
    number = next(_numbers)
    fields = {
        "title": f"For a UN Commission of Inquiry {number}",
        "slug": f"commission-of-inquiry-{number}",
        "ask": "We call on the UN Human Rights Council to establish a Commission of Inquiry.",
        "addressee": "the UN Human Rights Council",
        "goal": 1000,
        "state": Petition.State.OPEN,
        "opens_at": timezone.now() - timedelta(days=1),
    }
    fields.update(overrides)
    petition = Petition.objects.create(**fields)
    if consent_text is not None:
        ConsentWording.objects.create(petition=petition, version=1, text=consent_text)
    return petition


def make_signature(petition, **overrides):
    number = next(_numbers)
    email = overrides.pop("email", f"signer{number}@example.org")
    fields = {
        "petition": petition,
        "name": f"Signer {number}",
        "email": email,
        "email_normalised": email.lower(),
        "country": "KR",
        "consent_wording": petition.consent_wordings.order_by("-version").first(),
        "state": Signature.State.PENDING,
        "ip_hash": "0" * 64,
    }
    fields.update(overrides)
    if fields["state"] == Signature.State.CONFIRMED:
        fields.setdefault("confirmed_at", timezone.now())
    return Signature.objects.create(**fields)


def make_member(**overrides):
    number = next(_numbers)
    fields = {"name": f"Member {number}", "slug": f"member-{number}", "is_published": True}
    fields.update(overrides)
    return Member.objects.create(**fields)


def sign_data(petition, **overrides):
    """A valid POST body for the signing form, as a person would send it."""
    data = {
        "issued": issue_form_stamp(petition),
        "name": "Kim Min-ji",
        "email": "min-ji@example.org",
        "country": "KR",
        "comment": "",
        "consent": "on",
        "website": "",
        "ref": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def fresh_cache():
    """Rate limits, counts and cooldowns live in the cache: start each test empty."""
    cache.clear()
    yield
    cache.clear()
