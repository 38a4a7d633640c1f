"""Admin for campaign content: campaign, appeals and demands, milestones, statements, contact."""

from django.contrib import admin
from django.db.models import Count
from django_otp_webauthn.admin import WebAuthnCredentialAdmin
from django_otp_webauthn.models import WebAuthnCredential

from campaign.models import Appeal, Campaign, Contact, Demand, KeyFact, Milestone, Statement
from translations.admin import TranslatedAdmin, TranslationTabularInline


class KeyFactInline(TranslationTabularInline):
    model = KeyFact
    extra = 0
    fields = ["position", "figure", "label"]
    ordering = ["position", "pk"]


@admin.register(Campaign)
class CampaignAdmin(TranslatedAdmin):
    list_display = ["name", "short_name", "is_current", "updated_at"]
    list_filter = ["is_current"]
    search_fields = ["name", "short_name", "objective"]
    inlines = [KeyFactInline]


class DemandInline(TranslationTabularInline):
    model = Demand
    extra = 1
    fields = ["position", "text"]
    ordering = ["position", "pk"]


@admin.register(Appeal)
class AppealAdmin(TranslatedAdmin):
    list_display = [
        "title",
        "issuer",
        "addressee",
        "date_display",
        "demand_count",
        "ordering",
        "is_published",
    ]
    list_display_links = ["title"]
    list_editable = ["ordering", "is_published"]
    list_filter = ["is_published", "issuer", "date_precision"]
    search_fields = ["title", "issuer", "addressee", "introduction", "demands__text"]
    prepopulated_fields = {"slug": ["title"]}
    fieldsets = [
        (None, {"fields": ["title", "slug", "issuer", "addressee", "introduction"]}),
        ("Date", {"fields": ["date", "date_precision"]}),
        ("Publishing", {"fields": ["is_published", "ordering"]}),
    ]
    inlines = [DemandInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(demand_total=Count("demands"))

    @admin.display(description="Date", ordering="date")
    def date_display(self, obj):
        return obj.date_display or "—"

    @admin.display(description="Demands", ordering="demand_total")
    def demand_count(self, obj):
        return obj.demand_total


@admin.register(Milestone)
class MilestoneAdmin(TranslatedAdmin):
    list_display = ["title", "date_display", "place", "is_published"]
    list_filter = ["is_published", "date_precision"]
    search_fields = ["title", "place", "description"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "date"
    fields = ["title", "slug", "date", "date_precision", "place", "description", "is_published"]

    @admin.display(description="Date", ordering="date")
    def date_display(self, obj):
        return obj.date_display or "—"


@admin.register(Statement)
class StatementAdmin(TranslatedAdmin):
    list_display = ["title", "author", "organisation", "date", "is_published"]
    list_filter = ["is_published", "organisation"]
    search_fields = ["title", "author", "organisation", "summary", "body"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "date"
    fieldsets = [
        (None, {"fields": ["title", "slug", "author", "organisation"]}),
        ("When and where", {"fields": ["date", "place", "occasion"]}),
        ("Text", {"fields": ["summary", "body"]}),
        (
            "Publishing",
            {
                "fields": ["is_published"],
                "description": "Staff can preview a draft with “View on site” before publishing it.",
            },
        ),
    ]


@admin.register(Contact)
class ContactAdmin(TranslatedAdmin):
    list_display = ["name", "phone", "email", "is_current", "updated_at"]
    list_filter = ["is_current"]
    search_fields = ["name", "address", "email"]
    fieldsets = [
        (None, {"fields": ["name", "address", "is_current"]}),
        ("Reach us", {"fields": ["phone", "fax", "email", "website"]}),
        ("Social media", {"fields": ["facebook_url", "twitter_url", "youtube_url"]}),
    ]


# Staff passkeys (django-otp-webauthn registers no admin of its own): a superuser removes a
# lost one here, as with the TOTP and recovery-code devices.
admin.site.register(WebAuthnCredential, WebAuthnCredentialAdmin)
