"""Retention: stale unconfirmed signatures are deleted, those of long-closed petitions anonymised."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from petitions.models import Petition, Signature


def _anonymised_marker():
    return Concat(Value("anonymised-"), Cast("pk", output_field=CharField()), output_field=CharField())


def find_signatures_to_purge(*, now=None):
    """The querysets retention acts on: ``{"deleted_pending", "deleted_suspected", "anonymised"}``.

    Nothing is changed. A pending signature is stale once it was made and its last
    confirmation email went out (a staff resend, a cleared suspicion) more than
    PETITION_PENDING_RETENTION_DAYS ago, so a link just sent never points at a
    deleted signature.
    """
    now = now or timezone.now()
    days = datetime.timedelta(days=1)
    pending_cutoff = now - settings.PETITION_PENDING_RETENTION_DAYS * days
    suspected_cutoff = now - settings.PETITION_SUSPECTED_RETENTION_DAYS * days
    closed_cutoff = now - settings.PETITION_CLOSED_RETENTION_DAYS * days

    # created_at first: the (state, created_at) index finds the candidates.
    stale_pending = Signature.objects.filter(
        Q(confirmation_sent_at__isnull=True) | Q(confirmation_sent_at__lt=pending_cutoff),
        state=Signature.State.PENDING,
        created_at__lt=pending_cutoff,
    )
    stale_suspected = Signature.objects.filter(
        state=Signature.State.SUSPECTED, created_at__lt=suspected_cutoff
    )
    # A petition's signatures are kept while it runs and for the retention period after it
    # closes; the closing time is what counts, whatever state staff have set since.
    # A petition closed by its state without a closes_at date counts from when staff closed it.
    long_closed = Petition.objects.exclude(state=Petition.State.DRAFT).filter(
        Q(closes_at__lt=closed_cutoff)
        | Q(
            closes_at__isnull=True,
            state__in=[Petition.State.CLOSED, Petition.State.DELIVERED],
            closed_at__lt=closed_cutoff,
        )
    )
    to_anonymise = (
        Signature.objects.filter(petition__in=long_closed)
        .exclude(pk__in=stale_pending.values("pk"))
        .exclude(pk__in=stale_suspected.values("pk"))
        .exclude(email_normalised=_anonymised_marker())
    )
    return {
        "deleted_pending": stale_pending,
        "deleted_suspected": stale_suspected,
        "anonymised": to_anonymise,
    }


def purge_signatures(*, now=None):
    """Retention: delete stale pending and suspected signatures, anonymise those of long-closed petitions.

    Pending signatures are deleted PETITION_PENDING_RETENTION_DAYS after they were made and
    their last confirmation email went out, suspected ones (never emailed, never cleared by
    staff) PETITION_SUSPECTED_RETENTION_DAYS after they were made: neither ever counted.
    Signatures of petitions that closed more than PETITION_CLOSED_RETENTION_DAYS ago
    lose their personal data (name, email, comment, IP hash, opt-ins) but keep petition, state,
    country, referrer and times, so every count and aggregate stays the same. Running it again
    changes nothing more. Returns ``{"deleted_pending": n, "deleted_suspected": s, "anonymised": m}``.
    """
    with transaction.atomic():
        querysets = find_signatures_to_purge(now=now)
        deleted, _ = querysets["deleted_pending"].delete()
        deleted_suspected, _ = querysets["deleted_suspected"].delete()
        anonymised = querysets["anonymised"].update(
            name="",
            email="",
            email_normalised=_anonymised_marker(),
            comment="",
            ip_hash="",
            show_name=False,
            keep_informed=False,
        )
    return {"deleted_pending": deleted, "deleted_suspected": deleted_suspected, "anonymised": anonymised}


def prune_task_results(*, now=None):
    """Delete finished task results older than TASK_RESULT_RETENTION_DAYS. Returns how many.

    A failed send's traceback and arguments stay no longer than needed to see what went wrong.
    """
    from django_tasks_db.models import DBTaskResult

    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    deleted, _ = DBTaskResult.objects.filter(finished_at__lt=cutoff).delete()
    return deleted
