"""Erasure that reaches everywhere: withdrawal in every state, erasure by email, no address left behind."""

import datetime
import logging
import smtplib

import pytest
from django.contrib import admin
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from petitions.admin.petitions import PetitionAdmin
from petitions.models import Petition, Signature, StaffAction
from petitions.services import retention
from petitions.services.tokens import make_token
from petitions.tasks import scrub_mail_error, send_confirmation
from petitions.tests.factories import make_petition, make_signature
from tests.factories import CONTENT_EDITORS, SUPPORTER_DATA, make_staff_user, sign_in_staff

S = Signature.State
ERASE = "/admin/petitions/signature/erase-supporter/"
ADDRESS = "jane.doe@example.org"
DAY = datetime.timedelta(days=1)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("state", [S.INVALIDATED, S.SUSPECTED])
def test_withdrawal_erases_invalidated_and_suspected_signatures_too(client, state):
    signature = make_signature(state=state, comment="mine")
    token = make_token(signature=signature, purpose="withdraw")
    url = f"/en/petitions/{signature.petition.slug}/withdraw/{token}/"
    assert client.get(url).status_code == 200

    assert client.post(url).status_code == 303

    signature.refresh_from_db()
    assert signature.state == S.WITHDRAWN
    assert (signature.name, signature.email, signature.comment, signature.ip_hash) == ("", "", "", "")


@pytest.fixture
def supporter_client(client):
    sign_in_staff(client, make_staff_user(SUPPORTER_DATA))
    return client


def test_staff_erase_a_supporter_by_email_after_a_confirmation_step(supporter_client):
    petition = make_petition()
    mine = [
        make_signature(petition, email=ADDRESS, state=S.CONFIRMED, comment="a comment"),
        make_signature(make_petition(), email="Jane.Doe@Example.org", state=S.PENDING),
    ]
    other = make_signature(petition, state=S.CONFIRMED)

    preview = supporter_client.post(ERASE, {"email": ADDRESS})
    assert preview.status_code == 200
    assert b"<strong>2</strong> signature(s) match" in preview.content
    assert Signature.objects.filter(email__iexact=ADDRESS).count() == 2  # nothing changed yet

    response = supporter_client.post(ERASE, {"email": ADDRESS, "confirm": "1"})

    assert response.status_code == 302
    for signature, state in zip(mine, (S.CONFIRMED, S.PENDING), strict=True):
        signature.refresh_from_db()
        assert signature.state == state  # counts kept
        assert (signature.name, signature.email, signature.comment, signature.ip_hash) == ("", "", "", "")
        assert signature.email_normalised == f"erased-{signature.pk}"
    other.refresh_from_db()
    assert other.email
    entry = StaffAction.objects.get(action="erase")
    assert (entry.rows, entry.signature_ids) == (2, sorted(s.pk for s in mine))
    assert ADDRESS not in str(list(StaffAction.objects.values()))


def test_content_editors_cannot_erase(client):
    sign_in_staff(client, make_staff_user(CONTENT_EDITORS))
    make_signature(email=ADDRESS)
    assert client.post(ERASE, {"email": ADDRESS, "confirm": "1"}).status_code == 403
    assert Signature.objects.get().email == ADDRESS


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses the recipient, echoing the address as real servers do."""

    def send_messages(self, email_messages):
        recipient = email_messages[0].to[0]
        raise smtplib.SMTPRecipientsRefused({recipient: (550, f"5.1.1 <{recipient}>: unknown".encode())})


def test_a_refused_recipient_leaves_no_address_in_the_log_or_the_task_result(settings, caplog):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}
    signature = make_signature(email=ADDRESS)
    with caplog.at_level(logging.WARNING):
        result = send_confirmation.enqueue(signature.pk)
    assert result.status == "FAILED"
    assert "SMTPRecipientsRefused" in caplog.text and "550" in caplog.text
    assert ADDRESS not in caplog.text
    assert ADDRESS not in str(result.errors[0].traceback)


def test_scrub_mail_error_keeps_the_class_and_code():
    error = smtplib.SMTPDataError(554, b"rejected for jane@example.org")
    assert scrub_mail_error(error) == "SMTPDataError (SMTP 554)"
    assert "jane" not in repr(error)


def test_finished_task_results_are_pruned_after_their_retention(settings):
    settings.TASK_RESULT_RETENTION_DAYS = 14
    old = DBTaskResult.objects.create(
        status="SUCCESSFUL", task_path="x", args_kwargs={}, finished_at=timezone.now() - 15 * DAY
    )
    recent = DBTaskResult.objects.create(
        status="FAILED", task_path="x", args_kwargs={}, finished_at=timezone.now() - 13 * DAY
    )
    waiting = DBTaskResult.objects.create(status="READY", task_path="x", args_kwargs={})
    call_command("purge_signatures")
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert not DBTaskResult.objects.filter(pk=old.pk).exists()


def test_a_petition_closed_without_a_date_is_anonymised_the_period_after_staff_closed_it(settings):
    petition = make_petition(closes_at=None)
    signature = make_signature(petition, state=S.CONFIRMED)
    petition.state = Petition.State.CLOSED
    PetitionAdmin(Petition, admin.site).save_model(None, petition, None, True)  # staff close it
    petition.refresh_from_db()
    assert petition.closed_at is not None
    days = settings.PETITION_CLOSED_RETENTION_DAYS

    assert retention.purge_signatures(now=petition.closed_at + (days - 1) * DAY)["anonymised"] == 0
    assert retention.purge_signatures(now=petition.closed_at + (days + 1) * DAY)["anonymised"] == 1
    signature.refresh_from_db()
    assert signature.email == "" and signature.state == S.CONFIRMED


def test_reopening_a_petition_forgets_when_it_closed():
    petition = make_petition(closes_at=None)
    petition.state = Petition.State.CLOSED
    PetitionAdmin(Petition, admin.site).save_model(None, petition, None, True)
    petition.state = Petition.State.OPEN
    PetitionAdmin(Petition, admin.site).save_model(None, petition, None, True)
    petition.refresh_from_db()
    assert petition.closed_at is None
