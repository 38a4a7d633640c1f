"""Staff tools in campaign.services: invalidate, clear suspected, resend, bulk invalidation."""

import datetime

import pytest
from django.utils import timezone

from petitions.models import Signature
from petitions.services import staff
from petitions.tests.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db

S = Signature.State


def states(*signatures):
    return [Signature.objects.get(pk=s.pk).state for s in signatures]


def test_invalidate_changes_pending_confirmed_and_suspected_only():
    petition = make_petition(consent_text=None)
    sigs = [make_signature(petition, state=state) for state in S]
    changed = staff.invalidate_signatures(queryset=Signature.objects.all())
    assert changed == 3
    assert states(*sigs) == [S.INVALIDATED, S.INVALIDATED, S.WITHDRAWN, S.INVALIDATED, S.INVALIDATED]


def test_invalidate_twice_reports_nothing_the_second_time():
    make_signature(state="confirmed")
    assert staff.invalidate_signatures(queryset=Signature.objects.all()) == 1
    assert staff.invalidate_signatures(queryset=Signature.objects.all()) == 0


def test_clear_suspected_makes_them_pending_and_enqueues_after_commit(
    enqueued, django_capture_on_commit_callbacks
):
    suspected = make_signature(state=S.SUSPECTED)
    confirmed = make_signature(state=S.CONFIRMED)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        cleared = staff.clear_suspected(queryset=Signature.objects.all())
        assert enqueued == []  # nothing is sent before the transaction commits
    assert cleared == 1
    assert len(callbacks) == 1
    assert enqueued == [suspected.pk]
    assert states(suspected, confirmed) == [S.PENDING, S.CONFIRMED]


def test_clearing_again_sends_no_second_email(enqueued, django_capture_on_commit_callbacks):
    make_signature(state=S.SUSPECTED)
    with django_capture_on_commit_callbacks(execute=True):
        staff.clear_suspected(queryset=Signature.objects.all())
        staff.clear_suspected(queryset=Signature.objects.all())
    assert len(enqueued) == 1


def test_resend_confirmations_only_for_pending(enqueued, django_capture_on_commit_callbacks):
    pending = make_signature(state=S.PENDING)
    make_signature(state=S.CONFIRMED)
    make_signature(state=S.SUSPECTED)
    with django_capture_on_commit_callbacks(execute=True):
        sent = staff.resend_confirmations(queryset=Signature.objects.all())
    assert sent == 1
    assert enqueued == [pending.pk]


def test_bulk_invalidation_by_ip_hash():
    bot = make_signature(ip_hash="a" * 64, state="confirmed")
    bot_again = make_signature(ip_hash="a" * 64, state=S.SUSPECTED)
    human = make_signature(ip_hash="b" * 64, state="confirmed")
    assert staff.invalidate_matching(ip_hash="a" * 64) == 2
    assert states(bot, bot_again, human) == [S.INVALIDATED, S.INVALIDATED, S.CONFIRMED]


def test_bulk_invalidation_by_email_domain_ignores_case_and_lookalike_domains():
    spam = make_signature(email="x1@Spam.Example", state="confirmed")
    spam_typed = make_signature(
        email="X2@SPAM.EXAMPLE", email_normalised="x2@spam.example", state="confirmed"
    )
    lookalike = make_signature(email="x3@notspam.example", state="confirmed")
    sub = make_signature(email="x4@mail.spam.example", state="confirmed")
    assert staff.invalidate_matching(email_domain="@spam.example") == 2
    assert states(spam, spam_typed, lookalike, sub) == [
        S.INVALIDATED,
        S.INVALIDATED,
        S.CONFIRMED,
        S.CONFIRMED,
    ]


def test_bulk_invalidation_by_time_range_and_petition():
    now = timezone.now()
    petition, other = make_petition(consent_text=None), make_petition(consent_text=None)
    before = make_signature(petition, created_at=now - datetime.timedelta(hours=3), state="confirmed")
    inside = make_signature(petition, created_at=now - datetime.timedelta(hours=2), state="confirmed")
    at_end = make_signature(petition, created_at=now - datetime.timedelta(hours=1), state="confirmed")
    other_petition = make_signature(other, created_at=now - datetime.timedelta(hours=2), state="confirmed")
    changed = staff.invalidate_matching(
        petition=petition,
        created_from=now - datetime.timedelta(hours=2, minutes=30),
        created_to=now - datetime.timedelta(hours=1),
    )
    assert changed == 1
    assert states(before, inside, at_end, other_petition) == [
        S.CONFIRMED,
        S.INVALIDATED,
        S.CONFIRMED,
        S.CONFIRMED,
    ]


def test_bulk_invalidation_needs_a_criterion_besides_the_petition():
    petition = make_petition(consent_text=None)
    make_signature(petition, state="confirmed")
    with pytest.raises(ValueError):
        staff.invalidate_matching(petition=petition)
    assert Signature.objects.filter(state=S.CONFIRMED).count() == 1
