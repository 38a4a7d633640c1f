"""Share links: plain addresses of each service's own share page, so nothing loads until a visitor clicks."""

from urllib.parse import quote, urlencode

from django.conf import settings
from django.utils.translation import pgettext

from translations.urls import without_language_prefix


def share_url(*, petition, ref=""):
    """The petition's absolute address without a language prefix, with ``?ref=<member>`` if given."""
    url = settings.SITE_URL + without_language_prefix(petition.get_absolute_url())
    return f"{url}?{urlencode({'ref': ref})}" if ref else url


def share_links(*, petition, ref=""):
    """``{"url", "title", "links": [{"name", "href", "new_tab"}]}`` for the share block."""
    url = share_url(petition=petition, ref=ref)
    title = str(petition.title)
    text = f"{title} {url}"

    def q(value):
        return quote(value, safe="")

    links = [
        (pgettext("share link", "Email"), f"mailto:?subject={q(title)}&body={q(text)}", False),
        ("X", f"https://x.com/intent/post?text={q(title)}&url={q(url)}", True),
        ("Facebook", f"https://www.facebook.com/sharer/sharer.php?u={q(url)}", True),
        ("Bluesky", f"https://bsky.app/intent/compose?text={q(text)}", True),
        ("LINE", f"https://social-plugins.line.me/lineit/share?url={q(url)}", True),
        ("WhatsApp", f"https://wa.me/?text={q(text)}", True),
        ("Telegram", f"https://t.me/share/url?url={q(url)}&text={q(title)}", True),
    ]
    return {
        "url": url,
        "title": title,
        "links": [{"name": name, "href": href, "new_tab": new_tab} for name, href, new_tab in links],
    }
