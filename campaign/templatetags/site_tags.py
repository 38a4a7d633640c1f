"""Tags for the site's shell: navigation links that know the current page, pagination links, safe hrefs."""

from urllib.parse import urlsplit

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_link(context, url_name, label, exact=False):
    """A navigation link marked ``aria-current`` on its page (and, unless exact, the pages below it)."""
    url = reverse(url_name)
    request = context.get("request")
    path = request.path if request is not None else ""
    current = path == url or (not exact and url != "/" and path.startswith(url))
    if current:
        aria = "page" if path == url else "true"
        return format_html('<a href="{}" aria-current="{}">{}</a>', url, aria, label)
    return format_html('<a href="{}">{}</a>', url, label)


@register.simple_tag(takes_context=True)
def page_query(context, number):
    """The current query string with ``page`` set to ``number`` (filters survive paging)."""
    request = context.get("request")
    query = request.GET.copy() if request is not None else None
    if query is None:
        return f"?page={number}"
    query["page"] = number
    return "?" + query.urlencode()


@register.filter
def web_url(value):
    """``value`` when it is an http(s) URL, else "".

    The admin's URL fields refuse ``javascript:`` and ``data:`` URLs, but fixtures and the shell do not
    validate: an href built from a stored URL goes through this filter, so it can never run a script.
    """
    text = str(value or "").strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return ""
    return text if scheme in {"http", "https"} else ""
