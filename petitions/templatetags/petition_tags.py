"""Template tags other apps' templates use: a petition's progress, the signatures a member brought."""

from django import template

from coalition.models import Member
from petitions.markup import render_html
from petitions.models import Petition
from petitions.services import counting, sharing, tally

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


@register.simple_tag
def member_rankings(limit=20):
    """``{% member_rankings as rankings %}``: for each published petition whose staff switched the
    ranking on (``Petition.show_member_ranking``, off by default), the published members by the
    confirmed signatures each brought, most first. Figures from the tally only."""
    rankings = []
    for petition in Petition.objects.published().filter(show_member_ranking=True):
        brought = tally.get_signatures_brought(petition=petition)
        members = Member.objects.published().in_bulk([pk for pk, _ in brought])
        rows = [{"member": members[pk], "signatures": n} for pk, n in brought if pk in members][:limit]
        if rows:
            rankings.append({"petition": petition, "rows": rows})
    return rankings


@register.filter
def update_html(source):
    """``{{ update.body|update_html }}``: an update's safe markup as HTML paragraphs."""
    return render_html(source)
