"""Retention: purge_signatures deletes stale pending and suspected signatures, anonymises old closed ones."""

import datetime
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from coalition.tests.factories import make_member
from petitions.models import Petition, Signature
from petitions.services import retention as retention_service
from petitions.services import staff
from petitions.tests.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db

S = Signature.State
DAY = datetime.timedelta(days=1)


@pytest.fixture
def retention(settings):
    settings.PETITION_PENDING_RETENTION_DAYS = 7
    settings.PETITION_SUSPECTED_RETENTION_DAYS = 30
    settings.PETITION_CLOSED_RETENTION_DAYS = 180


def counts_by(field):
    return dict(Signature.objects.values_list(field).annotate(n=Count("pk")).order_by(field))


def test_pending_older_than_retention_is_deleted_newer_kept(retention):
    now = timezone.now()
    old_pending = make_signature(state=S.PENDING, created_at=now - 8 * DAY)
    fresh_pending = make_signature(state=S.PENDING, created_at=now - 6 * DAY)
    old_confirmed = make_signature(state=S.CONFIRMED, created_at=now - 30 * DAY)
    result = retention_service.purge_signatures(now=now)
    assert result == {"deleted_pending": 1, "deleted_suspected": 0, "anonymised": 0}
    remaining = set(Signature.objects.values_list("pk", flat=True))
    assert remaining == {fresh_pending.pk, old_confirmed.pk}
    assert old_pending.pk not in remaining


def test_signatures_of_long_closed_petition_are_anonymised_and_counts_kept(retention):
    now = timezone.now()
    member = make_member()
    closed = make_petition(state=Petition.State.CLOSED, closes_at=now - 181 * DAY, consent_text=None)
    recent = make_petition(state=Petition.State.CLOSED, closes_at=now - 179 * DAY, consent_text=None)
    old = [
        make_signature(
            closed, name="Kim", comment="For my family", country="KR", referrer=member, state="confirmed"
        ),
        make_signature(closed, state=S.WITHDRAWN, country="JP"),
        make_signature(closed, state=S.INVALIDATED, country="US"),
    ]
    kept = make_signature(recent, name="Lee", state="confirmed")
    states_before, countries_before = counts_by("state"), counts_by("country")
    referrers_before = counts_by("referrer")

    result = retention_service.purge_signatures(now=now)

    assert result == {"deleted_pending": 0, "deleted_suspected": 0, "anonymised": 3}
    for signature in old:
        signature.refresh_from_db()
        assert (signature.name, signature.email, signature.comment, signature.ip_hash) == ("", "", "", "")
        assert signature.email_normalised == f"anonymised-{signature.pk}"
        assert signature.show_name is False
    assert old[0].referrer == member
    assert old[0].confirmed_at is not None
    kept.refresh_from_db()
    assert kept.name == "Lee" and kept.email
    assert counts_by("state") == states_before
    assert counts_by("country") == countries_before
    assert counts_by("referrer") == referrers_before


def test_purging_twice_changes_nothing_more(retention):
    now = timezone.now()
    closed = make_petition(
        state=Petition.State.DELIVERED, delivered_on=now.date(), closes_at=now - 365 * DAY, consent_text=None
    )
    make_signature(closed, state="confirmed")
    make_signature(closed, state=S.PENDING, created_at=now - 400 * DAY)
    make_signature(state=S.PENDING, created_at=now - 10 * DAY)
    make_signature(state=S.SUSPECTED, created_at=now - 31 * DAY)
    assert retention_service.purge_signatures(now=now) == {
        "deleted_pending": 2,
        "deleted_suspected": 1,
        "anonymised": 1,
    }
    snapshot = list(Signature.objects.order_by("pk").values())
    assert retention_service.purge_signatures(now=now) == {
        "deleted_pending": 0,
        "deleted_suspected": 0,
        "anonymised": 0,
    }
    assert list(Signature.objects.order_by("pk").values()) == snapshot


def test_open_petition_without_closing_date_is_never_anonymised(retention):
    open_petition = make_petition(closes_at=None, consent_text=None)
    signature = make_signature(open_petition, created_at=timezone.now() - 1000 * DAY, state="confirmed")
    retention_service.purge_signatures(now=timezone.now() + 1000 * DAY)
    signature.refresh_from_db()
    assert signature.email


def test_command_dry_run_counts_without_changing(retention, capsys):
    make_signature(state=S.PENDING, created_at=timezone.now() - 8 * DAY)
    call_command("purge_signatures", "--dry-run")
    output = capsys.readouterr().out
    assert "Would delete 1 pending signature(s) older than 7 days" in output
    assert "would delete 0 suspected signature(s) older than 30 days" in output
    assert "would anonymise 0" in output
    assert Signature.objects.count() == 1


def test_command_purges_and_reports(retention, capsys):
    make_signature(state=S.PENDING, created_at=timezone.now() - 8 * DAY)
    closed = make_petition(
        state=Petition.State.CLOSED, closes_at=timezone.now() - 200 * DAY, consent_text=None
    )
    make_signature(closed, state="confirmed")
    make_signature(state=S.SUSPECTED, created_at=timezone.now() - 31 * DAY)
    call_command("purge_signatures")
    output = capsys.readouterr().out
    assert "Deleted 1 pending signature(s)" in output
    assert "deleted 1 suspected signature(s) older than 30 days" in output
    assert "anonymised 1 signature(s) of petitions closed more than 180 days ago" in output
    assert Signature.objects.count() == 1


def test_suspected_signatures_staff_never_cleared_are_deleted_after_their_own_retention(retention):
    now = timezone.now()
    old_suspected = make_signature(state=S.SUSPECTED, created_at=now - 31 * DAY)
    recent_suspected = make_signature(state=S.SUSPECTED, created_at=now - 29 * DAY)
    old_invalidated = make_signature(state=S.INVALIDATED, created_at=now - 31 * DAY)

    assert retention_service.purge_signatures(now=now)["deleted_suspected"] == 1

    remaining = set(Signature.objects.values_list("pk", flat=True))
    assert remaining == {recent_suspected.pk, old_invalidated.pk}
    assert old_suspected.pk not in remaining


def staff_email_again(action, signature, capture_on_commit):
    """A staff action (resend, clear suspected) on one signature, its email sent at once."""
    with capture_on_commit(execute=True):
        return action(queryset=Signature.objects.filter(pk=signature.pk))


def confirm_with_the_emailed_link(client, signature):
    (message,) = mail.outbox
    path = re.search(r"https?://[^/\s]+(/en/petitions/\S+/confirm/\S+/)", message.body).group(1)
    assert client.post(path).status_code == 303
    signature.refresh_from_db()
    return signature.state


def test_a_link_staff_resend_late_still_confirms_after_the_next_purges(
    retention, client, django_capture_on_commit_callbacks
):
    # Signed six days ago and never confirmed; staff resend the email today.
    now = timezone.now()
    signature = make_signature(state=S.PENDING, created_at=now - 6 * DAY)
    assert staff_email_again(staff.resend_confirmations, signature, django_capture_on_commit_callbacks) == 1

    # The daily purge runs on the following days; the signature is older than
    # the retention period, but its link is not.
    for day in (1, 2, 3, 6):
        assert retention_service.purge_signatures(now=now + day * DAY)["deleted_pending"] == 0

    assert confirm_with_the_emailed_link(client, signature) == S.CONFIRMED


def test_a_resent_signature_left_unconfirmed_is_deleted_once_its_last_email_is_old(
    retention, django_capture_on_commit_callbacks
):
    now = timezone.now()
    signature = make_signature(state=S.PENDING, created_at=now - 6 * DAY)
    staff_email_again(staff.resend_confirmations, signature, django_capture_on_commit_callbacks)

    assert retention_service.purge_signatures(now=now + 8 * DAY)["deleted_pending"] == 1
    assert not Signature.objects.filter(pk=signature.pk).exists()


def test_a_suspicion_cleared_late_gives_the_signer_their_full_week(
    retention, client, django_capture_on_commit_callbacks
):
    now = timezone.now()
    signature = make_signature(state=S.SUSPECTED, created_at=now - 20 * DAY)
    assert staff_email_again(staff.clear_suspected, signature, django_capture_on_commit_callbacks) == 1

    assert retention_service.purge_signatures(now=now + 5 * DAY) == {
        "deleted_pending": 0,
        "deleted_suspected": 0,
        "anonymised": 0,
    }
    assert confirm_with_the_emailed_link(client, signature) == S.CONFIRMED
