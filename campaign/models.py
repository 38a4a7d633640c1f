from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.formats import date_format


class PublishedQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class DatedMixin(models.Model):
    """A date that the source may give only to the month or the year."""

    date = models.DateField(null=True, blank=True)
    date_precision = models.CharField(max_length=5, choices=DatePrecision, default=DatePrecision.DAY)

    class Meta:
        abstract = True

    @property
    def date_display(self):
        if self.date is None:
            return ""
        # In the page's language: 9 December 2011, 2011년 12월 9일, 2011年12月9日, 9 décembre 2011.
        if self.date_precision == DatePrecision.YEAR:
            return str(self.date.year)
        if self.date_precision == DatePrecision.MONTH:
            return date_format(self.date, "YEAR_MONTH_FORMAT")
        return date_format(self.date, "DATE_FORMAT")

    @property
    def date_iso(self):
        """The date as precise as the source, for <time datetime="…">."""
        if self.date is None:
            return ""
        if self.date_precision == DatePrecision.YEAR:
            return self.date.strftime("%Y")
        if self.date_precision == DatePrecision.MONTH:
            return self.date.strftime("%Y-%m")
        return self.date.isoformat()


# Content --------------------------------------------------------------------


class Campaign(models.Model):
    """The campaign itself; one is current and drives the home page."""

    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=30, blank=True)
    objective = models.TextField()
    summary = models.TextField(blank=True)
    is_current = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_campaign"
            ),
        ]

    def __str__(self):
        return self.name


class KeyFact(models.Model):
    """A figure from the source that shows what is at stake (e.g. 200,000 people in camps)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="key_facts")
    position = models.PositiveSmallIntegerField(default=0)
    figure = models.CharField(max_length=50)
    label = models.CharField(max_length=300)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return f"{self.figure} {self.label}"


class Appeal(DatedMixin):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    issuer = models.CharField(max_length=200)
    addressee = models.CharField(max_length=200)
    introduction = models.TextField(blank=True)
    is_published = models.BooleanField("published", default=False)
    ordering = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PublishedQuerySet.as_manager()

    class Meta:
        ordering = ["ordering", "date", "pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("campaign:appeal-list") + f"#{self.slug}"


class Demand(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="demands")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text[:80]


class Milestone(DatedMixin):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    place = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    is_published = models.BooleanField("published", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PublishedQuerySet.as_manager()

    class Meta:
        ordering = ["date", "pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("campaign:timeline") + f"#{self.slug}"


class Statement(models.Model):
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200, unique=True)
    author = models.CharField(max_length=200)
    organisation = models.CharField(max_length=200, blank=True)
    date = models.DateField()
    place = models.CharField(max_length=200, blank=True)
    occasion = models.CharField(max_length=300, blank=True)
    summary = models.TextField(
        blank=True, help_text="One or two sentences for lists, feeds and search engines."
    )
    body = models.TextField(help_text="Paragraphs separated by a blank line.")
    is_published = models.BooleanField("published", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PublishedQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("campaign:statement-detail", kwargs={"slug": self.slug})


class Contact(models.Model):
    """The organisation's contact details, shown on /about/ and in the footer."""

    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    fax = models.CharField(max_length=50, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    facebook_url = models.URLField(blank=True)
    twitter_url = models.URLField(blank=True)
    youtube_url = models.URLField(blank=True)
    is_current = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "contact details"
        verbose_name_plural = "contact details"
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_contact"
            ),
        ]

    def __str__(self):
        return self.name
