"""Petitions, their consent wording, supporters' signatures and the log of exports.

The tables keep the names they had when these models lived in ``campaign``
(``db_table``), so a database made before the move upgrades with no row moved.
"""

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_countries.fields import CountryField


class PetitionQuerySet(models.QuerySet):
    def published(self):
        return self.exclude(state=Petition.State.DRAFT)

    def open(self):
        now = timezone.now()
        return self.filter(state=Petition.State.OPEN, opens_at__lte=now).filter(
            Q(closes_at__isnull=True) | Q(closes_at__gt=now)
        )


class Petition(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        DELIVERED = "delivered", "Delivered"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    ask = models.TextField(help_text="The petition text supporters sign.")
    description = models.TextField(blank=True, help_text="Why this petition: context shown above the form.")
    addressee = models.CharField(max_length=200, help_text="e.g. the UN Human Rights Council")
    goal = models.PositiveIntegerField(default=10000)
    opens_at = models.DateTimeField(default=timezone.now)
    closes_at = models.DateTimeField(null=True, blank=True)
    # When staff set it closed or delivered (the admin records it): retention counts from here
    # for a petition that had no closes_at.
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    state = models.CharField(max_length=10, choices=State, default=State.DRAFT)
    delivered_on = models.DateField(null=True, blank=True)
    delivered_to = models.CharField(max_length=200, blank=True)
    is_featured = models.BooleanField(default=False, help_text="Shown on the home page and at /petition/.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PetitionQuerySet.as_manager()

    class Meta:
        db_table = "campaign_petition"
        ordering = ["-is_featured", "-opens_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_featured"], condition=Q(is_featured=True), name="one_featured_petition"
            ),
            models.CheckConstraint(
                condition=~Q(state="delivered") | Q(delivered_on__isnull=False),
                name="delivered_petition_has_date",
                violation_error_message="A delivered petition needs its delivery date.",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("petitions:detail", kwargs={"slug": self.slug})

    @property
    def is_open(self):
        now = timezone.now()
        return (
            self.state == self.State.OPEN
            and self.opens_at <= now
            and (self.closes_at is None or self.closes_at > now)
        )


class ConsentWording(models.Model):
    """The consent text shown with the form; every signature keeps the version it agreed to."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="consent_wordings")
    version = models.PositiveIntegerField()
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "campaign_consentwording"
        ordering = ["petition", "-version"]
        get_latest_by = "version"
        constraints = [
            models.UniqueConstraint(fields=["petition", "version"], name="one_consent_version_per_petition"),
        ]

    def __str__(self):
        return f"{self.petition} consent v{self.version}"


class Signature(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        WITHDRAWN = "withdrawn", "Withdrawn"
        SUSPECTED = "suspected", "Suspected"
        INVALIDATED = "invalidated", "Invalidated"

    # Every index is one more write per signing and per confirmation: the
    # foreign keys get none of their own where another index starts with them
    # (petition) or where only a rare staff deletion would use one (consent
    # wording); the referrer's covers only the rows that have one.
    petition = models.ForeignKey(
        Petition, on_delete=models.PROTECT, related_name="signatures", db_index=False
    )
    name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254)
    email_normalised = models.CharField(max_length=254)
    country = CountryField(blank=True)
    comment = models.TextField(max_length=500, blank=True)
    show_name = models.BooleanField("show my name publicly", default=False)
    keep_informed = models.BooleanField("keep me informed", default=False)
    consent_wording = models.ForeignKey(
        ConsentWording, on_delete=models.PROTECT, related_name="signatures", db_index=False
    )
    consented_at = models.DateTimeField(default=timezone.now)
    # The language the signer read the petition and the consent wording in (a
    # code from settings.LANGUAGES): the consent wording's text in this language
    # is the exact text agreed to, and every email to the signer is in it.
    language = models.CharField(max_length=10, default="en")
    state = models.CharField(max_length=12, choices=State, default=State.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # When a confirmation email last went out: its link is valid from then, so
    # retention counts an unconfirmed signature's age from here too.
    confirmation_sent_at = models.DateTimeField("confirmation email last sent", null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # A keyed hash (HMAC) of the client IP; the raw address is never stored.
    ip_hash = models.CharField(max_length=64, blank=True)
    referrer = models.ForeignKey(
        "coalition.Member",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signatures",
        db_index=False,
    )

    class Meta:
        db_table = "campaign_signature"
        ordering = ["-created_at"]
        permissions = [("export_signature", "Can export signatures as CSV")]
        constraints = [
            models.UniqueConstraint(fields=["petition", "email_normalised"], name="one_signature_per_email"),
        ]
        indexes = [
            # The count (petition, state) and the newest confirmed signers.
            models.Index(fields=["petition", "state", "confirmed_at"], name="signature_recent_confirmed"),
            models.Index(fields=["ip_hash", "created_at"], name="signature_ip_recent"),
            models.Index(fields=["state", "created_at"], name="signature_state_created"),
            # Who brought a signature: the member's own lookups and the directory's counts.
            models.Index(
                fields=["referrer", "state"],
                condition=Q(referrer__isnull=False),
                name="signature_referrer_state",
            ),
        ]

    def __str__(self):
        return f"Signature #{self.pk} ({self.get_state_display()})"


class SignatureExport(models.Model):
    """An audit record of every CSV export of supporter data."""

    user = models.ForeignKey("auth.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    rows = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=500, blank=True)

    class Meta:
        db_table = "campaign_signatureexport"
        ordering = ["-created_at"]

    def __str__(self):
        return f"Export of {self.rows} rows by {self.user} at {self.created_at:%Y-%m-%d %H:%M}"


class StaffAction(models.Model):
    """The staff action log: who did what to supporter data, and failed sign-ins.

    It holds ids and counts, never a name, an email address or a search text. Superusers read it
    in the admin; nobody edits or deletes it there; retention prunes it after
    STAFF_LOG_RETENTION_DAYS.
    """

    class Action(models.TextChoices):
        EXPORT = "export", "Exported signatures"
        VIEW_SIGNATURE = "view-signature", "Viewed a signature"
        SEARCH = "search", "Searched signatures"
        INVALIDATE = "invalidate", "Invalidated signatures"
        HIDE_NAME = "hide-name", "Hid names from the public list"
        CLEAR_SUSPECTED = "clear-suspected", "Cleared suspected signatures"
        RESEND = "resend", "Resent confirmation emails"
        BULK_INVALIDATE = "bulk-invalidate", "Invalidated signatures in bulk"
        ERASE = "erase", "Erased a supporter"
        SIGN_IN_FAILED = "sign-in-failed", "Failed sign-in"
        SECOND_FACTOR_FAILED = "second-factor-failed", "Failed second-factor step"

    user = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=32, choices=Action)
    rows = models.PositiveIntegerField(null=True, blank=True, help_text="How many signatures it touched.")
    signature_ids = models.JSONField(default=list, blank=True, help_text="Which, when not too many to list.")
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_action_display()} by {self.user or 'unknown'} at {self.created_at:%Y-%m-%d %H:%M}"
