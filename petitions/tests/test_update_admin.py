"""The updates admin: only staff with petitions.send_update write, preview, test and send."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from petitions.models import Update
from petitions.tests.factories import make_subscriber, make_update
from tests.factories import CONTENT_EDITORS, SUPPORTER_DATA, make_staff_user, sign_in_staff

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
        {"petition": update.petition.pk, "subject": "News", "body": "Text", "publish_on_petition": "on"},
    )
    assert response.status_code == 302
    assert Update.objects.filter(subject="News", published_at__isnull=True).exists()


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
