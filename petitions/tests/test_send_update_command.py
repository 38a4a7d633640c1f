"""manage.py send_update: the admin's sending, for operators."""

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from petitions.models import Update
from petitions.tests.factories import make_petition, make_subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def body_file(tmp_path):
    path = tmp_path / "body.txt"
    path.write_text("The Council *answered*.\n\nThank you.", encoding="utf-8")
    return path


def test_dry_run_prints_the_reach_and_sends_nothing(body_file, capsys):
    petition = make_petition(slug="coi")
    make_subscriber(petition)
    call_command("send_update", petition="coi", subject="News", body_file=body_file, dry_run=True)
    assert "It would reach 1 supporter(s)" in capsys.readouterr().out
    assert not Update.objects.exists() and mail.outbox == []


def test_the_command_sends_through_the_same_path(body_file, capsys, django_capture_on_commit_callbacks):
    petition = make_petition(slug="coi")
    make_subscriber(petition)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_update", petition="coi", subject="News", body_file=body_file, language="en")
    (message,) = mail.outbox
    assert message.subject == "News" and "List-Unsubscribe" in message.extra_headers
    assert Update.objects.get().deliveries.get().state == "sent"


@pytest.mark.parametrize(
    ("options", "error"),
    [({"petition": "nope"}, "No published petition"), ({"language": "xx"}, "Unknown language")],
)
def test_the_command_refuses_bad_arguments(body_file, options, error):
    make_petition(slug="coi")
    arguments = {"petition": "coi", "subject": "News", "body_file": body_file, "dry_run": True, **options}
    with pytest.raises(CommandError, match=error):
        call_command("send_update", **arguments)


def test_dry_run_prints_the_reach_per_language(body_file, capsys):
    petition = make_petition(slug="coi")
    make_subscriber(petition, language="ko")
    make_subscriber(petition, language="ko")
    make_subscriber(petition, language="fr")
    call_command("send_update", petition="coi", subject="News", body_file=body_file, dry_run=True)
    assert "It would reach 3 supporter(s) (fr: 1, ko: 2)" in capsys.readouterr().out


def test_an_update_in_korean_reaches_only_those_who_signed_in_korean(
    body_file, capsys, django_capture_on_commit_callbacks
):
    petition = make_petition(slug="coi")
    make_subscriber(petition, email="ko@example.org", language="ko")
    make_subscriber(petition, email="en@example.org", language="en")
    body_file.write_text("이사회가 *답했습니다*.", encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_update", petition="coi", subject="새 소식", body_file=body_file, language="ko")
    (message,) = mail.outbox
    assert message.to == ["ko@example.org"] and message.subject == "새 소식"
    update = Update.objects.get()
    assert (update.subject_ko, update.subject_en) == ("새 소식", None)
    assert "queued for 1 supporter(s) (ko: 1)" in capsys.readouterr().out
