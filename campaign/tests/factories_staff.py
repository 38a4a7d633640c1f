"""Builders for the staff-side tests: factories.py's, with the defaults these tests want (confirmed signatures)."""

import datetime
import itertools

from django.contrib.auth.models import Group, User
from django.utils import timezone

from campaign.models import ConsentWording, Signature
from campaign.tests import factories

_numbers = itertools.count(1)

CONTENT_EDITORS = "Content editors"
SUPPORTER_DATA = "Supporter data"


def make_petition(**overrides):
    """An open petition without a consent wording (``make_signature`` adds one when needed)."""
    overrides.setdefault("description", "Crimes against humanity in North Korea must be investigated.")
    overrides.setdefault("opens_at", timezone.now() - datetime.timedelta(days=30))
    return factories.make_petition(consent_text=None, **overrides)


def make_consent(petition, **overrides):
    fields = {"petition": petition, "version": 1, "text": "I agree that ICNK stores my signature."}
    fields.update(overrides)
    return ConsentWording.objects.create(**fields)


make_member = factories.make_member


def make_signature(petition=None, **overrides):
    """A signature, confirmed unless ``state`` says otherwise; a new petition if none is given."""
    petition = petition or make_petition()
    if not petition.consent_wordings.exists():
        make_consent(petition)
    overrides.setdefault("state", Signature.State.CONFIRMED)
    overrides.setdefault("ip_hash", f"{next(_numbers):064x}")
    return factories.make_signature(petition, **overrides)


def make_staff_user(group_name=None, username=None, **overrides):
    """A staff user, in the named group (the groups come from a data migration)."""
    username = username or f"staff{next(_numbers)}"
    # No password: tests log in with force_login, and hashing one is slow.
    user = User.objects.create_user(username=username, password=None, is_staff=True, **overrides)
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user
