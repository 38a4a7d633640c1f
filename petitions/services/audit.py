"""The staff action log: write one entry, prune old ones."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from petitions.models import StaffAction

# A larger selection is logged by its count only, so one export cannot write a megabyte of ids.
MAX_LOGGED_IDS = 1000


def log_staff_action(*, user, action, rows=None, signature_ids=None, detail=""):
    """Record what a staff member did (or that a sign-in failed): ids or a count, no personal data."""
    ids = sorted(signature_ids) if signature_ids is not None else []
    if rows is None and signature_ids is not None:
        rows = len(ids)
    if len(ids) > MAX_LOGGED_IDS:
        ids = []
    if user is not None and not user.is_authenticated:
        user = None
    return StaffAction.objects.create(user=user, action=action, rows=rows, signature_ids=ids, detail=detail)


def selected_ids(queryset):
    """The ids of a selection, or None (log the count only) when there are too many to list."""
    ids = list(queryset.values_list("pk", flat=True)[: MAX_LOGGED_IDS + 1])
    return ids if len(ids) <= MAX_LOGGED_IDS else None


def log_failed_sign_in(*, username, second_factor=False):
    """A wrong password or code: logged against the account when the username names one."""
    user = get_user_model().objects.filter(username=username).first() if username else None
    action = StaffAction.Action.SECOND_FACTOR_FAILED if second_factor else StaffAction.Action.SIGN_IN_FAILED
    return log_staff_action(user=user, action=action)


def prune_staff_log(*, now=None):
    """Delete entries older than STAFF_LOG_RETENTION_DAYS. Returns how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.STAFF_LOG_RETENTION_DAYS)
    deleted, _ = StaffAction.objects.filter(created_at__lt=cutoff).delete()
    return deleted
