"""Builders for coalition tests."""

import itertools

from django.apps import apps
from django.contrib.auth.models import Group, User

from coalition.models import Member

_counter = itertools.count(1)


def make_member(**overrides):
    n = next(_counter)
    fields = {
        "name": f"Member {n}",
        "slug": f"member-{n}",
        "kind": Member.Kind.ORGANISATION,
        "is_published": True,
        "ordering": n,
    }
    fields.update(overrides)
    return Member.objects.create(**fields)


def make_signature(referrer, state="confirmed"):
    """A signature brought by `referrer`; built through the app registry so coalition never imports campaign."""
    Petition = apps.get_model("campaign", "Petition")
    ConsentWording = apps.get_model("campaign", "ConsentWording")
    Signature = apps.get_model("campaign", "Signature")
    petition, _ = Petition.objects.get_or_create(
        slug="test-petition", defaults={"title": "Test petition", "ask": "Act.", "addressee": "The UN"}
    )
    wording, _ = ConsentWording.objects.get_or_create(
        petition=petition, version=1, defaults={"text": "I agree."}
    )
    n = next(_counter)
    return Signature.objects.create(
        petition=petition,
        name=f"Signer {n}",
        email=f"signer{n}@example.org",
        email_normalised=f"signer{n}@example.org",
        consent_wording=wording,
        state=state,
        referrer=referrer,
    )


def make_content_editor(username="editor"):
    # No password: tests log in with force_login, and hashing one is slow.
    user = User.objects.create(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name="Content editors"))
    return user
