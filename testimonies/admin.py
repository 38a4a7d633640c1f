from django.contrib import admin
from django.urls import reverse
from django.utils.http import urlencode

from testimonies.models import Passage, Testimony, Topic
from translations.admin import TranslatedAdmin, TranslationStackedInline


@admin.register(Topic)
class TopicAdmin(TranslatedAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def view_on_site(self, topic):
        return f"{reverse('testimonies:list')}?{urlencode({'topic': topic.slug})}"


class PassageInline(TranslationStackedInline):
    model = Passage
    extra = 1
    ordering = ["position", "pk"]
    fields = ["position", "text", "is_graphic", "warning"]


@admin.register(Testimony)
class TestimonyAdmin(TranslatedAdmin):
    list_display = ["name", "detention_place", "consent_basis", "consent_date", "is_published", "ordering"]
    # Publishing is done in the change form, where a missing consent record is shown
    # next to the fields to fill in; the list only reorders.
    list_editable = ["ordering"]
    list_filter = ["is_published", "consent_basis", "topics"]
    search_fields = ["name", "summary", "body", "detention_place", "given_at", "source"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["topics"]
    inlines = [PassageInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "summary", "body", "topics"]}),
        (
            "Facts",
            {
                "fields": [
                    "detention_place",
                    "years_detained",
                    "age_when_imprisoned",
                    "given_at",
                    "source",
                    "source_url",
                ]
            },
        ),
        (
            "Consent",
            {
                "fields": ["consent_basis", "consent_date", "consent_scope"],
                "description": (
                    "A testimony cannot be published without a consent record: basis, date and scope."
                ),
            },
        ),
        ("Publishing", {"fields": ["is_published", "ordering"]}),
    ]
