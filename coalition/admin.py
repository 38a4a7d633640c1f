from django.contrib import admin
from django_countries.filters import CountryFilter

from coalition.models import Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "acronym",
        "kind",
        "country",
        "role",
        "confirmed_signatures",
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

    def get_queryset(self, request):
        # An aggregate only: editors see how many confirmed signatures a member brought,
        # never who signed.
        return (
            super()
            .get_queryset(request)
            .with_confirmed_signatures()
            # The annotation drops the default order; keep pages (and autocomplete) stable.
            .order_by(*Member._meta.ordering, "pk")
        )

    @admin.display(description="confirmed signatures", ordering="confirmed_signatures")
    def confirmed_signatures(self, member):
        return member.confirmed_signatures
