"""Confirming and withdrawing: each a single conditional UPDATE, so a double click counts once."""

from django.db import transaction
from django.utils import timezone

from petitions.models import Signature
from petitions.services import tally
from petitions.services.counting import forget_recent_signers

# What the signer may still change on the confirmation page.
CONFIRMABLE_DETAILS = ("name", "country", "show_name", "comment")


def confirm_signature(*, signature_id, petition_id=None, details=None):
    """pending → confirmed; idempotent. Returns True if this call confirmed it.

    ``petition_id``: confirm only if the signature belongs to that petition.
    ``details``: the name, country, "show my name" choice and comment as the
    signer last saw and changed them on the confirmation page, set in the same
    statement. One ``UPDATE … WHERE state = 'pending'``, written out rather
    than built by the ORM: a confirmation spike runs it hundreds of times a second.
    The tally's +1 (``services.tally``) is journaled with it: on PostgreSQL in the
    same statement, elsewhere in the same transaction.
    """
    meta = Signature._meta
    details = {name: value for name, value in (details or {}).items() if name in CONFIRMABLE_DETAILS}
    names = ("id", "petition", "state", "confirmed_at", *details)
    column = {name: meta.get_field(name).column for name in names}
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    assignments = "".join(f", {quote(column[name])} = %s" for name in details)
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {quote(column['state'])} = %s, "
        f"{quote(column['confirmed_at'])} = %s{assignments} "
        f"WHERE {quote(column['id'])} = %s AND {quote(column['state'])} = %s"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [Signature.State.CONFIRMED, now, *map(_column_value, details.values())]
    params += [signature_id, Signature.State.PENDING]
    if petition_id is not None:
        sql += f" AND {quote(column['petition'])} = %s"
        params.append(petition_id)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(tally.record_confirmation_sql(sql), params)
            return cursor.rowcount == 1
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        confirmed = cursor.rowcount == 1
        if confirmed:
            tally.record_confirmation_of(signature_id=signature_id)
        return confirmed


def _column_value(value):
    """A detail as the database takes it (a country arrives as its code)."""
    return value if isinstance(value, bool) else str(value)


def withdraw_signature(*, signature_id):
    """pending|confirmed|suspected|invalidated → withdrawn, erasing the personal data.

    An invalidated signature is withdrawn too: it no longer counts, but it still held the
    signer's name, email, comment and IP hash.

    The normalised email becomes ``withdrawn-<id>``, so the unique constraint
    lets the same person sign again later. Returns True if this call withdrew it.
    """
    withdrawable = Signature.objects.filter(
        pk=signature_id,
        state__in=[
            Signature.State.PENDING,
            Signature.State.CONFIRMED,
            Signature.State.SUSPECTED,
            Signature.State.INVALIDATED,
        ],
    )
    with transaction.atomic():
        # Locked, so that a confirmation at the same moment either comes first (and this
        # journals its -1) or finds the signature withdrawn.
        before = withdrawable.select_for_update().values(*tally.TALLY_FIELDS).first()
        changed = _erase_withdrawn(withdrawable, signature_id) if before else 0
        if changed and before["state"] == Signature.State.CONFIRMED:
            tally.record_changes(signatures=[before], change=-1)
    petition_id = before["petition_id"] if before else None
    if changed and petition_id is not None:
        # The name may be among the recent signers: do not show it a moment longer,
        # neither in the cached list nor in a cached copy of the page.
        forget_recent_signers(petition_ids=[petition_id])
    return changed == 1


def _erase_withdrawn(withdrawable, signature_id):
    return withdrawable.update(
        state=Signature.State.WITHDRAWN,
        withdrawn_at=timezone.now(),
        name="",
        email="",
        email_normalised=f"withdrawn-{signature_id}",
        comment="",
        ip_hash="",
        show_name=False,
        keep_informed=False,
        country="",
    )
