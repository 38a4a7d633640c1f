"""Updates to supporters: who receives them, the emails, sending that resumes, unsubscribing."""

import re
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from petitions import markup, tasks, update_mail
from petitions.models import Signature, UpdateDelivery
from petitions.services import confirming, retention, tokens, updates
from petitions.tests.factories import make_petition, make_signature, make_subscriber, make_update

pytestmark = [pytest.mark.django_db]

SITE = "https://campaign.example.org"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.UPDATE_UNSUBSCRIBE_EMAIL = "unsubscribe@campaign.example.org"


def links(text):
    return re.findall(r"https?://[^\s\"<>()]+", text)


# --- The markup ------------------------------------------------------------------


def test_markup_renders_paragraphs_emphasis_and_links_and_escapes_the_rest():
    source = 'One *two* [three](https://example.org/a?b=1&c=2)\n\n<script>alert("x")</script>'
    html = markup.render_html(source)
    assert html == (
        '<p>One <em>two</em> <a href="https://example.org/a?b=1&amp;c=2">three</a></p>\n'
        "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>"
    )
    assert markup.render_text(source) == (
        'One two three (https://example.org/a?b=1&c=2)\n\n<script>alert("x")</script>'
    )


def test_markup_links_only_to_http_addresses():
    assert "<a" not in markup.render_html("[click](javascript:alert(1))")


# --- Who receives ----------------------------------------------------------------


def test_confirmed_signers_who_opted_in_receive_updates():
    petition = make_petition()
    subscriber = make_subscriber(petition)
    assert list(updates.find_recipients(petition=petition)) == [subscriber]
    assert updates.count_recipients(petition=petition)["total"] == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"keep_informed": False, "state": Signature.State.CONFIRMED},
        {"keep_informed": True, "state": Signature.State.PENDING},
        {"keep_informed": True, "state": Signature.State.SUSPECTED},
        {"keep_informed": True, "state": Signature.State.INVALIDATED},
        {"keep_informed": True, "state": Signature.State.CONFIRMED, "unsubscribed_at": timezone.now()},
        {"keep_informed": True, "state": Signature.State.CONFIRMED, "undeliverable_at": timezone.now()},
    ],
    ids=["not-opted-in", "pending", "suspected", "invalidated", "unsubscribed", "undeliverable"],
)
def test_these_signers_never_receive_updates(overrides):
    petition = make_petition()
    make_signature(petition, **overrides)
    assert updates.count_recipients(petition=petition)["total"] == 0


def test_withdrawn_signers_never_receive_updates():
    petition = make_petition()
    signature = make_subscriber(petition)
    confirming.withdraw_signature(signature_id=signature.pk)
    assert updates.count_recipients(petition=petition)["total"] == 0


def test_anonymised_signers_never_receive_updates():
    petition = make_petition(closes_at=timezone.now() - timedelta(days=400), state="closed")
    make_subscriber(petition)
    retention.purge_signatures()
    assert updates.count_recipients(petition=petition)["total"] == 0


def test_signers_of_another_petition_do_not_receive_its_updates():
    make_subscriber()
    assert updates.count_recipients(petition=make_petition())["total"] == 0


# --- Queuing and sending -----------------------------------------------------------


def test_sending_queues_one_delivery_per_recipient_and_sends_each_once(django_capture_on_commit_callbacks):
    petition = make_petition()
    subscribers = [make_subscriber(petition) for _ in range(3)]
    make_signature(petition, state=Signature.State.CONFIRMED)  # not opted in
    update = make_update(petition)
    with django_capture_on_commit_callbacks(execute=True):
        assert updates.send_update(update=update) == 3
    assert sorted(message.to[0] for message in mail.outbox) == sorted(s.email for s in subscribers)
    assert set(update.deliveries.values_list("state", flat=True)) == {"sent"}
    update.refresh_from_db()
    assert update.published_at is not None


def test_an_update_is_sent_only_once(django_capture_on_commit_callbacks):
    update = make_update()
    make_subscriber(update.petition)
    with django_capture_on_commit_callbacks(execute=True):
        updates.send_update(update=update)
    with pytest.raises(updates.AlreadySent):
        updates.send_update(update=update)
    assert len(mail.outbox) == 1


def test_queuing_again_creates_no_second_delivery():
    update = make_update()
    make_subscriber(update.petition)
    assert updates.queue_deliveries(update=update) == 1
    updates.queue_deliveries(update=update)
    assert update.deliveries.count() == 1


def test_a_batch_sends_at_most_the_rate_allows(settings):
    settings.UPDATE_SEND_RATE = 12  # 2 per 10-second batch
    update = make_update()
    for _ in range(5):
        make_subscriber(update.petition)
    updates.queue_deliveries(update=update)
    counts = update_mail.deliver_update_batch(update_id=update.pk, limit=update_mail.update_batch_size())
    assert counts["sent"] == 2 and len(mail.outbox) == 2


def test_the_task_reenqueues_itself_for_later_when_the_backend_can_wait(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.UPDATE_SEND_RATE = 6  # one per batch
    update = make_update()
    make_subscriber(update.petition)
    make_subscriber(update.petition)
    updates.queue_deliveries(update=update)
    before = timezone.now()
    assert tasks.send_update_batch.call(update.pk) == 1
    (later,) = DBTaskResult.objects.all()
    assert later.args_kwargs["args"] == [update.pk]
    assert later.run_after >= before + timedelta(seconds=update_mail.BATCH_SECONDS)


def test_a_batch_costs_three_statements_an_email_whatever_its_size(django_assert_num_queries):
    update = make_update(subject_ko="소식", body_ko="본문")
    for language in ("en", "ko", "ja", "fr", "ko", "en"):
        make_subscriber(update.petition, language=language)
    updates.queue_deliveries(update=update)
    with django_assert_num_queries(3 + 3 * 6):  # stale claims, the update, the list; then per email
        assert update_mail.deliver_update_batch(update_id=update.pk, limit=10)["sent"] == 6


def test_unsubscribing_after_queuing_stops_the_email():
    update = make_update()
    signature = make_subscriber(update.petition)
    updates.queue_deliveries(update=update)
    updates.unsubscribe_signature(signature_id=signature.pk)
    update_mail.deliver_update_batch(update_id=update.pk, limit=10)
    assert mail.outbox == []
    assert update.deliveries.get().reason == "no longer a recipient"


class KilledWorker(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs (not even `except Exception`)."""


def test_a_killed_worker_resumes_where_it_stopped_and_sends_nobody_twice(monkeypatch):
    update = make_update()
    for _ in range(4):
        make_subscriber(update.petition)
    updates.queue_deliveries(update=update)
    real_send = mail.backends.locmem.EmailBackend.send_messages
    handed_over = []

    def send_then_die(self, messages):
        real_send(self, messages)
        handed_over.extend(message.to[0] for message in messages)
        if len(handed_over) == 2:
            raise KilledWorker  # killed after the hand-over, before "sent" was recorded

    monkeypatch.setattr(mail.backends.locmem.EmailBackend, "send_messages", send_then_die)
    with pytest.raises(KilledWorker):
        update_mail.deliver_update_batch(update_id=update.pk, limit=10)
    states = sorted(update.deliveries.values_list("state", flat=True))
    assert states == ["queued", "queued", "sending", "sent"]

    # The worker restarts (reap_tasks queues the task again) while the claim is still fresh …
    update_mail.deliver_update_batch(update_id=update.pk, limit=10)
    # … and once the claim is stale, the interrupted one is given up rather than sent twice.
    update_mail.deliver_update_batch(
        update_id=update.pk, limit=10, now=timezone.now() + update_mail.STALE_CLAIM * 2
    )
    assert len(handed_over) == 4 and len(set(handed_over)) == 4
    assert sorted(update.deliveries.values_list("state", flat=True)) == ["failed", "sent", "sent", "sent"]
    assert update.deliveries.get(state="failed").reason.startswith("interrupted")


def test_two_workers_never_claim_the_same_delivery():
    update = make_update()
    make_subscriber(update.petition)
    updates.queue_deliveries(update=update)
    delivery = update.deliveries.get()
    claim = UpdateDelivery.objects.filter(pk=delivery.pk, state=UpdateDelivery.State.QUEUED)
    assert claim.update(state=UpdateDelivery.State.SENDING) == 1
    update_mail.deliver_update_batch(update_id=update.pk, limit=10)  # the other worker finds nothing queued
    assert mail.outbox == []


def refuse_with(monkeypatch, error):
    def refuse(self, messages):
        raise error

    monkeypatch.setattr(mail.backends.locmem.EmailBackend, "send_messages", refuse)


def test_a_permanent_refusal_marks_the_address_undeliverable_and_logs_no_address(monkeypatch, caplog):
    update = make_update()
    signature = make_subscriber(update.petition, email="gone@example.org")
    updates.queue_deliveries(update=update)
    refuse_with(
        monkeypatch,
        smtplib.SMTPRecipientsRefused({"gone@example.org": (550, b"5.1.1 <gone@example.org> unknown")}),
    )
    update_mail.deliver_update_batch(update_id=update.pk, limit=10)
    signature.refresh_from_db()
    assert signature.undeliverable_at is not None
    delivery = update.deliveries.get()
    assert delivery.state == "failed" and "550" in delivery.reason
    assert "gone@example.org" not in delivery.reason and "gone@example.org" not in caplog.text
    assert updates.count_recipients(petition=update.petition)["total"] == 0


def test_a_server_failure_requeues_the_delivery_and_stops_the_batch(monkeypatch):
    update = make_update()
    make_subscriber(update.petition)
    make_subscriber(update.petition)
    updates.queue_deliveries(update=update)
    refuse_with(monkeypatch, ConnectionRefusedError())
    counts = update_mail.deliver_update_batch(update_id=update.pk, limit=10)
    assert counts["retry"] is True
    assert sorted(update.deliveries.values_list("state", "attempts")) == [("queued", 0), ("queued", 1)]


def test_progress_counts_states_and_reasons():
    update = make_update()
    for _ in range(3):
        make_subscriber(update.petition)
    updates.queue_deliveries(update=update)
    first = update.deliveries.order_by("pk").first()
    UpdateDelivery.objects.filter(pk=first.pk).update(state="failed", reason="SMTPDataError (SMTP 554)")
    progress = updates.get_update_progress(update=update)
    assert (progress["queued"], progress["failed"], progress["total"]) == (2, 1, 3)
    assert progress["reasons"] == [("SMTPDataError (SMTP 554)", 1)]


# --- The email ---------------------------------------------------------------------


@pytest.fixture
def sent_email():
    update = make_update()
    signature = make_subscriber(update.petition, name="Kim Min-ji")
    updates.queue_deliveries(update=update)
    update_mail.deliver_update_batch(update_id=update.pk, limit=10)
    (message,) = mail.outbox
    return message, signature


def test_the_email_carries_one_click_unsubscribe_headers(sent_email):
    message, signature = sent_email
    token = tokens.make_token(signature=signature, purpose="unsubscribe")
    assert message.extra_headers["List-Unsubscribe"] == (
        f"<{SITE}/unsubscribe/{token}/>, "
        f"<mailto:unsubscribe@campaign.example.org?subject=unsubscribe-{token}>"
    )
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in message.message().as_string()


def test_the_email_has_text_and_html_with_absolute_links(sent_email):
    message, signature = sent_email
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    slug = signature.petition.slug
    for body in (message.body, html):
        found = links(body)
        assert all(link.startswith((SITE, "https://example.org/")) for link in found)
        assert any(link.startswith(f"{SITE}/unsubscribe/") for link in found)  # no language prefix
        assert any(link.startswith(f"{SITE}/en/petitions/{slug}/withdraw/") for link in found)
        assert f"{SITE}/en/petitions/{slug}/" in found
        assert "Dear Kim Min-ji" in body
    assert "<em>answered</em>" in html and '<a href="https://example.org/news">on our site</a>' in html
    assert "on our site (https://example.org/news)" in message.body


def test_a_test_send_goes_to_the_staff_address_only():
    update = make_update()
    make_subscriber(update.petition)
    updates.send_test_update(update=update, email="staff@campaign.example.org")
    (message,) = mail.outbox
    assert message.to == ["staff@campaign.example.org"]
    assert not update.deliveries.exists()


# --- Unsubscribing -----------------------------------------------------------------


def unsubscribe_path(signature):
    return reverse(
        "mail:unsubscribe",
        kwargs={"token": tokens.make_token(signature=signature, purpose="unsubscribe")},
    )


def test_the_link_shows_one_button_and_changes_nothing():
    signature = make_subscriber()
    response = Client().get(unsubscribe_path(signature))
    assert response.status_code == 200
    assert b'value="unsubscribe"' in response.content
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    signature.refresh_from_db()
    assert signature.unsubscribed_at is None


def test_the_one_click_post_unsubscribes_at_once_without_a_csrf_token():
    signature = make_subscriber()
    client = Client(enforce_csrf_checks=True)
    response = client.post(unsubscribe_path(signature), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    signature.refresh_from_db()
    assert signature.unsubscribed_at is not None
    assert signature.state == Signature.State.CONFIRMED  # the signature still counts


def test_unsubscribing_can_be_undone_from_the_same_link():
    signature = make_subscriber()
    client = Client(enforce_csrf_checks=True)
    path = unsubscribe_path(signature)
    assert client.post(path, {"action": "unsubscribe"}).status_code == 303
    assert b'value="subscribe"' in client.get(path).content
    assert client.post(path, {"action": "subscribe"}).status_code == 303
    signature.refresh_from_db()
    assert signature.unsubscribed_at is None
    assert updates.count_recipients(petition=signature.petition)["total"] == 1


def test_a_forged_unsubscribe_link_is_refused():
    assert Client().post("/unsubscribe/forged/", {"List-Unsubscribe": "One-Click"}).status_code == 400


# --- The petition page and the feed ---------------------------------------------------


def test_published_updates_show_on_the_petition_page_newest_first(django_capture_on_commit_callbacks):
    petition = make_petition()
    older = make_update(petition, subject="First news")
    newer = make_update(petition, subject="Second news")
    make_update(petition, subject="Not yet sent")
    make_update(petition, subject="Not for the page", publish_on_petition=False)
    with django_capture_on_commit_callbacks(execute=True):
        updates.send_update(update=older)
        updates.send_update(update=newer)
    content = Client().get(petition.get_absolute_url()).content.decode()
    assert content.index("Second news") < content.index("First news")
    assert "Not yet sent" not in content and "Not for the page" not in content
    assert "<em>answered</em>" in content


def test_sending_an_update_shows_at_once_on_a_cached_page(settings, django_capture_on_commit_callbacks):
    settings.PAGE_CACHE_SECONDS = 60
    petition = make_petition()
    update = make_update(petition, subject="Fresh news")
    client = Client()
    assert "Fresh news" not in client.get(petition.get_absolute_url()).content.decode()
    update.published_at = timezone.now()
    update.save()  # as the admin saves it
    assert "Fresh news" in client.get(petition.get_absolute_url()).content.decode()


def test_the_atom_feed_lists_published_updates():
    petition = make_petition()
    make_update(petition, subject="In the feed", published_at=timezone.now())
    make_update(petition, subject="A draft")
    response = Client().get(reverse("petitions:update-feed", kwargs={"slug": petition.slug}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    content = response.content.decode()
    assert "In the feed" in content and "A draft" not in content
    assert f"{SITE}/en/petitions/{petition.slug}/" in content


def test_sending_through_the_service_shows_at_once_on_a_cached_page(
    settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_SECONDS = 60
    petition = make_petition()
    update = make_update(petition, subject="Fresh news")
    client = Client()
    assert "Fresh news" not in client.get(petition.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        updates.send_update(update=update)
    assert "Fresh news" in client.get(petition.get_absolute_url()).content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_email_once(postgresql, at_once):
    update = make_update()
    for _ in range(20):
        make_subscriber(update.petition)
    updates.queue_deliveries(update=update)
    errors = at_once(4, lambda n: update_mail.deliver_update_batch(update_id=update.pk, limit=20))
    assert errors == []
    recipients = [message.to[0] for message in mail.outbox]
    assert len(recipients) == 20 and len(set(recipients)) == 20
    assert set(update.deliveries.values_list("state", flat=True)) == {"sent"}
