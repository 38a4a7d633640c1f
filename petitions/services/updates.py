"""Updates to supporters: who receives them, queuing one delivery per recipient, unsubscribing.

The sending itself is ``petitions.tasks.send_update_batch`` (throttled, resumable); this
module decides who and queues, in batches, so a list of a hundred thousand never sits in
memory at once. The unique (update, signature) constraint makes queuing twice harmless.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from pagecache import bump_content_version
from petitions import tasks, update_mail
from petitions.models import Signature, Update, UpdateDelivery

QUEUE_BATCH = 2000


class AlreadySent(Exception):
    """The update was sent before: sending it again would reach everyone twice."""


def find_recipients(*, petition, update=None):
    """The signatures an update of ``petition`` would reach now.

    With ``update``: only those who can read it, theirs or English (an update written
    only in Korean reaches only those who signed in Korean).
    """
    recipients = Signature.objects.update_recipients().filter(petition=petition)
    if update is not None and not update.reaches_every_language():
        recipients = recipients.filter(language__in=update.written_languages())
    return recipients


def count_recipients(*, petition, update=None):
    """How many an update would reach: ``{"total": n, "by_language": {code: n}}`` (one query)."""
    recipients = find_recipients(petition=petition, update=update)
    by_language = dict(recipients.values_list("language").annotate(n=Count("pk")).order_by())
    return {"total": sum(by_language.values()), "by_language": by_language}


def reach_by_language(*, update):
    """For staff: one row per language, ``{"code", "name", "recipients", "text_language"}``.

    ``text_language`` is the language those supporters will read (theirs, English, or None
    when the update is written in neither, and then ``recipients`` is 0). One query.
    """
    counts = dict(
        find_recipients(petition=update.petition).values_list("language").annotate(n=Count("pk")).order_by()
    )
    rows = []
    for code, name in settings.LANGUAGES:
        text_language = update.text_language(code)
        rows.append(
            {
                "code": code,
                "name": name,
                "recipients": counts.get(code, 0) if text_language else 0,
                "text_language": text_language,
            }
        )
    return rows


def create_update(*, petition, subject, body, language=None, publish_on_petition=True):
    """A draft update written in ``language`` (default English); translations are added in the admin."""
    language = language or settings.LANGUAGE_CODE
    update = Update(petition=petition, publish_on_petition=publish_on_petition)
    setattr(update, f"subject_{language}", subject)
    setattr(update, f"body_{language}", body)
    update.full_clean()
    update.save()
    return update


def send_update(*, update, user=None):
    """Mark the update sent, queue one delivery per recipient, and start the sending task.

    Returns how many deliveries were queued. Raises ``AlreadySent`` when it was sent before
    (a conditional UPDATE, so a double click queues once).
    """
    with transaction.atomic():
        now = timezone.now()
        started = Update.objects.filter(pk=update.pk, published_at__isnull=True).update(
            published_at=now, sent_by=user
        )
        if not started:
            raise AlreadySent(update.pk)
        update.published_at, update.sent_by = now, user
        if update.publish_on_petition:
            bump_content_version()  # an UPDATE, not a save: the page cache hears it from here
        queued = queue_deliveries(update=update)
        transaction.on_commit(lambda: tasks.send_update_batch.enqueue(update.pk))
    return queued


def queue_deliveries(*, update):
    """One queued delivery per recipient, created ``QUEUE_BATCH`` at a time. Returns how many were made."""
    recipient_ids = (
        find_recipients(petition=update.petition, update=update).order_by("pk").values_list("pk", flat=True)
    )
    queued = 0
    batch = []
    for signature_id in recipient_ids.iterator(chunk_size=QUEUE_BATCH):
        batch.append(UpdateDelivery(update_id=update.pk, signature_id=signature_id))
        if len(batch) >= QUEUE_BATCH:
            queued += len(UpdateDelivery.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    if batch:
        queued += len(UpdateDelivery.objects.bulk_create(batch, ignore_conflicts=True))
    return queued


def send_test_update(*, update, email, language=None):
    """Send the update to one staff address now, as a supporter of ``language`` would see it.

    Its unsubscribe and withdraw links name no real signature.
    """
    signature = Signature(
        pk=0, petition=update.petition, name="Test recipient", email=email, language=language or "en"
    )
    update_mail.build_update_message(update=update, signature=signature, to=email).send()


def get_update_progress(*, update):
    """``{"queued", "sending", "sent", "failed", "total", "reasons": [(reason, n), …]}``, two queries."""
    counts = dict(update.deliveries.values_list("state").annotate(n=Count("pk")).order_by())
    progress = {state.value: counts.get(state.value, 0) for state in UpdateDelivery.State}
    progress["total"] = sum(counts.values())
    progress["done"] = progress["sent"] + progress["failed"]
    progress["reasons"] = list(
        update.deliveries.filter(state=UpdateDelivery.State.FAILED)
        .values_list("reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason")
    )
    return progress


def unsubscribe_signature(*, signature_id):
    """Stop updates to this signature; the signature and its count stay. True if this call did it."""
    return bool(
        Signature.objects.filter(pk=signature_id, unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        )
    )


def resubscribe_signature(*, signature_id):
    """Undo unsubscribing (from the same link). True if this call did it."""
    return bool(
        Signature.objects.filter(pk=signature_id, unsubscribed_at__isnull=False).update(unsubscribed_at=None)
    )
