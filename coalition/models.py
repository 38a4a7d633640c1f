from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django_countries.fields import CountryField

# The state of a confirmed signature, read through the reverse relation so this app
# never imports `campaign`.
CONFIRMED = "confirmed"


class MemberQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def with_confirmed_signatures(self):
        """Annotate ``confirmed_signatures``: the confirmed signatures each member brought.

        One small count per member, read from the signatures' (referrer, state) index
        alone, so it costs the same at a thousand or a million signatures (a join
        with a filtered COUNT would read every referred signature).
        """
        signature = self.model._meta.get_field("signatures").related_model
        brought = (
            signature.objects.filter(referrer=OuterRef("pk"), state=CONFIRMED)
            .order_by()
            .values("referrer")
            .annotate(n=Count("*"))
            .values("n")
        )
        return self.annotate(confirmed_signatures=Coalesce(Subquery(brought), 0))


class Member(models.Model):
    class Kind(models.TextChoices):
        ORGANISATION = "organisation", "Organisation"
        INDIVIDUAL = "individual", "Individual"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    acronym = models.CharField(max_length=30, blank=True)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.ORGANISATION)
    # Empty when the source gives no country: never guess one.
    country = CountryField(blank=True)
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    role = models.CharField(
        max_length=200, blank=True, help_text="e.g. founding organisation of the campaign launch"
    )
    is_published = models.BooleanField("published", default=False)
    ordering = models.PositiveIntegerField(default=0, help_text="Lower numbers come first.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["ordering", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("coalition:member-list") + f"#{self.slug}"
