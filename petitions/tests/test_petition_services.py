"""The petition's rules, called through its services."""

import pytest
from django.core import mail
from django.core import signing as django_signing
from django.db import connection
from django.test import RequestFactory, TestCase
from django.utils import timezone

from coalition.tests.factories import make_member
from petitions.models import Signature
from petitions.services import addresses, confirming, counting, signing, storing, tokens
from petitions.tests.factories import make_petition, make_signature

pytestmark = [pytest.mark.django_db]


def sign(petition, **overrides):
    fields = {
        "petition": petition,
        "name": "Kim Min-ji",
        "email": "min-ji@example.org",
        "country": "KR",
        "comment": "",
        "show_name": False,
        "keep_informed": False,
        "ip_hash": addresses.hash_ip(ip="192.0.2.1"),
        "referrer": None,
    }
    fields.update(overrides)
    # Run the on-commit callbacks (the email) as a real commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return signing.sign_petition(**fields)


# Normalising emails ---------------------------------------------------------

# Every character of "minji@example.org" in its full-width form (U+FF01 to U+FF5E).
FULLWIDTH_EMAIL = "".join(chr(ord(char) + 0xFEE0) for char in "minji@example.org")


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("Min-Ji@Example.ORG", "min-ji@example.org"),
        ("  min-ji@example.org ", "min-ji@example.org"),
        (FULLWIDTH_EMAIL, "minji@example.org"),  # full-width forms (NFKC)
        ("Straße@example.org", "strasse@example.org"),  # case-folding, not just lower()
        ("Min.Ji@gmail.com", "minji@gmail.com"),
        ("m.i.n.j.i+petition@gmail.com", "minji@gmail.com"),
        ("Min.Ji+news@GoogleMail.com", "minji@gmail.com"),
        ("min.ji@example.org", "min.ji@example.org"),  # other providers keep dots
        ("min.ji+news@example.org", "min.ji+news@example.org"),  # …and tags
    ],
)
def test_normalise_email(typed, normalised):
    assert addresses.normalise_email(email=typed) == normalised


def test_gmail_variants_of_one_address_make_one_signature():
    petition = make_petition()
    sign(petition, email="Min.Ji@gmail.com")
    sign(petition, email="minji+again@googlemail.com")
    assert Signature.objects.filter(petition=petition).count() == 1


# IP addresses -----------------------------------------------------------------


def test_ip_hash_is_keyed_and_never_the_raw_address(settings):
    first = addresses.hash_ip(ip="192.0.2.1")
    assert len(first) == 64 and "192" not in first
    settings.IP_HASH_KEY = "another-key"
    assert addresses.hash_ip(ip="192.0.2.1") != first


def test_x_forwarded_for_is_ignored_without_a_proxy_count(settings):
    settings.PROXY_COUNT = 0
    meta = RequestFactory(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9").get("/en/").META
    assert addresses.client_ip(meta=meta) == "10.0.0.5"


def test_x_forwarded_for_entry_appended_by_the_trusted_proxy_is_used(settings):
    settings.PROXY_COUNT = 1
    # The client wrote a fake first entry; our proxy appended the real address.
    meta = (
        RequestFactory(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9").get("/en/").META
    )
    assert addresses.client_ip(meta=meta) == "203.0.113.9"
    settings.PROXY_COUNT = 2
    assert addresses.client_ip(meta=meta) == "1.2.3.4"


def test_malformed_x_forwarded_for_falls_back_to_remote_addr(settings):
    settings.PROXY_COUNT = 1
    meta = RequestFactory(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="<script>").get("/en/").META
    assert addresses.client_ip(meta=meta) == "10.0.0.5"


# Signing ------------------------------------------------------------------------


def test_signing_stores_a_pending_signature_with_the_latest_consent_and_sends_the_email():
    petition = make_petition()
    latest = petition.consent_wordings.create(version=2, text="Second wording.")
    member = make_member()
    signature = sign(petition, email="Min.Ji@Example.org", referrer=member)
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING
    assert signature.email == "Min.Ji@Example.org"
    assert signature.email_normalised == "min.ji@example.org"
    assert signature.consent_wording == latest
    assert signature.referrer == member
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["Min.Ji@Example.org"]


def test_second_signature_with_same_email_creates_no_row_takes_its_details_and_resends_while_pending():
    petition = make_petition()
    first = sign(petition, email="min-ji@example.org")
    second = sign(petition, email="MIN-JI@example.org", name="Someone else")
    assert second.pk == first.pk
    assert Signature.objects.count() == 1
    assert Signature.objects.get().name == "Someone else"
    assert len(mail.outbox) == 2


def test_the_owner_signing_after_a_suspected_submission_of_their_address_gets_the_email():
    petition = make_petition()
    sign(petition, email="min-ji@example.org", name="Planted", comment="Not mine", suspicious=True)
    assert Signature.objects.get().state == Signature.State.SUSPECTED
    assert mail.outbox == []

    sign(petition, email="min-ji@example.org", name="Kim Min-ji", comment="", show_name=True, country="KR")

    signature = Signature.objects.get()
    assert signature.state == Signature.State.PENDING
    assert (signature.name, signature.comment, signature.show_name) == ("Kim Min-ji", "", True)
    (message,) = mail.outbox
    assert message.to == ["min-ji@example.org"]


def test_a_suspicious_later_submission_changes_nothing():
    petition = make_petition()
    sign(petition, email="min-ji@example.org", name="Kim Min-ji")
    sign(petition, email="min-ji@example.org", name="Planted", suspicious=True)
    assert Signature.objects.get().name == "Kim Min-ji"
    assert len(mail.outbox) == 1


def test_a_confirmed_signature_is_never_changed_by_a_later_submission():
    petition = make_petition()
    first = sign(petition, email="min-ji@example.org", name="Kim Min-ji")
    confirming.confirm_signature(signature_id=first.pk)
    sign(petition, email="min-ji@example.org", name="Planted", show_name=True)
    signature = Signature.objects.get()
    assert (signature.state, signature.name, signature.show_name) == ("confirmed", "Kim Min-ji", False)
    assert len(mail.outbox) == 1


def test_a_flood_from_one_client_stores_nothing_past_ten_times_the_burst(settings):
    settings.PETITION_RATE_BURST = 2
    petition = make_petition()
    for n in range(20):
        sign(petition, email=f"s{n}@example.org", ip_hash="f" * 64)
    with pytest.raises(signing.TooManySubmissions):
        sign(petition, email="one-more@example.org", ip_hash="f" * 64)
    assert Signature.objects.count() == 20
    assert not Signature.objects.filter(email="one-more@example.org").exists()


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", True),
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
        ("::ffff:192.0.2.7", "192.0.2.7", True),
        ("192.0.2.7", "192.0.2.8", False),
        ("", "not an address", True),
    ],
)
def test_clients_are_counted_per_ipv4_address_per_ipv6_64_and_unknown_ones_together(first, second, same):
    assert (addresses.hash_ip(ip=first) == addresses.hash_ip(ip=second)) is same


def test_a_client_without_a_readable_address_is_rate_limited_too(settings):
    settings.PETITION_RATE_BURST = 1
    petition = make_petition()
    unknown = addresses.hash_ip(ip="")
    sign(petition, email="a@example.org", ip_hash=unknown)
    sign(petition, email="b@example.org", ip_hash=addresses.hash_ip(ip="garbage"))
    assert list(Signature.objects.order_by("created_at").values_list("state", flat=True)) == [
        "pending",
        "suspected",
    ]


def test_resending_to_a_pending_signer_is_limited_by_the_cooldown(settings):
    settings.PETITION_RESEND_COOLDOWN = 300
    petition = make_petition()
    for _ in range(4):
        sign(petition)
    assert len(mail.outbox) == 2  # the first email and one resend


def test_second_signature_after_confirmation_sends_nothing():
    petition = make_petition()
    first = sign(petition)
    confirming.confirm_signature(signature_id=first.pk)
    sign(petition)
    assert len(mail.outbox) == 1
    assert Signature.objects.get().state == Signature.State.CONFIRMED


def test_same_email_may_sign_different_petitions():
    sign(make_petition())
    sign(make_petition())
    assert Signature.objects.count() == 2


def test_suspicious_submission_is_stored_as_suspected_without_email():
    petition = make_petition()
    signature = sign(petition, suspicious=True)
    assert signature.state == Signature.State.SUSPECTED
    assert mail.outbox == []


def test_burst_rate_limit_marks_further_signatures_suspected(settings):
    settings.PETITION_RATE_BURST = 2
    petition = make_petition()
    states = [sign(petition, email=f"s{n}@example.org").state for n in range(4)]
    assert states == ["pending", "pending", "suspected", "suspected"]
    assert len(mail.outbox) == 2
    # Another address is not held back by this one.
    assert (
        sign(petition, email="other@example.org", ip_hash=addresses.hash_ip(ip="192.0.2.2")).state
        == "pending"
    )


def test_sustained_rate_limit_marks_further_signatures_suspected(settings):
    settings.PETITION_RATE_BURST = 100
    settings.PETITION_RATE_SUSTAINED = 3
    petition = make_petition()
    states = [sign(petition, email=f"s{n}@example.org").state for n in range(4)]
    assert states == ["pending", "pending", "pending", "suspected"]


def test_rate_limits_can_be_switched_off(settings):
    settings.PETITION_RATE_LIMITS = False
    settings.PETITION_RATE_BURST = 1
    petition = make_petition()
    states = {sign(petition, email=f"s{n}@example.org").state for n in range(3)}
    assert states == {"pending"}


# Confirming and withdrawing --------------------------------------------------


def test_confirming_twice_counts_once(settings):
    settings.PETITION_COUNT_MAX_AGE = 0
    petition = make_petition()
    signature = sign(petition)
    assert confirming.confirm_signature(signature_id=signature.pk) is True
    assert confirming.confirm_signature(signature_id=signature.pk) is False
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED
    assert signature.confirmed_at is not None
    assert counting.get_signature_count(petition=petition) == 1


def test_suspected_signature_cannot_be_confirmed():
    petition = make_petition()
    signature = sign(petition, suspicious=True)
    assert confirming.confirm_signature(signature_id=signature.pk) is False
    assert Signature.objects.get().state == Signature.State.SUSPECTED


def test_withdrawing_erases_personal_data_and_lowers_the_count(settings):
    settings.PETITION_COUNT_MAX_AGE = 0
    petition = make_petition()
    signature = sign(petition, show_name=True, keep_informed=True, comment="For my family.")
    confirming.confirm_signature(signature_id=signature.pk)
    assert counting.get_signature_count(petition=petition) == 1
    assert confirming.withdraw_signature(signature_id=signature.pk) is True
    signature.refresh_from_db()
    assert signature.state == Signature.State.WITHDRAWN
    assert signature.withdrawn_at is not None
    assert (
        signature.name,
        signature.email,
        signature.comment,
        signature.ip_hash,
        str(signature.country),
    ) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert signature.email_normalised == f"withdrawn-{signature.pk}"
    assert not signature.show_name and not signature.keep_informed
    assert counting.get_signature_count(petition=petition) == 0


def test_after_withdrawing_the_same_person_may_sign_again():
    petition = make_petition()
    first = sign(petition)
    confirming.withdraw_signature(signature_id=first.pk)
    second = sign(petition)
    assert second.pk != first.pk
    assert second.state == Signature.State.PENDING


def test_invalidated_signature_cannot_be_confirmed_but_can_be_withdrawn():
    petition = make_petition()
    signature = make_signature(petition, state=Signature.State.INVALIDATED)
    assert confirming.confirm_signature(signature_id=signature.pk) is False
    assert confirming.withdraw_signature(signature_id=signature.pk) is True
    signature.refresh_from_db()
    assert signature.state == Signature.State.WITHDRAWN and not signature.name


# Tokens ---------------------------------------------------------------------------


def test_token_names_its_signature_and_petition():
    petition = make_petition()
    signature = make_signature(petition)
    token = tokens.make_token(signature=signature, purpose="confirm")
    assert tokens.read_token(token=token, purpose="confirm") == (signature.pk, petition.pk)


def test_confirm_token_is_not_a_withdraw_token():
    signature = make_signature(make_petition())
    with pytest.raises(django_signing.BadSignature):
        tokens.read_token(token=tokens.make_token(signature=signature, purpose="confirm"), purpose="withdraw")
    with pytest.raises(django_signing.BadSignature):
        tokens.read_token(token=tokens.make_token(signature=signature, purpose="withdraw"), purpose="confirm")


def test_confirm_token_expires_but_withdraw_token_does_not(monkeypatch, settings):
    settings.PETITION_CONFIRM_MAX_AGE_DAYS = 7
    signature = make_signature(make_petition())
    eight_days_ago = django_signing.time.time() - 8 * 86400
    monkeypatch.setattr(django_signing.time, "time", lambda: eight_days_ago)
    confirm = tokens.make_token(signature=signature, purpose="confirm")
    withdraw = tokens.make_token(signature=signature, purpose="withdraw")
    monkeypatch.undo()
    with pytest.raises(django_signing.SignatureExpired):
        tokens.read_token(token=confirm, purpose="confirm")
    assert tokens.read_token(token=withdraw, purpose="withdraw") == (signature.pk, signature.petition_id)


def test_tampered_token_is_refused():
    signature = make_signature(make_petition())
    token = tokens.make_token(signature=signature, purpose="confirm")
    forged = django_signing.dumps({"s": signature.pk + 1, "p": signature.petition_id}, salt="wrong-salt")
    for bad in (token[:-2] + "xx", forged, "", "not-a-token"):
        with pytest.raises(django_signing.BadSignature):
            tokens.read_token(token=bad, purpose="confirm")


# Counting --------------------------------------------------------------------------


def test_count_includes_only_confirmed_signatures(settings):
    settings.PETITION_COUNT_MAX_AGE = 0
    petition = make_petition()
    for state in Signature.State.values:
        make_signature(petition, state=state)
    make_signature(make_petition(), state=Signature.State.CONFIRMED)  # another petition
    assert counting.get_signature_count(petition=petition) == 1


def test_count_is_served_from_the_cache_within_the_window(settings, django_assert_num_queries):
    settings.PETITION_COUNT_MAX_AGE = 60
    petition = make_petition()
    make_signature(petition, state=Signature.State.CONFIRMED)
    assert counting.get_signature_count(petition=petition) == 1
    make_signature(petition, state=Signature.State.CONFIRMED)
    with django_assert_num_queries(0):
        assert counting.get_signature_count(petition=petition) == 1


def test_count_converges_once_the_window_has_passed(settings, monkeypatch):
    settings.PETITION_COUNT_MAX_AGE = 10
    petition = make_petition()
    make_signature(petition, state=Signature.State.CONFIRMED)
    assert counting.get_signature_count(petition=petition) == 1
    make_signature(petition, state=Signature.State.CONFIRMED)
    later = counting.time.time() + 11
    monkeypatch.setattr(counting.time, "time", lambda: later)
    assert counting.get_signature_count(petition=petition) == 2


def test_stale_count_is_served_while_another_request_recounts(
    settings, monkeypatch, django_assert_num_queries
):
    settings.PETITION_COUNT_MAX_AGE = 10
    petition = make_petition()
    assert counting.get_signature_count(petition=petition) == 0
    make_signature(petition, state=Signature.State.CONFIRMED)
    later = counting.time.time() + 11
    monkeypatch.setattr(counting.time, "time", lambda: later)
    # Another process holds the recount lock.
    counting.cache.add(f"petition:count:{petition.pk}:lock", 1, timeout=30)
    with django_assert_num_queries(0):
        assert counting.get_signature_count(petition=petition) == 0
    counting.cache.delete(f"petition:count:{petition.pk}:lock")
    assert counting.get_signature_count(petition=petition) == 1


# Concurrency (PostgreSQL) -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_signatures_with_one_email_store_exactly_one(postgresql, at_once):
    petition = make_petition()
    results = []

    def submit(n):
        signature = sign(petition, email=f"Min.Ji+{n}@GMAIL.com", name=f"Attempt {n}")
        results.append(signature.pk)

    assert at_once(20, submit) == []
    assert len(results) == 20
    assert Signature.objects.filter(petition=petition).count() == 1
    assert set(results) == {Signature.objects.get().pk}


def test_confirming_records_when_as_an_aware_time():
    petition = make_petition()
    signature = make_signature(petition)
    before = timezone.now()

    assert confirming.confirm_signature(signature_id=signature.pk, petition_id=petition.pk)

    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED
    assert before <= signature.confirmed_at <= timezone.now()


def test_confirming_checks_the_petition_when_given_one():
    petition = make_petition()
    signature = make_signature(petition)
    other = make_petition()

    assert not confirming.confirm_signature(signature_id=signature.pk, petition_id=other.pk)
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ids are taken in blocks on PostgreSQL only")
def test_a_forked_process_never_reuses_its_parents_block_of_ids(monkeypatch):
    with connection.cursor() as cursor:
        storing._next_signature_id(cursor)
        parents_left = set(storing._signature_ids["ids"])
        monkeypatch.setattr(storing.os, "getpid", lambda: -1)  # as in a gunicorn worker forked after
        childs = [storing._next_signature_id(cursor) for _ in range(storing.SIGNATURE_ID_BLOCK)]

    assert parents_left and not parents_left & set(childs)
    assert len(set(childs)) == len(childs)
