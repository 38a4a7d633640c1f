"""Updates to supporters and their deliveries, one row per recipient (``petitions.update_mail``)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from petitions.models.core import Petition, Signature


class UpdateQuerySet(models.QuerySet):
    def published(self):
        """Sent updates staff chose to show on the petition page, newest first."""
        return self.filter(publish_on_petition=True, published_at__isnull=False).order_by("-published_at")


class Update(models.Model):
    """News from the campaign, emailed to the petition's supporters who opted in.

    The body is written in a small safe markup (``petitions.markup``): blank lines between
    paragraphs, ``*emphasis*`` and ``[text](https://…)`` links; it renders to text and HTML.
    ``published_at`` is set once, when staff send it; a sent update is no longer edited.

    Subject and body exist in every language (``subject_ko``, ``body_ko`` …, see
    ``petitions.translation``). A supporter reads the update in their signature's language
    when both are written in it, else in English; an update with no English text reaches
    only the supporters of the languages it is written in (``text_language``).
    """

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="updates")
    # Blank here so that an update may be written in one language other than English;
    # ``clean()`` asks for a subject and a body together, in at least one language.
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(
        blank=True,
        help_text="Blank lines between paragraphs; *emphasis*; links as [text](https://example.org).",
    )
    publish_on_petition = models.BooleanField(
        "publish on the petition page", default=True, help_text="Shown on the petition page once sent."
    )
    published_at = models.DateTimeField("sent at", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = UpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # Separate from editing content and from reading supporter data: sending reaches people.
        permissions = [("send_update", "Can write and send updates to supporters")]

    def __str__(self):
        subjects = (self.text_in(code)[0] for code, _ in settings.LANGUAGES)
        return next((subject for subject in subjects if subject), f"Update #{self.pk}")

    @property
    def is_sent(self):
        return self.published_at is not None

    def text_in(self, language):
        """``(subject, body)`` as written in ``language`` (empty strings when not written)."""
        return (
            getattr(self, f"subject_{language}", None) or "",
            getattr(self, f"body_{language}", None) or "",
        )

    def written_languages(self):
        """The codes (in settings order) in which both the subject and the body are written."""
        return [code for code, _ in settings.LANGUAGES if all(part.strip() for part in self.text_in(code))]

    def text_language(self, language):
        """The language a reader of ``language`` gets: theirs if written, else English; None if neither."""
        written = self.written_languages()
        if language in written:
            return language
        return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in written else None

    def reaches_every_language(self):
        return settings.LANGUAGE_CODE in self.written_languages()

    def clean(self):
        errors = {}
        for code, _ in settings.LANGUAGES:
            subject, body = (part.strip() for part in self.text_in(code))
            if subject and not body:
                errors[f"body_{code}"] = "Write the body in this language too, or clear its subject."
            elif body and not subject:
                errors[f"subject_{code}"] = "Write the subject in this language too, or clear its body."
        if not errors and not self.written_languages():
            errors[f"subject_{settings.LANGUAGE_CODE}"] = (
                "Write the subject and the body in at least one language."
            )
        if errors:
            raise ValidationError(errors)


class UpdateDelivery(models.Model):
    """One recipient of one update: queued, claimed by a worker (sending), then sent or failed."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=State, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Why it failed, without the address (an SMTP code, an error class).
    reason = models.CharField(max_length=200, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["update", "signature"], name="one_delivery_per_signature"),
        ]
        indexes = [models.Index(fields=["update", "state"], name="delivery_update_state")]

    def __str__(self):
        return f"Update #{self.update_id} to signature #{self.signature_id} ({self.state})"
