"""Template tags other templates use to show a petition (home page, member pages)."""

from django import template

from campaign.services import get_signature_count

register = template.Library()


@register.inclusion_tag("campaign/includes/petition_progress.html")
def petition_progress(petition):
    """The count (from the shared cache) and a progress bar toward the goal."""
    if petition is None:
        return {"petition": None, "count": 0}
    return {"petition": petition, "count": get_signature_count(petition)}
