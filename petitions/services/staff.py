"""Staff tools over signatures: invalidate, clear suspected ones, resend confirmations, bulk criteria, erase."""

from django.db import transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat

from coalition.models import Member
from petitions.models import Signature, StaffAction
from petitions.services import tally
from petitions.services.addresses import normalise_email
from petitions.services.audit import log_staff_action
from petitions.services.counting import forget_recent_signers
from petitions.services.storing import enqueue_confirmation

INVALIDATABLE_STATES = [
    Signature.State.PENDING,
    Signature.State.CONFIRMED,
    Signature.State.SUSPECTED,
]


def _enqueue_confirmations(signature_ids):
    for signature_id in signature_ids:
        enqueue_confirmation(signature_id=signature_id)


def invalidate_signatures(*, queryset):
    """pending|confirmed|suspected → invalidated. Returns how many changed."""
    # Re-select by primary key: the admin may hand over a sliced or distinct queryset.
    ids = queryset.filter(state__in=INVALIDATABLE_STATES).values("pk")
    with transaction.atomic():
        # Locked, so that the confirmed ones among them (which leave the tally) are the ones changed.
        before = list(
            Signature.objects.select_for_update()
            .filter(pk__in=ids, state__in=INVALIDATABLE_STATES)
            .values("pk", *tally.TALLY_FIELDS)
        )
        count = Signature.objects.filter(
            pk__in=[row["pk"] for row in before], state__in=INVALIDATABLE_STATES
        ).update(state=Signature.State.INVALIDATED)
        tally.record_changes(
            signatures=[row for row in before if row["state"] == Signature.State.CONFIRMED], change=-1
        )
    petition_ids = {row["petition_id"] for row in before}
    # An invalidated name leaves the public list of recent signers at once.
    if count:
        forget_recent_signers(petition_ids=petition_ids)
    return count


def hide_names(*, queryset):
    """Take names off the public list of signers (show_name off); the signatures still count.

    Returns the ids of the signatures this call changed, for the staff log.
    """
    with transaction.atomic():
        ids = list(queryset.filter(show_name=True).values_list("pk", flat=True))
        changed = Signature.objects.filter(pk__in=ids, show_name=True)
        petition_ids = set(changed.values_list("petition_id", flat=True).distinct())
        changed.update(show_name=False)
    if ids:
        forget_recent_signers(petition_ids=petition_ids)
    return ids


def clear_suspected(*, queryset):
    """suspected → pending (staff judged them genuine); their confirmation is then sent.

    Returns how many were cleared. Only the rows this call changed get an email, so two
    staff members clearing the same signatures at once send one email each, not two.
    """
    with transaction.atomic():
        ids = list(
            Signature.objects.select_for_update()
            .filter(pk__in=queryset.values("pk"), state=Signature.State.SUSPECTED)
            .values_list("pk", flat=True)
        )
        cleared = Signature.objects.filter(pk__in=ids, state=Signature.State.SUSPECTED).update(
            state=Signature.State.PENDING
        )
        _enqueue_confirmations(ids)
    return cleared


def resend_confirmations(*, queryset):
    """Enqueue the confirmation email again for pending signatures. Returns how many."""
    with transaction.atomic():
        ids = list(queryset.filter(state=Signature.State.PENDING).values_list("pk", flat=True))
        _enqueue_confirmations(ids)
    return len(ids)


def find_signatures_matching(
    *, petition=None, ip_hash=None, email_domain=None, created_from=None, created_to=None
):
    """Signatures matching staff's bulk criteria (at least one besides the petition).

    ``email_domain`` matches the end of the email (as typed or normalised), case-insensitively;
    ``created_from`` is inclusive and ``created_to`` exclusive.
    """
    if not (ip_hash or email_domain or created_from or created_to):
        raise ValueError("Give an IP hash, an email domain or a time range.")
    queryset = Signature.objects.all()
    if petition is not None:
        queryset = queryset.filter(petition=petition)
    if ip_hash:
        queryset = queryset.filter(ip_hash=ip_hash.strip())
    if email_domain:
        domain = "@" + email_domain.strip().lstrip("@").lower()
        queryset = queryset.filter(Q(email_normalised__iendswith=domain) | Q(email__iendswith=domain))
    if created_from:
        queryset = queryset.filter(created_at__gte=created_from)
    if created_to:
        queryset = queryset.filter(created_at__lt=created_to)
    return queryset


def invalidate_matching(
    *, petition=None, ip_hash=None, email_domain=None, created_from=None, created_to=None
):
    """Bulk invalidation by IP hash, email domain and/or time range. Returns how many changed."""
    return invalidate_signatures(
        queryset=find_signatures_matching(
            petition=petition,
            ip_hash=ip_hash,
            email_domain=email_domain,
            created_from=created_from,
            created_to=created_to,
        )
    )


def find_supporter_signatures(*, email):
    """Every signature of one supporter, by the address as typed or in its normalised form."""
    email = (email or "").strip()
    if not email:
        return Signature.objects.none()
    return Signature.objects.filter(Q(email_normalised=normalise_email(email=email)) | Q(email__iexact=email))


def erase_supporter(*, email):
    """Erase a supporter's personal data from all their signatures (a request by post or email).

    Name, email, comment and IP hash go, and the opt-ins with them; state, petition, country,
    referrer and times stay, so every count and aggregate stays the same. The normalised email
    becomes ``erased-<id>``, which keeps the one-signature-per-email rule satisfied. Returns the
    ids of the signatures erased.
    """
    with transaction.atomic():
        signatures = find_supporter_signatures(email=email).select_for_update()
        ids = sorted(signatures.values_list("pk", flat=True))
        petition_ids = set(Signature.objects.filter(pk__in=ids).values_list("petition_id", flat=True))
        Signature.objects.filter(pk__in=ids).update(
            name="",
            email="",
            email_normalised=Concat(
                Value("erased-"), Cast("pk", output_field=CharField()), output_field=CharField()
            ),
            comment="",
            ip_hash="",
            show_name=False,
            keep_informed=False,
        )
    if ids:
        forget_recent_signers(petition_ids=petition_ids)
    return ids


def revoke_figures_links(*, members, user):
    """Members' private figures links stop working (404) and each gets a new one; logged.

    Returns how many members' links were revoked.
    """
    ids = sorted(member.pk for member in members)
    with transaction.atomic():
        revoked = Member.objects.filter(pk__in=ids).update(figures_link_version=F("figures_link_version") + 1)
        log_staff_action(
            user=user,
            action=StaffAction.Action.REVOKE_FIGURES_LINK,
            rows=revoked,
            detail=f"members {', '.join(map(str, ids))}"[:200],
        )
    return revoked
