"""The coalition's member admin, with the confirmed signatures each member brought (an aggregate only).

``coalition`` never imports ``petitions``; the column is added here, where the
signatures live, by registering an extended admin in place of coalition's.

The figures (per petition, day and country) and the member's private figures link are
numbers only, never a signer's name or address, so content editors, who manage the members,
see them and may revoke the link; the "Supporter data" permission is not needed.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape, format_html_join

from coalition.admin import MemberAdmin
from coalition.models import Member
from petitions import embed
from petitions.models import Petition
from petitions.services import counting, staff, tally, tokens

admin.site.unregister(Member)


def figures_link(member):
    """The absolute address of a member's private figures page (in the site's default language)."""
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("petitions:member-figures", kwargs={"token": tokens.make_figures_token(member=member)})
    return settings.SITE_URL + path


@admin.register(Member)
class MemberWithSignaturesAdmin(MemberAdmin):
    list_display = [*MemberAdmin.list_display[:5], "confirmed_signatures", *MemberAdmin.list_display[5:]]
    readonly_fields = [*MemberAdmin.readonly_fields, "private_figures_link", "figures", "embed_snippets"]
    fieldsets = [
        *MemberAdmin.fieldsets,
        (
            "Signatures brought (figures only)",
            {
                "fields": ["private_figures_link", "figures"],
                "description": "The member's own page of the confirmed signatures it brought, per day "
                "and per country: numbers only. Give the link to the member; “Revoke the figures link” "
                "in the list makes it stop working and gives a new one.",
            },
        ),
    ]
    actions = ["revoke_figures_link"]

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

    @admin.display(description="private figures link")
    def private_figures_link(self, member):
        if member.pk is None:
            return "—"
        return figures_link(member)

    @admin.display(description="figures")
    def figures(self, member):
        if member.pk is None:
            return "—"
        found = tally.get_member_figures(member_id=member.pk, petitions=list(Petition.objects.published()))
        return render_to_string("admin/coalition/member/figures.html", {"figures": found})

    @admin.action(description="Revoke the figures link (the member gets a new one)", permissions=["change"])
    def revoke_figures_link(self, request, queryset):
        revoked = staff.revoke_figures_links(members=list(queryset), user=request.user)
        self.message_user(
            request,
            f"Revoked the figures link of {revoked} member(s); give them the new one.",
            messages.SUCCESS,
        )

    def delete_model(self, request, obj):
        member_id = obj.pk
        super().delete_model(request, obj)
        tally.forget_members(member_ids=[member_id])

    def delete_queryset(self, request, queryset):
        member_ids = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        tally.forget_members(member_ids=member_ids)
