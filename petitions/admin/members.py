"""The coalition's member admin, with the confirmed signatures each member brought (an aggregate only).

``coalition`` never imports ``petitions``; the column is added here, where the
signatures live, by registering an extended admin in place of coalition's.
"""

from django.contrib import admin
from django.utils.html import escape, format_html_join

from coalition.admin import MemberAdmin
from coalition.models import Member
from petitions import embed
from petitions.models import Petition
from petitions.services import counting

admin.site.unregister(Member)


@admin.register(Member)
class MemberWithSignaturesAdmin(MemberAdmin):
    list_display = [*MemberAdmin.list_display[:5], "confirmed_signatures", *MemberAdmin.list_display[5:]]

    readonly_fields = [*MemberAdmin.readonly_fields, "embed_snippets"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        description = (
            "What this member pastes into its own site to carry the open petitions: the frame "
            "(it may sit only on the member's website, or an address in EMBED_EXTRA_ORIGINS) and the plain "
            "link. Signatures made through either are counted for this member."
        )
        return [
            *fieldsets,
            ("On the member's website", {"fields": ["embed_snippets"], "description": description}),
        ]

    @admin.display(description="snippets to paste")
    def embed_snippets(self, member):
        if not member.is_published:
            return "Publish the member first: the frame and the link count only for published members."
        petitions = Petition.objects.open().order_by("-is_featured", "-opens_at")
        if not petitions:
            return "No petition is open."
        return format_html_join(
            "",
            '<div class="embed-snippet"><p><strong>{}</strong></p>'
            '<p><label>Frame<br><textarea readonly rows="4" cols="90">{}</textarea></label></p>'
            '<p><label>Link<br><input readonly size="90" value="{}"></label></p></div>',
            (
                # escape(): the snippet is HTML to show as text, not to render here.
                (
                    petition.title,
                    escape(embed.snippet(petition, member)),
                    embed.petition_link(petition, member),
                )
                for petition in petitions
            ),
        )

    def get_queryset(self, request):
        # Editors see how many confirmed signatures a member brought, never who signed.
        members = counting.annotate_signatures_brought(members=super().get_queryset(request))
        # The annotation drops the default order; keep pages (and autocomplete) stable.
        return members.order_by(*Member._meta.ordering, "pk")

    @admin.display(description="confirmed signatures", ordering="confirmed_signatures")
    def confirmed_signatures(self, member):
        return member.confirmed_signatures
