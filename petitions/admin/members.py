"""The coalition's member admin, with the confirmed signatures each member brought (an aggregate only).

``coalition`` never imports ``petitions``; the column is added here, where the
signatures live, by registering an extended admin in place of coalition's.
"""

from django.contrib import admin

from coalition.admin import MemberAdmin
from coalition.models import Member
from petitions.services import counting

admin.site.unregister(Member)


@admin.register(Member)
class MemberWithSignaturesAdmin(MemberAdmin):
    list_display = [*MemberAdmin.list_display[:5], "confirmed_signatures", *MemberAdmin.list_display[5:]]

    def get_queryset(self, request):
        # Editors see how many confirmed signatures a member brought, never who signed.
        members = counting.annotate_signatures_brought(members=super().get_queryset(request))
        # The annotation drops the default order; keep pages (and autocomplete) stable.
        return members.order_by(*Member._meta.ordering, "pk")

    @admin.display(description="confirmed signatures", ordering="confirmed_signatures")
    def confirmed_signatures(self, member):
        return member.confirmed_signatures
