"""Template tags other apps' templates use: a petition's progress, the signatures a member brought."""

from django import template

from petitions.services import counting, sharing

register = template.Library()


@register.inclusion_tag("petitions/includes/petition_progress.html")
def petition_progress(petition):
    """The count (from the shared cache) and a progress bar toward the goal."""
    if petition is None:
        return {"petition": None, "count": 0}
    return {"petition": petition, "count": counting.get_signature_count(petition=petition)}


@register.simple_tag
def signatures_brought(members):
    """``{% signatures_brought members as brought %}``: each member's confirmed signatures, one query."""
    return counting.count_signatures_brought(members=members)


@register.filter
def brought_by(brought, member):
    """``{{ brought|brought_by:member }}``: the count ``signatures_brought`` found for one member (0 if none)."""
    return brought.get(member.pk, 0)


@register.inclusion_tag("petitions/includes/share_links.html", takes_context=True)
def share_links(context, petition, ref=""):
    """Share links for ``petition``: email, X, Facebook, Bluesky, LINE, WhatsApp, Telegram and copy-link.

    The shared address has no language prefix (each reader gets their own
    language) and carries ``?ref=`` when the sharer came through a member.
    """
    return {
        **sharing.share_links(petition=petition, ref=ref),
        "csp_nonce": context.get("csp_nonce", ""),
    }
