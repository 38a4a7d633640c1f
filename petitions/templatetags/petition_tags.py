"""Template tags other apps' templates use: a petition's progress, the signatures a member brought."""

from django import template

from petitions.markup import render_html
from petitions.services import counting

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


@register.filter
def update_html(source):
    """``{{ update.body|update_html }}``: an update's safe markup as HTML paragraphs."""
    return render_html(source)
