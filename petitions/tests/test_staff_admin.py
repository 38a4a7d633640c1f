"""The admin as each staff group sees it: supporter data is guarded, exports are safe and logged."""

import csv
import datetime
import io

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coalition.tests.factories import make_member
from petitions.exports import spreadsheet_safe
from petitions.models import ConsentWording, Petition, Signature, SignatureExport, StaffAction
from petitions.tests.factories import make_consent, make_petition, make_signature
from tests.factories import CONTENT_EDITORS, SUPPORTER_DATA, make_staff_user, sign_in_staff
from translations.testing import admin_form_data

pytestmark = pytest.mark.django_db

S = Signature.State
CHANGELIST = "/admin/petitions/signature/"
BULK = "/admin/petitions/signature/bulk-invalidate/"
EXPORTS = "/admin/petitions/signatureexport/"
SIGNER_NAME = "Hidden Signer"
SIGNER_EMAIL = "hidden.signer@example.org"


@pytest.fixture
def petition():
    return make_petition(title="UN Commission of Inquiry", slug="coi", consent_text=None)


@pytest.fixture
def member():
    return make_member(name="Referring NGO", slug="referring-ngo")


@pytest.fixture
def signature(petition, member):
    return make_signature(
        petition,
        name=SIGNER_NAME,
        email=SIGNER_EMAIL,
        comment="a private comment",
        referrer=member,
        state="confirmed",
    )


@pytest.fixture
def supporter_client(client):
    sign_in_staff(client, make_staff_user(SUPPORTER_DATA))
    return client


@pytest.fixture
def editor_client(client):
    sign_in_staff(client, make_staff_user(CONTENT_EDITORS))
    return client


def run_action(client, action, signatures, **extra):
    data = {"action": action, "_selected_action": [s.pk for s in signatures], **extra}
    return client.post(CHANGELIST, data)


def assert_no_signer_data(response):
    body = (b"".join(response.streaming_content) if response.streaming else response.content).decode()
    for secret in (SIGNER_NAME, SIGNER_EMAIL, "hidden.signer", "a private comment"):
        assert secret not in body, f"{secret!r} leaked"


# --- Supporter data group ----------------------------------------------------------


def test_supporter_sees_signatures_with_names_and_emails(supporter_client, signature):
    response = supporter_client.get(CHANGELIST)
    assert response.status_code == 200
    assert SIGNER_NAME in response.content.decode()
    assert SIGNER_EMAIL in response.content.decode()
    assert "Referring NGO" in response.content.decode()


def test_supporter_filters_by_state_and_searches_by_email(supporter_client, petition):
    make_signature(petition, email="alpha@example.org", state=S.PENDING)
    make_signature(petition, email="beta@example.net", state=S.CONFIRMED)
    body = supporter_client.get(CHANGELIST, {"state__exact": "pending"}).content.decode()
    assert "alpha@example.org" in body and "beta@example.net" not in body
    body = supporter_client.get(CHANGELIST, {"q": "example.net"}).content.decode()
    assert "beta@example.net" in body and "alpha@example.org" not in body
    assert "Search by email address" in body


def test_search_does_not_match_names(supporter_client, petition):
    make_signature(petition, name="Findable Name", email="someone@example.org", state="confirmed")
    body = supporter_client.get(CHANGELIST, {"q": "Findable"}).content.decode()
    assert "someone@example.org" not in body


def test_signature_changelist_query_count_is_pinned(
    supporter_client, petition, member, django_assert_max_num_queries
):
    for _ in range(30):
        make_signature(petition, referrer=member, state="confirmed")
    # One query more than the page itself: the session's second-factor device.
    with django_assert_max_num_queries(10):
        response = supporter_client.get(CHANGELIST)
    assert response.status_code == 200


def test_personal_data_is_read_only_on_the_change_page(supporter_client, signature):
    url = reverse("admin:petitions_signature_change", args=[signature.pk])
    response = supporter_client.get(url)
    assert response.status_code == 200
    assert 'name="email"' not in response.content.decode()
    assert 'name="_save"' not in response.content.decode()
    supporter_client.post(url, {"name": "Changed", "email": "changed@example.org", "state": "invalidated"})
    signature.refresh_from_db()
    assert (signature.name, signature.email, signature.state) == (SIGNER_NAME, SIGNER_EMAIL, S.CONFIRMED)


def test_nobody_adds_or_deletes_signatures_in_the_admin(supporter_client, signature):
    assert supporter_client.get(CHANGELIST + "add/").status_code == 403
    assert (
        supporter_client.get(reverse("admin:petitions_signature_delete", args=[signature.pk])).status_code
        == 403
    )


# --- CSV export --------------------------------------------------------------------


def test_export_streams_csv_defused_against_formulas_and_logs_it(supporter_client, petition):
    attack = make_signature(
        petition, name='=HYPERLINK("http://evil.example","x")', comment="+1 sure", state="confirmed"
    )
    plain = make_signature(petition, name="김 Plain Name", state="confirmed")
    response = run_action(supporter_client, "export_csv", [attack, plain])
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="signatures-')
    content = b"".join(response.streaming_content)
    assert content.startswith("\ufeffid,petition,name,email,".encode())  # BOM: spreadsheets read UTF-8
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    by_id = {int(row["id"]): row for row in rows}
    assert by_id[attack.pk]["name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert by_id[attack.pk]["comment"] == "'+1 sure"
    assert by_id[plain.pk]["name"] == "김 Plain Name"
    assert by_id[plain.pk]["email"] == plain.email
    assert by_id[plain.pk]["petition"] == "coi"
    export = SignatureExport.objects.get()
    assert export.rows == 2
    assert export.user.groups.filter(name=SUPPORTER_DATA).exists()
    assert "2 selected" in export.description


def test_export_of_all_matching_describes_the_filters(supporter_client, petition):
    for _ in range(3):
        make_signature(petition, state=S.CONFIRMED)
    pending = make_signature(petition, state=S.PENDING)
    response = supporter_client.post(
        CHANGELIST + "?state__exact=confirmed",
        {"action": "export_csv", "_selected_action": [pending.pk], "select_across": "1"},
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 1 + 3  # header + the filtered rows, not the selected pending one
    export = SignatureExport.objects.get()
    assert export.rows == 3
    assert "all matching" in export.description and "state__exact=confirmed" in export.description


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Kim = friend", "Kim = friend"),
        ("", ""),
        (None, ""),
        (True, "True"),
    ],
)
def test_spreadsheet_safe(value, expected):
    assert spreadsheet_safe(value) == expected


def test_export_needs_its_own_permission(client, signature):
    user = make_staff_user()
    user.user_permissions.add(Permission.objects.get(codename="view_signature"))
    sign_in_staff(client, user)
    page = client.get(CHANGELIST).content.decode()
    assert "export_csv" not in page
    response = run_action(client, "export_csv", [signature])
    assert not response.streaming
    assert SignatureExport.objects.count() == 0


def test_supporter_reads_the_export_log_but_cannot_add_to_it(supporter_client, signature):
    run_action(supporter_client, "export_csv", [signature])
    response = supporter_client.get(EXPORTS)
    assert response.status_code == 200
    assert "1 selected" in response.content.decode()
    assert supporter_client.get(EXPORTS + "add/").status_code == 403


# --- State actions ---------------------------------------------------------------------


def test_invalidate_action(supporter_client, petition):
    confirmed = make_signature(petition, state="confirmed")
    withdrawn = make_signature(petition, state=S.WITHDRAWN)
    response = run_action(
        supporter_client,
        "invalidate",
        [confirmed, withdrawn],
    )
    assert response.status_code == 302
    confirmed.refresh_from_db()
    withdrawn.refresh_from_db()
    assert (confirmed.state, withdrawn.state) == (S.INVALIDATED, S.WITHDRAWN)
    messages = [str(m) for m in supporter_client.get(CHANGELIST).context["messages"]]
    assert "1 signature(s) invalidated." in messages


def test_clear_suspected_action_sends_confirmation(
    supporter_client, petition, enqueued, django_capture_on_commit_callbacks
):
    suspected = make_signature(petition, state=S.SUSPECTED)
    with django_capture_on_commit_callbacks(execute=True):
        run_action(supporter_client, "clear_suspected", [suspected])
    suspected.refresh_from_db()
    assert suspected.state == S.PENDING
    assert enqueued == [suspected.pk]


def test_resend_confirmation_action_only_for_pending(
    supporter_client, petition, enqueued, django_capture_on_commit_callbacks
):
    pending = make_signature(petition, state=S.PENDING)
    confirmed = make_signature(petition, state="confirmed")
    with django_capture_on_commit_callbacks(execute=True):
        run_action(supporter_client, "resend_confirmation", [pending, confirmed])
    assert enqueued == [pending.pk]


# --- Bulk invalidation view ---------------------------------------------------------------


def test_bulk_invalidation_previews_then_confirms(supporter_client, petition):
    spam = [make_signature(petition, email=f"bot{i}@spam.example", state="confirmed") for i in range(3)]
    human = make_signature(petition, email="human@example.org", state="confirmed")
    assert supporter_client.get(CHANGELIST).content.decode().count(BULK) == 1

    response = supporter_client.post(BULK, {"email_domain": "spam.example", "preview": "1"})
    assert response.status_code == 200
    assert "<strong>3</strong> signature(s) will be invalidated" in response.content.decode()
    assert Signature.objects.filter(state=S.INVALIDATED).count() == 0

    response = supporter_client.post(BULK, {"email_domain": "spam.example", "confirm": "1"})
    assert response.status_code == 302
    assert set(Signature.objects.filter(state=S.INVALIDATED)) == set(spam)
    human.refresh_from_db()
    assert human.state == S.CONFIRMED


def test_bulk_invalidation_by_ip_hash_and_time_range(supporter_client, petition):
    now = timezone.now()
    target = make_signature(
        petition, ip_hash="f" * 64, created_at=now - datetime.timedelta(hours=1), state="confirmed"
    )
    earlier = make_signature(
        petition, ip_hash="f" * 64, created_at=now - datetime.timedelta(days=2), state="confirmed"
    )
    other_ip = make_signature(
        petition, ip_hash="e" * 64, created_at=now - datetime.timedelta(hours=1), state="confirmed"
    )
    # The browser's datetime-local format, in the site's time zone (UTC).
    start = (now - datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = supporter_client.post(
        BULK, {"ip_hash": "f" * 64, "created_from": start, "petition": petition.pk, "confirm": "1"}
    )
    assert response.status_code == 302
    assert [
        s.state for s in Signature.objects.filter(pk__in=[target.pk, earlier.pk, other_ip.pk]).order_by("pk")
    ] == [
        S.INVALIDATED,
        S.CONFIRMED,
        S.CONFIRMED,
    ]


def test_bulk_invalidation_needs_a_criterion(supporter_client, signature):
    response = supporter_client.post(BULK, {"petition": signature.petition_id, "confirm": "1"})
    assert response.status_code == 200
    assert "Give an IP hash, an email domain or a time range." in response.content.decode()
    signature.refresh_from_db()
    assert signature.state == S.CONFIRMED


# --- Content editors: no supporter data anywhere -------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", CHANGELIST),
        ("get", CHANGELIST + "?q=hidden"),
        ("get", "change"),
        ("get", "history"),
        ("get", BULK),
        ("post", BULK),
        ("get", EXPORTS),
    ],
)
def test_content_editor_is_refused_signature_pages(editor_client, signature, method, url):
    if url == "change":
        url = reverse("admin:petitions_signature_change", args=[signature.pk])
    elif url == "history":
        url = reverse("admin:petitions_signature_history", args=[signature.pk])
    data = {"email_domain": "example.org", "confirm": "1"} if method == "post" else None
    response = getattr(editor_client, method)(url, data)
    assert response.status_code == 403
    signature.refresh_from_db()
    assert signature.state == S.CONFIRMED


@pytest.mark.parametrize("action", ["export_csv", "invalidate", "clear_suspected", "resend_confirmation"])
def test_content_editor_cannot_run_signature_actions(editor_client, signature, action):
    response = run_action(editor_client, action, [signature], select_across="1")
    assert response.status_code == 403
    assert SignatureExport.objects.count() == 0
    signature.refresh_from_db()
    assert signature.state == S.CONFIRMED


def test_content_editor_sees_counts_not_signers_on_petition_pages(
    editor_client, petition, signature, django_assert_max_num_queries
):
    make_signature(petition, state=S.PENDING)
    make_petition(consent_text=None)
    # One query more than the page itself: the session's second-factor device.
    with django_assert_max_num_queries(8):
        response = editor_client.get("/admin/petitions/petition/")
    assert response.status_code == 200
    assert_no_signer_data(response)
    assert '<td class="field-confirmed_count">1</td>' in response.content.decode()
    assert '<td class="field-pending_count">1</td>' in response.content.decode()
    response = editor_client.get(reverse("admin:petitions_petition_change", args=[petition.pk]))
    assert response.status_code == 200
    assert_no_signer_data(response)
    assert "confirmed: 1" in response.content.decode()


def test_petition_change_page_counts_confirmed_signatures_by_referrer(editor_client, petition, member):
    make_signature(petition, referrer=member, state="confirmed")
    make_signature(petition, referrer=member, state="confirmed")
    make_signature(petition, referrer=member, state=S.PENDING)
    make_signature(petition, state="confirmed")
    body = editor_client.get(reverse("admin:petitions_petition_change", args=[petition.pk])).content.decode()
    assert "Referring NGO: 2" in body


def test_content_editor_index_does_not_offer_signatures(editor_client, signature):
    body = editor_client.get("/admin/").content.decode()
    assert "/admin/petitions/petition/" in body
    assert CHANGELIST not in body and EXPORTS not in body


def test_no_admin_page_or_search_shows_signers_to_a_content_editor(editor_client, signature, member):
    """A sweep over every registered model admin, so a future admin cannot leak either."""
    for model in admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        # Search terms that match the signer (a full email would only find its own echo).
        for query in ({}, {"q": "hidden"}, {"q": "example.org"}):
            assert_no_signer_data(editor_client.get(changelist, query))
        obj = model._default_manager.first()
        if obj is not None:
            for view in ("change", "history", "delete"):
                url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])
                assert_no_signer_data(editor_client.get(url))
    if "coalition" in {m._meta.app_label for m in admin.site._registry}:
        assert_no_signer_data(editor_client.get(reverse("admin:coalition_member_change", args=[member.pk])))


@pytest.mark.parametrize(
    "params",
    [
        {"app_label": "petitions", "model_name": "signature", "field_name": "referrer"},
        {"app_label": "petitions", "model_name": "signature", "field_name": "petition"},
        {"app_label": "petitions", "model_name": "signature", "field_name": "consent_wording"},
        {"app_label": "petitions", "model_name": "signatureexport", "field_name": "user"},
    ],
)
def test_autocomplete_reveals_no_signers(editor_client, signature, params):
    for term in ("hidden", "example.org", ""):
        response = editor_client.get("/admin/autocomplete/", {**params, "term": term})
        assert response.status_code in (200, 403, 404)
        assert_no_signer_data(response)


# --- Petition admin: consent wording versions ---------------------------------------------------


def petition_post_data(petition, new_text="", existing=()):
    data = {
        "title": petition.title,
        "slug": petition.slug,
        "ask": petition.ask,
        "description": petition.description,
        "addressee": petition.addressee,
        "goal": petition.goal,
        "state": petition.state,
        "opens_at_0": petition.opens_at.strftime("%Y-%m-%d"),
        "opens_at_1": petition.opens_at.strftime("%H:%M:%S"),
        "closes_at_0": "",
        "closes_at_1": "",
        "delivered_on": "",
        "delivered_to": "",
        # The read-only history inline, then the "new wording" inline.
        "consent_wordings-TOTAL_FORMS": len(existing),
        "consent_wordings-INITIAL_FORMS": len(existing),
        "consent_wordings-MIN_NUM_FORMS": 0,
        "consent_wordings-MAX_NUM_FORMS": 1000,
        "consent_wordings-2-TOTAL_FORMS": 1,
        "consent_wordings-2-INITIAL_FORMS": 0,
        "consent_wordings-2-MIN_NUM_FORMS": 0,
        "consent_wordings-2-MAX_NUM_FORMS": 1,
        "consent_wordings-2-0-text": new_text,
    }
    for index, wording in enumerate(existing):
        data[f"consent_wordings-{index}-id"] = wording.pk
        data[f"consent_wordings-{index}-petition"] = petition.pk
        data[f"consent_wordings-{index}-text"] = "tampered"
    return admin_form_data(data, Petition, {"consent_wordings": ConsentWording})


def test_new_consent_wording_gets_next_version_and_old_ones_stay(editor_client, petition):
    first = make_consent(petition, version=1, text="First wording")
    second = make_consent(petition, version=2, text="Second wording")
    url = reverse("admin:petitions_petition_change", args=[petition.pk])
    page = editor_client.get(url).content.decode()
    assert "First wording" in page and 'name="consent_wordings-0-text"' not in page

    data = petition_post_data(petition, new_text="Third wording", existing=[second, first])
    response = editor_client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    versions = dict(ConsentWording.objects.filter(petition=petition).values_list("version", "text"))
    assert versions == {1: "First wording", 2: "Second wording", 3: "Third wording"}


def test_first_consent_wording_of_a_new_petition_is_version_one(editor_client):
    petition = Petition(
        title="New petition", slug="new-petition", ask="Ask.", addressee="UN", goal=10, state="draft"
    )
    petition.opens_at = make_petition(consent_text=None).opens_at
    data = petition_post_data(petition, new_text="We keep your data safe.")
    response = editor_client.post(reverse("admin:petitions_petition_add"), data)
    assert response.status_code == 302
    created = Petition.objects.get(slug="new-petition")
    assert list(created.consent_wordings.values_list("version", "text")) == [(1, "We keep your data safe.")]


def test_petition_change_page_links_to_the_public_page(editor_client, petition):
    body = editor_client.get(reverse("admin:petitions_petition_change", args=[petition.pk])).content.decode()
    assert "View on site" in body


# The staff action log ------------------------------------------------------------


def _log():
    return list(StaffAction.objects.order_by("pk").values_list("action", "rows", "signature_ids"))


def test_export_is_logged_with_its_ids(supporter_client, signature):
    run_action(supporter_client, "export_csv", [signature])
    assert _log() == [("export", 1, [signature.pk])]


def test_viewing_a_signature_is_logged(supporter_client, signature):
    assert supporter_client.get(f"{CHANGELIST}{signature.pk}/change/").status_code == 200
    assert _log() == [("view-signature", 1, [signature.pk])]


def test_a_search_is_logged_with_its_count_not_its_text(supporter_client, petition):
    make_signature(petition, email="findme@example.org")
    make_signature(petition, email="other@example.org")
    supporter_client.get(CHANGELIST, {"q": "findme@example.org"})
    supporter_client.get(CHANGELIST)  # no search: nothing logged
    entry = StaffAction.objects.get()
    assert (entry.action, entry.rows) == ("search", 1)
    assert "findme" not in str(list(StaffAction.objects.values()))


def test_export_log_keeps_no_search_text(supporter_client, signature):
    supporter_client.post(
        f"{CHANGELIST}?q=secret%40example.org",
        {"action": "export_csv", "_selected_action": [signature.pk]},
    )
    description = SignatureExport.objects.get().description
    assert "secret" not in description
    assert "searched" in description


def test_state_changes_are_logged(supporter_client, petition):
    suspected = make_signature(petition, state=S.SUSPECTED)
    pending = make_signature(petition, state=S.PENDING)
    run_action(supporter_client, "clear_suspected", [suspected])
    run_action(supporter_client, "resend_confirmation", [pending])
    run_action(supporter_client, "invalidate", [pending])
    assert _log() == [
        ("clear-suspected", 1, [suspected.pk]),
        ("resend", 1, [pending.pk]),
        ("invalidate", 1, [pending.pk]),
    ]


def test_bulk_invalidation_is_logged_by_criteria_names(supporter_client, petition):
    make_signature(petition, email="a@spam.example")
    supporter_client.post(BULK, {"email_domain": "spam.example", "confirm": "1"})
    entry = StaffAction.objects.get()
    assert (entry.action, entry.rows, entry.detail) == ("bulk-invalidate", 1, "by email_domain")


def test_failed_sign_in_is_logged_against_the_account(client):
    user = make_staff_user(username="gil")
    client.post("/admin/login/", {"username": "gil", "password": "wrong"})
    entry = StaffAction.objects.get()
    assert (entry.action, entry.user) == ("sign-in-failed", user)


def test_only_superusers_read_the_log_and_nobody_edits_it(client, signature):
    entry = StaffAction.objects.create(action="export", rows=1)
    url = f"/admin/petitions/staffaction/{entry.pk}/"
    for user, status in (
        (make_staff_user(SUPPORTER_DATA), 403),
        (make_staff_user(CONTENT_EDITORS), 403),
        (make_staff_user(is_superuser=True), 200),
    ):
        sign_in_staff(client, user)
        assert client.get("/admin/petitions/staffaction/").status_code == status
        assert client.get(f"{url}change/").status_code == status
        assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    assert StaffAction.objects.filter(pk=entry.pk).exists()


def test_purge_prunes_the_staff_log_after_its_retention(settings, capsys):
    settings.STAFF_LOG_RETENTION_DAYS = 730
    old = StaffAction.objects.create(action="export")
    StaffAction.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=731))
    recent = StaffAction.objects.create(action="export")
    call_command("purge_signatures")
    assert list(StaffAction.objects.values_list("pk", flat=True)) == [recent.pk]
    assert "Deleted 1 staff log entry older than 730 days and 0 finished task" in capsys.readouterr().out


def test_supporter_data_hides_a_name_from_the_public_list_in_one_logged_action(supporter_client, client):
    petition = make_petition(consent_text=None)
    shown = make_signature(petition, name="Hostile Slogan Name", show_name=True, state="confirmed")
    assert "Hostile Slogan Name" in Client().get(petition.get_absolute_url()).content.decode()

    response = run_action(supporter_client, "hide_name", [shown])
    assert response.status_code == 302
    shown.refresh_from_db()
    assert shown.show_name is False and shown.state == Signature.State.CONFIRMED
    assert "Hostile Slogan Name" not in Client().get(petition.get_absolute_url()).content.decode()
    assert Client().get(f"/api/v1/petitions/{petition.slug}/").json()["total_signatures"] == 1
    (entry,) = StaffAction.objects.filter(action=StaffAction.Action.HIDE_NAME)
    assert entry.signature_ids == [shown.pk]


def test_content_editors_cannot_hide_names(editor_client):
    signature = make_signature(make_petition(consent_text=None), show_name=True, state="confirmed")
    response = run_action(editor_client, "hide_name", [signature])
    assert response.status_code == 403
    signature.refresh_from_db()
    assert signature.show_name is True
