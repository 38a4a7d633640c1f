"""The figures' tally always equals a COUNT over the confirmed signatures, whatever happened to them."""

import datetime
import zoneinfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count, Sum
from django.utils import timezone

from coalition.tests.factories import make_member
from petitions.models import Signature, SignatureTally, TallyChange
from petitions.services import confirming, signing, staff, tally
from petitions.tests.factories import make_petition, make_signature
from tests.factories import CONTENT_EDITORS, make_staff_user, sign_in_staff

pytestmark = pytest.mark.django_db

S = Signature.State


@pytest.fixture(autouse=True)
def fold_on_every_read(settings):
    settings.PETITION_COUNT_MAX_AGE = 0
    settings.PETITION_RATE_LIMITS = False


def site_day(moment):
    return moment.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()


def counted_from_signatures():
    """``{(petition, day, country, member or 0): n}`` counted over the confirmed signatures."""
    out = {}
    for petition_id, at, country, referrer_id in Signature.objects.filter(state=S.CONFIRMED).values_list(
        "petition_id", "confirmed_at", "country", "referrer_id"
    ):
        key = (petition_id, site_day(at), country, referrer_id or 0)
        out[key] = out.get(key, 0) + 1
    return out


def counted_in_tally():
    tally.fold_changes()
    out = {}
    rows = SignatureTally.objects.values_list(
        "petition_id", "period_start", "country", "referrer_pk"
    ).annotate(n=Sum("signatures"))
    for petition_id, start, country, referrer_pk, n in rows:
        key = (petition_id, site_day(start), country, referrer_pk)
        out[key] = out.get(key, 0) + n
    return {key: n for key, n in out.items() if n}


def assert_tally_matches():
    assert counted_in_tally() == counted_from_signatures()


def sign(petition, email, *, country="KR", referrer=None):
    signing.sign_petition(
        petition=petition,
        name="A Signer",
        email=email,
        country=country,
        comment="",
        show_name=False,
        keep_informed=False,
        ip_hash="",
        referrer=referrer,
        consent_wording=petition.consent_wordings.first(),
    )
    return Signature.objects.get(petition=petition, email_normalised=email)


def test_tally_follows_sign_confirm_withdraw_invalidate_and_erase(enqueued):
    petition = make_petition()
    member = make_member()
    signatures = [
        sign(
            petition,
            f"s{n}@example.org",
            country=["KR", "JP", "FR"][n % 3],
            referrer=member if n % 2 else None,
        )
        for n in range(9)
    ]
    assert_tally_matches()  # pending ones are not counted: nothing yet
    assert counted_in_tally() == {}
    for signature in signatures:
        assert confirming.confirm_signature(signature_id=signature.pk)
    assert not confirming.confirm_signature(signature_id=signatures[0].pk)  # a double click counts once
    assert_tally_matches()
    assert sum(counted_in_tally().values()) == 9

    confirming.withdraw_signature(signature_id=signatures[0].pk)
    confirming.withdraw_signature(signature_id=signatures[0].pk)  # twice: counts once
    assert_tally_matches()
    staff.invalidate_signatures(queryset=Signature.objects.filter(pk__in=[s.pk for s in signatures[1:3]]))
    assert_tally_matches()
    staff.erase_supporter(email="s4@example.org")  # keeps state, country and member: still counted
    assert_tally_matches()
    # A withdrawn invalidated one never counts twice as leaving.
    confirming.withdraw_signature(signature_id=signatures[1].pk)
    assert_tally_matches()
    assert sum(counted_in_tally().values()) == 6


def test_confirmation_page_country_change_is_counted_under_the_new_country():
    petition = make_petition()
    signature = make_signature(petition, country="KR")
    confirming.confirm_signature(signature_id=signature.pk, details={"country": "JP"})
    assert_tally_matches()
    assert {key[2] for key in counted_in_tally()} == {"JP"}


def test_withdrawing_a_pending_or_suspected_signature_changes_nothing():
    petition = make_petition()
    for state in (S.PENDING, S.SUSPECTED):
        confirming.withdraw_signature(signature_id=make_signature(petition, state=state).pk)
    assert TallyChange.objects.count() == 0
    assert_tally_matches()


def test_first_days_are_counted_by_the_hour_then_by_the_day():
    opens = timezone.now() - datetime.timedelta(days=10)
    petition = make_petition(opens_at=opens)
    early = opens + datetime.timedelta(hours=5, minutes=20)
    late = opens + datetime.timedelta(days=tally.HOURLY_DAYS, hours=2)
    make_signature(petition, state=S.CONFIRMED, confirmed_at=early)
    make_signature(petition, state=S.CONFIRMED, confirmed_at=early + datetime.timedelta(minutes=10))
    make_signature(petition, state=S.CONFIRMED, confirmed_at=late)
    tally.fold_changes()
    rows = sorted(SignatureTally.objects.values_list("period_start", "hours", "signatures"))
    assert rows == [
        (early.replace(minute=0, second=0, microsecond=0), 1, 2),
        (late.replace(hour=0, minute=0, second=0, microsecond=0), 24, 1),
    ]


def test_rebuild_recounts_the_same_tally_from_existing_rows(enqueued):
    petition = make_petition(opens_at=timezone.now() - datetime.timedelta(days=5))
    member = make_member()
    for n in range(6):
        signature = sign(petition, f"r{n}@example.org", country=["KR", "", "US"][n % 3], referrer=member)
        confirming.confirm_signature(signature_id=signature.pk)
    confirming.withdraw_signature(signature_id=signature.pk)
    # Rows confirmed behind the tally's back (a bulk load): only the rebuild knows them.
    Signature.objects.filter(email_normalised="r0@example.org").update(referrer=None)
    make_signature(petition, state=S.CONFIRMED, confirmed_at=timezone.now() - datetime.timedelta(days=4))
    TallyChange.objects.all().delete()
    assert counted_in_tally() != counted_from_signatures()

    call_command("rebuild_signature_tally", "--petition", petition.slug, stdout=open("/dev/null", "w"))

    assert TallyChange.objects.count() == 0
    assert_tally_matches()
    folded_hours = set(SignatureTally.objects.values_list("hours", flat=True))
    assert folded_hours == {1, 24}  # the rebuild buckets as the fold does


def test_rebuild_gives_the_same_rows_as_the_fold(enqueued):
    petition = make_petition(opens_at=timezone.now() - datetime.timedelta(days=1))
    for n in range(5):
        confirming.confirm_signature(signature_id=sign(petition, f"f{n}@example.org", country="GB").pk)
    tally.fold_changes()
    folded = set(SignatureTally.objects.values_list("period_start", "hours", "country", "signatures"))
    tally.rebuild_tally()
    assert set(SignatureTally.objects.values_list("period_start", "hours", "country", "signatures")) == folded


def test_deleting_a_member_in_the_admin_moves_its_figures_to_no_member(client):
    sign_in_staff(client, make_staff_user(CONTENT_EDITORS))
    petition = make_petition()
    member = make_member()
    make_signature(petition, state=S.CONFIRMED, referrer=member)
    tally.fold_changes()
    response = client.post(f"/admin/coalition/member/{member.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert_tally_matches()
    assert set(SignatureTally.objects.values_list("referrer_pk", flat=True)) == {0}


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_and_folds_count_each_signature_once(postgresql, at_once):
    petition = make_petition()
    signatures = [make_signature(petition, country="KR") for _ in range(24)]

    def work(n):
        confirming.confirm_signature(signature_id=signatures[n].pk)
        confirming.confirm_signature(signature_id=signatures[n].pk)
        tally.fold_changes()

    assert at_once(24, work) == []
    assert_tally_matches()
    assert sum(counted_in_tally().values()) == 24
    assert Signature.objects.filter(state=S.CONFIRMED).aggregate(n=Count("pk"))["n"] == 24
