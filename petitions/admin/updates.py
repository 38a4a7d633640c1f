"""Admin for updates to supporters: write, preview, test, see the reach, send, follow the progress.

Only staff with ``petitions.send_update`` see updates at all: neither editing content nor reading
supporter data lets anyone email the supporters. A sent update is read-only. The subject and body
are written once per language (``subject [en]``, ``subject [ko]`` …, as content is); the send page
shows the reach per language and previews the emails in any of them.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from petitions import markup, update_mail
from petitions.models import Signature, Update
from petitions.services import updates
from translations.admin import TranslatedAdmin

SEND_PERMISSION = "petitions.send_update"


@admin.register(Update)
class UpdateAdmin(TranslatedAdmin):
    list_display = ["__str__", "petition", "published_at", "publish_on_petition"]
    list_filter = ["petition"]
    list_select_related = ["petition"]
    fields = ["petition", "subject", "body", "publish_on_petition", "published_at", "sent_by", "progress"]
    readonly_fields = ["published_at", "sent_by", "progress"]
    change_form_template = "admin/petitions/update/change_form.html"

    def _may_send(self, request):
        return request.user.is_active and request.user.has_perm(SEND_PERMISSION)

    def has_module_permission(self, request):
        return self._may_send(request)

    def has_view_permission(self, request, obj=None):
        return self._may_send(request)

    def has_add_permission(self, request):
        return self._may_send(request)

    def has_change_permission(self, request, obj=None):
        return self._may_send(request) and (obj is None or not obj.is_sent)

    def has_delete_permission(self, request, obj=None):
        return self._may_send(request) and obj is not None and not obj.is_sent

    @admin.display(description="progress")
    def progress(self, obj):
        if obj.pk is None or not obj.is_sent:
            return "Not sent yet."
        progress = updates.get_update_progress(update=obj)
        bar = format_html(
            '<progress class="update-progress" max="{}" value="{}">{} of {}</progress> '
            "{} sent, {} failed, {} queued",
            max(progress["total"], 1),
            progress["done"],
            progress["done"],
            progress["total"],
            progress["sent"],
            progress["failed"],
            progress["queued"] + progress["sending"],
        )
        reasons = format_html_join("", "<li>{}: {}</li>", progress["reasons"])
        return format_html("{}<ul>{}</ul>", bar, reasons) if progress["reasons"] else bar

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:update_id>/send/", view(self.send_view), name="petitions_update_send"),
            path(
                "<int:update_id>/preview.html", view(self.preview_html_view), name="petitions_update_preview"
            ),
            *super().get_urls(),
        ]

    def _update_for(self, request, update_id):
        if not self._may_send(request):
            raise PermissionDenied
        return get_object_or_404(Update.objects.select_related("petition"), pk=update_id)

    def _preview_language(self, request):
        language = request.GET.get("language", "")
        return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

    def _preview_message(self, update, request, language):
        signature = Signature(
            pk=0,
            petition=update.petition,
            name="Supporter name",
            email="supporter@example.org",
            language=language,
        )
        try:
            return update_mail.build_update_message(
                update=update, signature=signature, to=request.user.email or None
            )
        except update_mail.NothingToRead:
            return None

    def preview_html_view(self, request, update_id):
        """The HTML email on its own, as a mail client shows it (``?language=ko``)."""
        update = self._update_for(request, update_id)
        message = self._preview_message(update, request, self._preview_language(request))
        if message is None:
            return HttpResponse("Not written in this language nor in English.", content_type="text/plain")
        html, _ = message.alternatives[0]
        return HttpResponse(html)

    def send_view(self, request, update_id):
        """GET: both emails (``?language=`` any), the reach per language, and the buttons.

        POST: send a test to oneself (in the previewed language), or send to everyone.
        """
        update = self._update_for(request, update_id)
        language = self._preview_language(request)
        if request.method == "POST" and "test" in request.POST:
            language = request.POST.get("language", language)
            if not request.user.email:
                messages.error(request, "Your account has no email address to send a test to.")
            elif update.text_language(language) is None:
                messages.error(request, "This update is written neither in that language nor in English.")
            else:
                updates.send_test_update(update=update, email=request.user.email, language=language)
                messages.success(request, f"A test ({language}) went to {request.user.email}.")
            return redirect(f"{request.path}?language={language}")
        if request.method == "POST" and "send" in request.POST:
            try:
                queued = updates.send_update(update=update, user=request.user)
            except updates.AlreadySent:
                messages.error(request, "This update was sent already.")
            else:
                messages.success(request, f"Sending to {queued} supporter(s).")
            return redirect(reverse("admin:petitions_update_change", args=[update.pk]))
        message = self._preview_message(update, request, language)
        text_language = update.text_language(language)
        reach = updates.reach_by_language(update=update)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "update": update,
            "title": f"Send “{update}”",
            "reach": reach,
            "reach_total": updates.count_recipients(petition=update.petition, update=update)["total"],
            "language": language,
            "languages": settings.LANGUAGES,
            "text_language": text_language,
            "preview_text": message.body if message else None,
            "preview_html": markup.render_html(update.text_in(text_language)[1]) if message else None,
            "headers": message.extra_headers if message else {},
            "progress": updates.get_update_progress(update=update) if update.is_sent else None,
        }
        return TemplateResponse(request, "admin/petitions/update/send.html", context)
