"""Admin for petitions and supporters' signatures.

Who sees what:
- Content editors edit petitions and their consent wording; they see signatures only as counts by
  state (one aggregate query), never a name, email, comment or IP hash.
- The "Supporter data" group (``campaign.view_signature``) sees signatures, changes their state
  through actions only, and, with ``campaign.export_signature``, exports them as CSV. Every export
  is logged as a ``SignatureExport``.
"""

import csv

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django_countries.filters import CountryFilter

from campaign import services
from campaign.models import ConsentWording, Petition, Signature, SignatureExport

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


class NewConsentWordingInline(admin.StackedInline):
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
class PetitionAdmin(admin.ModelAdmin):
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
    readonly_fields = ["signature_counts", "signatures_by_referrer", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "ask", "description", "addressee", "goal", "is_featured"]}),
        ("Dates and state", {"fields": ["state", "opens_at", "closes_at", "delivered_on", "delivered_to"]}),
        (
            "Signatures",
            {"fields": ["signature_counts", "signatures_by_referrer", "created_at", "updated_at"]},
        ),
    ]
    inlines = [ConsentWordingHistoryInline, NewConsentWordingInline]

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


# --- Signatures (supporter data) --------------------------------------------------------


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

EXPORT_COLUMNS = [
    ("id", lambda s: s.pk),
    ("petition", lambda s: s.petition.slug),
    ("name", lambda s: s.name),
    ("email", lambda s: s.email),
    ("country", lambda s: s.country.code),
    ("comment", lambda s: s.comment),
    ("show_name", lambda s: s.show_name),
    ("keep_informed", lambda s: s.keep_informed),
    ("consent_version", lambda s: s.consent_wording.version),
    ("consented_at", lambda s: s.consented_at.isoformat()),
    ("state", lambda s: s.state),
    ("created_at", lambda s: s.created_at.isoformat()),
    ("confirmed_at", lambda s: s.confirmed_at.isoformat() if s.confirmed_at else ""),
    ("referrer", lambda s: s.referrer.slug if s.referrer_id else ""),
]


def spreadsheet_safe(value):
    """Defuse spreadsheet formulas: a cell starting with = + - @ tab or CR gets a leading quote."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a stream."""

    def write(self, value):
        return value


def _csv_rows(queryset):
    writer = csv.writer(_Echo())
    # A byte order mark, so that spreadsheet programs read names in any script as UTF-8.
    yield "\ufeff"
    yield writer.writerow([name for name, _ in EXPORT_COLUMNS])
    for signature in queryset.iterator(chunk_size=2000):
        yield writer.writerow([spreadsheet_safe(column(signature)) for _, column in EXPORT_COLUMNS])


def describe_export(request, queryset_count):
    """A human summary of what was exported: the changelist filters, search and selection."""
    filters = [
        f"{key}={value}"
        for key, values in sorted(request.GET.lists())
        for value in values
        if key not in {"o", "p", "_changelist_filters"}
    ]
    selection = "all matching" if request.POST.get("select_across") == "1" else f"{queryset_count} selected"
    description = f"{selection}; filters: {', '.join(filters) or 'none'}"
    return description[:500]


class BulkInvalidationForm(forms.Form):
    petition = forms.ModelChoiceField(
        queryset=Petition.objects.all(), required=False, empty_label="Any petition"
    )
    ip_hash = forms.CharField(label="IP hash", max_length=64, required=False)
    email_domain = forms.CharField(
        max_length=253, required=False, help_text="e.g. example.org: matches every address at that domain."
    )
    created_from = forms.DateTimeField(
        label="Signed from",
        required=False,
        help_text="Inclusive.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    created_to = forms.DateTimeField(
        label="Signed before",
        required=False,
        help_text="Exclusive.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def clean_email_domain(self):
        domain = self.cleaned_data["email_domain"].strip().lstrip("@").lower()
        if domain and ("." not in domain or any(char.isspace() or char == "@" for char in domain)):
            raise forms.ValidationError("Enter a domain such as example.org.")
        return domain

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(field) for field in ("ip_hash", "email_domain", "created_from", "created_to")):
            raise forms.ValidationError("Give an IP hash, an email domain or a time range.")
        start, end = cleaned.get("created_from"), cleaned.get("created_to")
        if start and end and start >= end:
            self.add_error("created_to", "The end must come after the start.")
        return cleaned


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "country", "state", "petition", "referrer", "created_at", "confirmed_at"]
    list_filter = [
        "state",
        "petition",
        ("country", CountryFilter),
        "referrer",
        ("created_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["petition", "referrer"]
    search_fields = ["email", "email_normalised"]
    search_help_text = "Search by email address, or part of one (e.g. a domain)."
    # A full count of a million rows on every page view is wasted work.
    show_full_result_count = False
    list_per_page = 100
    fields = [
        "petition",
        "state",
        "name",
        "email",
        "email_normalised",
        "country",
        "comment",
        "show_name",
        "keep_informed",
        "consent_wording",
        "consented_at",
        "created_at",
        "confirmation_sent_at",
        "confirmed_at",
        "withdrawn_at",
        "ip_hash",
        "referrer",
    ]
    # Personal data is never edited here; state changes go through the actions.
    readonly_fields = fields
    actions = ["export_csv", "invalidate", "clear_suspected", "resend_confirmation"]
    change_list_template = "admin/campaign/signature/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # A single signature's page is read-only (no Save button); state changes go through
        # the changelist's actions and the bulk invalidation page, which ask without an object.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_export_permission(self, request):
        return request.user.has_perm("campaign.export_signature")

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "can_invalidate_in_bulk": self.has_change_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path(
                "bulk-invalidate/",
                self.admin_site.admin_view(self.bulk_invalidate_view),
                name="campaign_signature_bulk_invalidate",
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Export selected signatures as CSV", permissions=["export"])
    def export_csv(self, request, queryset):
        queryset = queryset.select_related("petition", "referrer", "consent_wording")
        rows = queryset.count()
        SignatureExport.objects.create(
            user=request.user, rows=rows, description=describe_export(request, rows)
        )
        response = StreamingHttpResponse(_csv_rows(queryset), content_type="text/csv; charset=utf-8")
        filename = f"signatures-{timezone.now():%Y%m%d-%H%M%S}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Invalidate selected signatures", permissions=["change"])
    def invalidate(self, request, queryset):
        changed = services.invalidate_signatures(queryset=queryset)
        self.message_user(request, f"{changed} signature(s) invalidated.", messages.SUCCESS)

    @admin.action(description="Clear suspected (and send their confirmation email)", permissions=["change"])
    def clear_suspected(self, request, queryset):
        cleared = services.clear_suspected(queryset=queryset)
        self.message_user(
            request,
            f"{cleared} suspected signature(s) cleared; confirmation emails queued.",
            messages.SUCCESS,
        )

    @admin.action(description="Resend the confirmation email (pending only)", permissions=["change"])
    def resend_confirmation(self, request, queryset):
        sent = services.resend_confirmations(queryset=queryset)
        self.message_user(request, f"{sent} confirmation email(s) queued.", messages.SUCCESS)

    def bulk_invalidate_view(self, request):
        """Invalidate by IP hash, email domain or time range: preview the count, then confirm."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = BulkInvalidationForm(request.POST or None)
        preview = None
        if request.method == "POST" and form.is_valid():
            criteria = form.cleaned_data
            if "confirm" in request.POST:
                changed = services.invalidate_matching(**criteria)
                self.message_user(request, f"{changed} signature(s) invalidated.", messages.SUCCESS)
                return redirect(reverse("admin:campaign_signature_changelist"))
            matching = services.signatures_matching(**criteria)
            preview = matching.aggregate(
                total=Count("pk"),
                to_invalidate=Count("pk", filter=Q(state__in=services.INVALIDATABLE_STATES)),
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Invalidate signatures in bulk",
            "form": form,
            "preview": preview,
        }
        return TemplateResponse(request, "admin/campaign/signature/bulk_invalidate.html", context)


@admin.register(SignatureExport)
class SignatureExportAdmin(admin.ModelAdmin):
    """The audit log of CSV exports: read-only."""

    list_display = ["created_at", "user", "rows", "description"]
    list_filter = [("created_at", admin.DateFieldListFilter)]
    list_select_related = ["user"]
    fields = list_display
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
