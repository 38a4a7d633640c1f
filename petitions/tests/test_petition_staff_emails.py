"""Staff actions that send the real confirmation email (no fakes)."""

import pytest
from django.core import mail

from petitions.models import Signature
from petitions.services import staff
from petitions.tests.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db(transaction=True)


def test_clearing_a_suspected_signature_sends_its_confirmation_email():
    petition = make_petition()
    signature = make_signature(petition, state=Signature.State.SUSPECTED, email="genuine@example.org")

    cleared = staff.clear_suspected(queryset=Signature.objects.filter(pk=signature.pk))

    assert cleared == 1
    assert [message.to for message in mail.outbox] == [["genuine@example.org"]]
    assert "/confirm/" in mail.outbox[0].body


def test_resending_reaches_pending_signers_only():
    petition = make_petition()
    pending = make_signature(petition, email="waiting@example.org")
    make_signature(petition, state=Signature.State.CONFIRMED, email="done@example.org")

    sent = staff.resend_confirmations(queryset=Signature.objects.all())

    assert sent == 1
    assert [message.to for message in mail.outbox] == [[pending.email]]
