"""The updates admin: only staff with petitions.send_update write, preview, test and send."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from petitions.models import Update
from petitions.tests.factories import make_subscriber, make_update
from tests.factories import CONTENT_EDITORS, SUPPORTER_DATA, make_staff_user, sign_in_staff
from translations.testing import admin_form_data

pytestmark = pytest.mark.django_db


def make_update_sender():
    user = make_staff_user(email="sender@campaign.example.org")
    user.user_permissions.add(Permission.objects.get(codename="send_update"))
    return user


@pytest.fixture
def sender_client(client):
    sign_in_staff(client, make_update_sender())
    return client


def send_url(update):
    return reverse("admin:petitions_update_send", args=[update.pk])


def test_a_sender_sees_the_reach_and_both_emails(sender_client):
    update = make_update()
    make_subscriber(update.petition)
    make_subscriber(update.petition)
    response = sender_client.get(send_url(update))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<strong>2</strong> supporter(s)" in content
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in content
    assert "<em>answered</em>" in content  # the HTML preview
    assert "on our site (https://example.org/news)" in content  # the text preview
    assert sender_client.get(reverse("admin:petitions_update_preview", args=[update.pk])).status_code == 200


def test_a_sender_can_send_a_test_to_themselves_only(sender_client):
    update = make_update()
    make_subscriber(update.petition)
    response = sender_client.post(send_url(update), {"test": "1"})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["sender@campaign.example.org"]
    assert not update.deliveries.exists()


def test_a_sender_sends_and_sees_the_progress(sender_client, django_capture_on_commit_callbacks):
    update = make_update()
    make_subscriber(update.petition)
    with django_capture_on_commit_callbacks(execute=True):
        response = sender_client.post(send_url(update), {"send": "1"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    page = sender_client.get(reverse("admin:petitions_update_change", args=[update.pk])).content.decode()
    assert '<progress class="update-progress" max="1" value="1">' in page
    assert "1 sent, 0 failed, 0 queued" in page
    # A sent update is read-only and cannot go out twice.
    sender_client.post(send_url(update), {"send": "1"})
    assert len(mail.outbox) == 1


def test_a_sender_writes_an_update_in_the_admin(sender_client):
    update = make_update()  # for its petition
    response = sender_client.post(
        reverse("admin:petitions_update_add"),
        admin_form_data(
            {"petition": update.petition.pk, "subject": "News", "body": "Text", "publish_on_petition": "on"},
            Update,
        ),
    )
    assert response.status_code == 302
    assert Update.objects.filter(subject_en="News", published_at__isnull=True).exists()


@pytest.mark.parametrize("group", [CONTENT_EDITORS, SUPPORTER_DATA])
def test_content_editors_and_supporter_data_staff_cannot_send(client, group):
    update = make_update()
    make_subscriber(update.petition)
    sign_in_staff(client, make_staff_user(group))
    assert client.get(reverse("admin:petitions_update_changelist")).status_code == 403
    assert client.get(send_url(update)).status_code == 403
    assert client.post(send_url(update), {"send": "1"}).status_code == 403
    assert mail.outbox == []
    update.refresh_from_db()
    assert not update.is_sent


def test_the_send_page_shows_the_reach_per_language(sender_client):
    update = make_update(subject_ko="이사회가 답했습니다", body_ko="오늘 *답했습니다*.")
    for language in ("ko", "ko", "ja"):
        make_subscriber(update.petition, language=language)
    content = sender_client.get(send_url(update)).content.decode()
    assert "<strong>3</strong> supporter(s)" in content
    assert_row = '<tr data-language="{}">\n              <th scope="row">{}</th>\n              <td class="update-reach-count">{}</td>'
    assert assert_row.format("ko", "Korean", 2) in content
    assert assert_row.format("ja", "Japanese", 1) in content
    assert "English (not translated)" in content


def test_a_sender_previews_and_tests_the_email_in_another_language(sender_client):
    update = make_update(subject_ko="이사회가 답했습니다", body_ko="오늘 *답했습니다*.")
    content = sender_client.get(send_url(update) + "?language=ko").content.decode()
    assert "<em>답했습니다</em>" in content and "Content-Language: ko" in content
    preview = sender_client.get(reverse("admin:petitions_update_preview", args=[update.pk]) + "?language=ko")
    assert '<html lang="ko">' in preview.content.decode()
    sender_client.post(send_url(update), {"test": "1", "language": "ko"})
    (message,) = mail.outbox
    assert message.subject == "이사회가 답했습니다" and message.to == ["sender@campaign.example.org"]


def test_the_update_admin_lists_missing_translations(sender_client):
    make_update(subject_ko="이사회가 답했습니다", body_ko="오늘 답했습니다.")
    content = sender_client.get(reverse("admin:petitions_update_changelist")).content.decode()
    assert "ja, fr" in content


def test_the_update_senders_group_sends_and_sees_neither_content_nor_supporter_data(client):
    from django.contrib.auth.models import Group

    for name in (CONTENT_EDITORS, SUPPORTER_DATA):
        assert not Group.objects.get(name=name).permissions.filter(codename="send_update").exists()
    sender = make_staff_user("Update senders")
    assert sender.has_perm("petitions.send_update")
    assert not sender.has_perm("petitions.view_signature") and not sender.has_perm(
        "petitions.change_petition"
    )
    sign_in_staff(client, sender)
    assert client.get(reverse("admin:petitions_update_changelist")).status_code == 200
    assert client.get(reverse("admin:petitions_signature_changelist")).status_code == 403
    assert client.get(reverse("admin:petitions_petition_changelist")).status_code == 403
