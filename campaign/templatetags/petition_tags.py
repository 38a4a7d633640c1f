"""Template tags other templates use to show a petition (home page, member pages)."""

from django import template

register = template.Library()


@register.inclusion_tag("campaign/includes/petition_progress.html")
def petition_progress(petition):
    """The count and a progress bar toward the goal (implemented with the petition)."""
    return {"petition": petition, "count": None}
