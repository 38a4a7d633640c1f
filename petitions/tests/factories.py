"""Builders for petition tests: make_petition(**overrides) and friends, each defined once."""

import itertools
from datetime import timedelta

from django.utils import timezone

from petitions.forms import issue_form_stamp
from petitions.models import ConsentWording, Petition, Signature
from petitions.services import tally

_numbers = itertools.count(1)

DEFAULT_CONSENT = "I agree that ICNK stores my name, email and country for this petition."


def make_petition(*, consent_text=DEFAULT_CONSENT, **overrides):
    """An open petition; with its first consent wording unless ``consent_text=None``."""
    number = next(_numbers)
    fields = {
        "title": f"For a UN Commission of Inquiry {number}",
        "slug": f"commission-of-inquiry-{number}",
        "ask": "We call on the UN Human Rights Council to establish a Commission of Inquiry.",
        "description": "Crimes against humanity in North Korea must be investigated.",
        "addressee": "the UN Human Rights Council",
        "goal": 1000,
        "state": Petition.State.OPEN,
        "opens_at": timezone.now() - timedelta(days=1),
    }
    fields.update(overrides)
    petition = Petition.objects.create(**fields)
    if consent_text is not None:
        make_consent(petition, text=consent_text)
    return petition


def make_consent(petition, **overrides):
    fields = {"petition": petition, "version": 1, "text": DEFAULT_CONSENT}
    fields.update(overrides)
    return ConsentWording.objects.create(**fields)


def make_signature(petition=None, **overrides):
    """A pending signature (``state=`` says otherwise), on a new petition if none is given.

    The petition gets a consent wording if it has none; each signature has an IP hash of its own.
    """
    petition = petition or make_petition()
    consent_wording = petition.consent_wordings.order_by("-version").first() or make_consent(petition)
    number = next(_numbers)
    email = overrides.pop("email", f"signer{number}@example.org")
    fields = {
        "petition": petition,
        "name": f"Signer {number}",
        "email": email,
        "email_normalised": email.lower(),
        "country": "KR",
        "consent_wording": consent_wording,
        "state": Signature.State.PENDING,
        "ip_hash": f"{number:064x}",
    }
    fields.update(overrides)
    if fields["state"] == Signature.State.CONFIRMED:
        fields.setdefault("confirmed_at", timezone.now())
    signature = Signature.objects.create(**fields)
    if signature.state == Signature.State.CONFIRMED:
        # Made confirmed at once: journaled for the tally as confirming would have.
        tally.record_confirmation_of(signature_id=signature.pk)
    return signature


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


def make_update(petition=None, **overrides):
    """A draft update (not sent) of ``petition``, or of a new petition, written in English.

    ``subject``/``body`` set the English text; ``subject_ko`` … the translations.
    """
    from petitions.models import Update

    fields = {
        "petition": petition or make_petition(),
        "subject_en": "The Council has answered",
        "body_en": "The UN Human Rights Council *answered* today.\n\nRead it [on our site](https://example.org/news).",
        "publish_on_petition": True,
    }
    for name in ("subject", "body"):
        if name in overrides:
            overrides[f"{name}_en"] = overrides.pop(name)
    fields.update(overrides)
    return Update.objects.create(**fields)


def make_subscriber(petition=None, **overrides):
    """A confirmed signature that opted in to updates."""
    return make_signature(petition, state=Signature.State.CONFIRMED, keep_informed=True, **overrides)
