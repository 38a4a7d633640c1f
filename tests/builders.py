"""Small builders for the reliability and security tests (models only, no services)."""

import itertools

from django.utils import timezone

from campaign.models import Appeal, Campaign, Statement
from campaign.tests import factories
from coalition.models import Member
from testimonies.models import Testimony

_serial = itertools.count(1)


def make_petition(**overrides):
    """An open petition with a consent wording (``campaign.tests.factories``' builder)."""
    return factories.make_petition(consent_text="I agree to the privacy notice.", **overrides)


def make_signature(petition, **overrides):
    overrides.setdefault("country", "GB")
    return factories.make_signature(petition, **overrides)


def make_content():
    """One of each content model the admin and the public pages show."""
    n = next(_serial)
    campaign = Campaign.objects.filter(is_current=True).first() or Campaign.objects.create(
        name="Stop crimes against humanity in North Korea", objective="A Commission of Inquiry."
    )
    appeal = Appeal.objects.create(
        title=f"Appeal {n}", slug=f"appeal-{n}", issuer="ICNK", addressee="UN", is_published=True
    )
    statement = Statement.objects.create(
        title=f"Statement {n}",
        slug=f"statement-{n}",
        author="ICNK",
        date=timezone.now().date(),
        body="Text.",
        is_published=True,
    )
    member = Member.objects.create(name=f"Member {n}", slug=f"member-{n}", is_published=True)
    testimony = Testimony.objects.create(
        name=f"Witness {n}",
        slug=f"witness-{n}",
        summary="Summary.",
        body="Body.",
        consent_basis=Testimony.ConsentBasis.values[0],
        consent_date=timezone.now().date(),
        consent_scope="Publication on the campaign site.",
        is_published=True,
    )
    return {
        "campaign": campaign,
        "appeal": appeal,
        "statement": statement,
        "member": member,
        "testimony": testimony,
    }
