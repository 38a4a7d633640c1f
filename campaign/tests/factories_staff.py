"""Builders for the staff-side tests (kept apart from the public flow's factories.py)."""

import datetime
import itertools

from django.contrib.auth.models import Group, User
from django.utils import timezone

from campaign.models import ConsentWording, Petition, Signature
from coalition.models import Member

_numbers = itertools.count(1)

CONTENT_EDITORS = "Content editors"
SUPPORTER_DATA = "Supporter data"


def make_petition(**overrides):
    n = next(_numbers)
    fields = {
        "title": f"A Commission of Inquiry now {n}",
        "slug": f"commission-of-inquiry-{n}",
        "ask": "We ask the UN Human Rights Council to establish a Commission of Inquiry.",
        "description": "Crimes against humanity in North Korea must be investigated.",
        "addressee": "UN Human Rights Council",
        "goal": 1000,
        "opens_at": timezone.now() - datetime.timedelta(days=30),
        "state": Petition.State.OPEN,
    }
    fields.update(overrides)
    return Petition.objects.create(**fields)


def make_consent(petition, **overrides):
    fields = {"petition": petition, "version": 1, "text": "I agree that ICNK stores my signature."}
    fields.update(overrides)
    return ConsentWording.objects.create(**fields)


def make_member(**overrides):
    n = next(_numbers)
    fields = {"name": f"Member organisation {n}", "slug": f"member-{n}", "is_published": True}
    fields.update(overrides)
    return Member.objects.create(**fields)


def make_signature(petition=None, **overrides):
    n = next(_numbers)
    petition = petition or make_petition()
    consent = petition.consent_wordings.order_by("-version").first() or make_consent(petition)
    email = overrides.pop("email", f"signer{n}@example.org")
    fields = {
        "petition": petition,
        "name": f"Signer {n}",
        "email": email,
        "email_normalised": overrides.pop("email_normalised", email.lower()),
        "country": "KR",
        "consent_wording": consent,
        "state": Signature.State.CONFIRMED,
        "ip_hash": f"{n:064x}",
    }
    fields.update(overrides)
    if fields["state"] == Signature.State.CONFIRMED and "confirmed_at" not in overrides:
        fields["confirmed_at"] = timezone.now()
    return Signature.objects.create(**fields)


def make_staff_user(group_name=None, username=None, **overrides):
    """A staff user, in the named group (the groups come from a data migration)."""
    username = username or f"staff{next(_numbers)}"
    # No password: tests log in with force_login, and hashing one is slow.
    user = User.objects.create_user(username=username, password=None, is_staff=True, **overrides)
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user
