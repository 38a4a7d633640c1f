from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse


class Topic(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class TestimonyQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)


class Testimony(models.Model):
    class ConsentBasis(models.TextChoices):
        PUBLIC = "public", "Testimony given in public"
        WRITTEN = "written", "Written consent of the survivor"
        ORAL = "oral", "Recorded oral consent of the survivor"

    name = models.CharField("survivor's name or pseudonym", max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.TextField(help_text="Shown in lists; no graphic detail.")
    body = models.TextField(
        blank=True,
        help_text="Context without graphic detail. Graphic passages go below, each behind a warning.",
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="testimonies")
    detention_place = models.CharField("place of detention", max_length=200, blank=True)
    years_detained = models.PositiveSmallIntegerField(null=True, blank=True)
    age_when_imprisoned = models.PositiveSmallIntegerField(null=True, blank=True)
    given_at = models.CharField(
        "where the testimony was given", max_length=200, blank=True, help_text="e.g. the British Parliament"
    )
    source = models.CharField(max_length=300, blank=True)
    source_url = models.URLField(blank=True)
    consent_basis = models.CharField(max_length=20, choices=ConsentBasis, blank=True)
    consent_date = models.DateField(null=True, blank=True)
    consent_scope = models.TextField(
        blank=True, help_text="What the survivor agreed may be published, and where."
    )
    is_published = models.BooleanField("published", default=False)
    ordering = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TestimonyQuerySet.as_manager()

    class Meta:
        ordering = ["ordering", "name"]
        verbose_name_plural = "testimonies"
        constraints = [
            # The last guard: a testimony is never public without a consent record.
            models.CheckConstraint(
                condition=Q(is_published=False)
                | (~Q(consent_basis="") & Q(consent_date__isnull=False) & ~Q(consent_scope="")),
                name="testimony_published_needs_consent",
                violation_error_message=(
                    "A testimony cannot be published without a consent record (basis, date and scope)."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("testimonies:detail", kwargs={"slug": self.slug})

    def clean(self):
        super().clean()
        if self.is_published:
            missing = {
                "consent_basis": not self.consent_basis,
                "consent_date": self.consent_date is None,
                "consent_scope": not (self.consent_scope or "").strip(),
            }
            errors = {
                field: "Record the survivor's consent before publishing this testimony."
                for field, is_missing in missing.items()
                if is_missing
            }
            if errors:
                raise ValidationError(errors)


class Passage(models.Model):
    """A part of a testimony; graphic ones are folded behind a content warning."""

    testimony = models.ForeignKey(Testimony, on_delete=models.CASCADE, related_name="passages")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()
    is_graphic = models.BooleanField("graphic", default=False)
    warning = models.CharField(
        max_length=200, blank=True, help_text="Shown before a graphic passage, e.g. 'Describes torture'."
    )

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return f"{self.testimony} #{self.position}"
