"""Admin for supporters' signatures and the log of their exports.

The "Supporter data" group (``petitions.view_signature``) sees signatures, changes their state
through actions only, and, with ``petitions.export_signature``, exports them as CSV. Every export
is logged as a ``SignatureExport``.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django_countries.filters import CountryFilter

from petitions.exports import csv_rows, describe_export
from petitions.models import Petition, Signature, SignatureExport, StaffAction
from petitions.services import staff
from petitions.services.audit import log_staff_action, selected_ids


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


class EraseSupporterForm(forms.Form):
    email = forms.EmailField(
        label="Email address", max_length=254, help_text="The supporter's address, as they gave it to you."
    )


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
    actions = ["export_csv", "invalidate", "hide_name", "clear_suspected", "resend_confirmation"]
    change_list_template = "admin/petitions/signature/change_list.html"

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
        return request.user.has_perm("petitions.export_signature")

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "can_invalidate_in_bulk": self.has_change_permission(request),
            **(extra_context or {}),
        }
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if request.method == "GET" and changelist is not None and changelist.query:
            # That a search ran and how many rows matched; never the search text.
            log_staff_action(
                user=request.user, action=StaffAction.Action.SEARCH, rows=changelist.result_count
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and str(object_id).isdigit():
            log_staff_action(
                user=request.user, action=StaffAction.Action.VIEW_SIGNATURE, signature_ids=[int(object_id)]
            )
        return response

    def get_urls(self):
        return [
            path(
                "bulk-invalidate/",
                self.admin_site.admin_view(self.bulk_invalidate_view),
                name="petitions_signature_bulk_invalidate",
            ),
            path(
                "erase-supporter/",
                self.admin_site.admin_view(self.erase_supporter_view),
                name="petitions_signature_erase_supporter",
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
        log_staff_action(
            user=request.user,
            action=StaffAction.Action.EXPORT,
            rows=rows,
            signature_ids=selected_ids(queryset),
        )
        response = StreamingHttpResponse(csv_rows(queryset), content_type="text/csv; charset=utf-8")
        filename = f"signatures-{timezone.now():%Y%m%d-%H%M%S}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Invalidate selected signatures", permissions=["change"])
    def invalidate(self, request, queryset):
        ids = selected_ids(queryset)
        changed = staff.invalidate_signatures(queryset=queryset)
        log_staff_action(
            user=request.user, action=StaffAction.Action.INVALIDATE, rows=changed, signature_ids=ids
        )
        self.message_user(request, f"{changed} signature(s) invalidated.", messages.SUCCESS)

    @admin.action(
        description="Hide the name from the public list (the signature still counts)", permissions=["change"]
    )
    def hide_name(self, request, queryset):
        hidden = staff.hide_names(queryset=queryset)
        log_staff_action(user=request.user, action=StaffAction.Action.HIDE_NAME, signature_ids=hidden)
        self.message_user(request, f"{len(hidden)} name(s) hidden from the public list.", messages.SUCCESS)

    @admin.action(description="Clear suspected (and send their confirmation email)", permissions=["change"])
    def clear_suspected(self, request, queryset):
        ids = selected_ids(queryset)
        cleared = staff.clear_suspected(queryset=queryset)
        log_staff_action(
            user=request.user, action=StaffAction.Action.CLEAR_SUSPECTED, rows=cleared, signature_ids=ids
        )
        self.message_user(
            request,
            f"{cleared} suspected signature(s) cleared; confirmation emails queued.",
            messages.SUCCESS,
        )

    @admin.action(description="Resend the confirmation email (pending only)", permissions=["change"])
    def resend_confirmation(self, request, queryset):
        ids = selected_ids(queryset)
        sent = staff.resend_confirmations(queryset=queryset)
        log_staff_action(user=request.user, action=StaffAction.Action.RESEND, rows=sent, signature_ids=ids)
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
                changed = staff.invalidate_matching(**criteria)
                given = ", ".join(name for name, value in criteria.items() if value)
                log_staff_action(
                    user=request.user,
                    action=StaffAction.Action.BULK_INVALIDATE,
                    rows=changed,
                    detail=f"by {given}"[:200],
                )
                self.message_user(request, f"{changed} signature(s) invalidated.", messages.SUCCESS)
                return redirect(reverse("admin:petitions_signature_changelist"))
            matching = staff.find_signatures_matching(**criteria)
            preview = matching.aggregate(
                total=Count("pk"),
                to_invalidate=Count("pk", filter=Q(state__in=staff.INVALIDATABLE_STATES)),
            )
        return self._render_tool(
            request, "bulk_invalidate.html", title="Invalidate signatures in bulk", form=form, preview=preview
        )

    def _render_tool(self, request, template, **context):
        context = {**self.admin_site.each_context(request), "opts": self.opts, **context}
        return TemplateResponse(request, f"admin/petitions/signature/{template}", context)

    def erase_supporter_view(self, request):
        """Erase a supporter by email address (a request by post or email): count, then confirm."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = EraseSupporterForm(request.POST or None)
        matching = None
        if request.method == "POST" and form.is_valid():
            email = form.cleaned_data["email"]
            if "confirm" in request.POST:
                ids = staff.erase_supporter(email=email)
                log_staff_action(user=request.user, action=StaffAction.Action.ERASE, signature_ids=ids)
                self.message_user(
                    request, f"{len(ids)} signature(s) erased; counts are unchanged.", messages.SUCCESS
                )
                return redirect(reverse("admin:petitions_signature_changelist"))
            matching = staff.find_supporter_signatures(email=email).count()
        return self._render_tool(
            request, "erase_supporter.html", title="Erase a supporter", form=form, matching=matching
        )


class AuditLogAdmin(admin.ModelAdmin):
    """An audit log: read only, so nobody adds, edits or deletes an entry in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SignatureExport)
class SignatureExportAdmin(AuditLogAdmin):
    """The audit log of CSV exports."""

    list_display = ["created_at", "user", "rows", "description"]
    list_filter = [("created_at", admin.DateFieldListFilter)]
    list_select_related = ["user"]
    fields = list_display
    readonly_fields = list_display


@admin.register(StaffAction)
class StaffActionAdmin(AuditLogAdmin):
    """The staff action log: superusers read it; nobody adds, edits or deletes an entry."""

    list_display = ["created_at", "user", "action", "rows", "detail"]
    list_filter = ["action", ("created_at", admin.DateFieldListFilter), "user"]
    list_select_related = ["user"]
    fields = ["created_at", "user", "action", "rows", "signature_ids", "detail"]
    readonly_fields = fields
    show_full_result_count = False

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser
