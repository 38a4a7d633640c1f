"""Admin for petitions and their consent wording.

Content editors edit petitions and their consent wording; they see signatures only as counts by
state (one aggregate query), never a name, email, comment or IP hash.
"""

from django.contrib import admin
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.html import format_html_join

from petitions.models import ConsentWording, Petition, Signature
from translations.admin import TranslatedAdmin, TranslationStackedInline

CLOSED_STATES = {Petition.State.CLOSED, Petition.State.DELIVERED}
STATE_COUNT_FIELDS = {state: f"{state.value}_count" for state in Signature.State}


def _state_count_column(state):
    """A list column showing (and sorting by) one state's count, annotated by ``get_queryset``."""
    field = STATE_COUNT_FIELDS[state]

    @admin.display(description=state.value, ordering=field)
    def column(self, obj):
        return getattr(obj, field)

    return column


# --- Petitions -------------------------------------------------------------------


class ConsentWordingHistoryInline(admin.TabularInline):
    """Versions already shown to signers: read-only, because signatures point at them."""

    model = ConsentWording
    verbose_name = "consent wording version"
    verbose_name_plural = "consent wording history"
    fields = ["version", "text", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NewConsentWordingInline(TranslationStackedInline):
    """A new consent wording; it gets the next version number when saved."""

    model = ConsentWording
    verbose_name = "new consent wording"
    verbose_name_plural = "new consent wording"
    fields = ["text"]
    extra = 1
    max_num = 1
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None):
        # Lets add-only users save: the inline never lists existing rows anyway.
        return self.has_add_permission(request, obj)


@admin.register(Petition)
class PetitionAdmin(TranslatedAdmin):
    list_display = [
        "title",
        "state",
        "is_featured",
        "opens_at",
        "closes_at",
        "goal",
        "confirmed_count",
        "pending_count",
        "suspected_count",
        "withdrawn_count",
        "invalidated_count",
    ]
    list_filter = ["state", "is_featured"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["signature_counts", "signatures_by_referrer", "closed_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "ask", "description", "addressee", "goal", "is_featured"]}),
        (
            "Dates and state",
            {"fields": ["state", "opens_at", "closes_at", "closed_at", "delivered_on", "delivered_to"]},
        ),
        (
            "Signatures",
            {"fields": ["signature_counts", "signatures_by_referrer", "created_at", "updated_at"]},
        ),
    ]
    inlines = [ConsentWordingHistoryInline, NewConsentWordingInline]

    def save_model(self, request, obj, form, change):
        # Retention anonymises a petition closed without a closes_at date counting from here.
        if obj.state in CLOSED_STATES and obj.closed_at is None:
            obj.closed_at = timezone.now()
        elif obj.state not in CLOSED_STATES:
            obj.closed_at = None
        super().save_model(request, obj, form, change)

    def get_queryset(self, request):
        # One aggregate query gives every state's count, for the list and the change form.
        return (
            super()
            .get_queryset(request)
            .annotate(
                **{
                    field: Count("signatures", filter=Q(signatures__state=state))
                    for state, field in STATE_COUNT_FIELDS.items()
                }
            )
            # Meta.ordering is dropped from aggregate queries; autocomplete pages need an order.
            .order_by(*Petition._meta.ordering, "pk")
        )

    confirmed_count = _state_count_column(Signature.State.CONFIRMED)
    pending_count = _state_count_column(Signature.State.PENDING)
    suspected_count = _state_count_column(Signature.State.SUSPECTED)
    withdrawn_count = _state_count_column(Signature.State.WITHDRAWN)
    invalidated_count = _state_count_column(Signature.State.INVALIDATED)

    @admin.display(description="signatures by state")
    def signature_counts(self, obj):
        if obj.pk is None:
            return "—"
        return ", ".join(
            f"{state.label.lower()}: {getattr(obj, field, 0)}" for state, field in STATE_COUNT_FIELDS.items()
        )

    @admin.display(description="confirmed signatures by referring member")
    def signatures_by_referrer(self, obj):
        if obj.pk is None:
            return "—"
        # An aggregate (one GROUP BY): which coalition member brought how many confirmed signatures.
        rows = (
            obj.signatures.filter(state=Signature.State.CONFIRMED, referrer__isnull=False)
            .values_list("referrer__name")
            .annotate(signatures=Count("pk"))
            .order_by("-signatures", "referrer__name")
        )
        return format_html_join(", ", "{}: {}", rows) or "none"

    def save_formset(self, request, form, formset, change):
        if formset.model is not ConsentWording:
            return super().save_formset(request, form, formset, change)
        # Existing versions are read-only; a new wording takes the next version number.
        new_wordings = [wording for wording in formset.save(commit=False) if wording.pk is None]
        if new_wordings:
            latest = ConsentWording.objects.filter(petition=form.instance).aggregate(latest=Max("version"))[
                "latest"
            ]
            for offset, wording in enumerate(new_wordings, start=1):
                wording.petition = form.instance
                wording.version = (latest or 0) + offset
                wording.save()
        return None
