"""/sitemap.xml: every public page in every language, with absolute URLs on SITE_URL's scheme and host.

Each page is listed once per language (/en/…, /ko/…, /ja/…, /fr/…), each entry
with its hreflang alternates and an x-default (the unprefixed address, which
redirects to the visitor's language).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from campaign.models import Statement
from petitions.models import Petition
from testimonies.models import Testimony


class SiteUrlSitemap(Sitemap):
    """Build locations from settings.SITE_URL rather than the request's Host header."""

    i18n = True
    alternates = True
    x_default = True

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme or "https"

    def get_domain(self, site=None):
        parts = urlsplit(settings.SITE_URL)
        return parts.netloc + parts.path.rstrip("/")


class StaticPagesSitemap(SiteUrlSitemap):
    changefreq = "weekly"

    def items(self):
        return [
            "campaign:home",
            "campaign:appeal-list",
            "campaign:timeline",
            "campaign:statement-list",
            "campaign:about",
            "campaign:privacy",
            "campaign:cookies",
            "coalition:member-list",
            "testimonies:list",
        ]

    def location(self, item):
        return reverse(item)


class PetitionSitemap(SiteUrlSitemap):
    changefreq = "daily"

    def items(self):
        return Petition.objects.published().order_by("pk")

    def lastmod(self, item):
        return item.updated_at


class StatementSitemap(SiteUrlSitemap):
    changefreq = "monthly"

    def items(self):
        return Statement.objects.published().defer("body").order_by("-date", "-pk")

    def lastmod(self, item):
        return item.updated_at


class TestimonySitemap(SiteUrlSitemap):
    changefreq = "monthly"

    def items(self):
        return Testimony.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, item):
        return item.updated_at


sitemaps = {
    "pages": StaticPagesSitemap,
    "petitions": PetitionSitemap,
    "news": StatementSitemap,
    "testimonies": TestimonySitemap,
}
