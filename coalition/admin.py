from django.contrib import admin
from django_countries.filters import CountryFilter

from coalition.models import Member
from translations.admin import TranslatedAdmin


@admin.register(Member)
class MemberAdmin(TranslatedAdmin):
    list_display = [
        "name",
        "acronym",
        "kind",
        "country",
        "role",
        "is_published",
        "ordering",
    ]
    list_display_links = ["name"]
    list_editable = ["is_published", "ordering"]
    # Only the countries members have, not all 249.
    list_filter = ["is_published", "kind", ("country", CountryFilter)]
    search_fields = ["name", "acronym", "description", "role"]
    prepopulated_fields = {"slug": ["name"]}
    list_per_page = 100
    fieldsets = [
        (None, {"fields": ["name", "slug", "acronym", "kind"]}),
        (
            "About",
            {
                "fields": ["country", "role", "description", "website"],
                "description": "Leave the country empty when the source gives none: never guess one.",
            },
        ),
        ("Publishing", {"fields": ["is_published", "ordering"]}),
    ]
