from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class MemberQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)


class Member(models.Model):
    class Kind(models.TextChoices):
        ORGANISATION = "organisation", _("Organisation")
        INDIVIDUAL = "individual", _("Individual")

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
