from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.i18n import set_language

from campaign.sitemaps import sitemaps
from campaign.views import site as views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("admin/", admin.site.urls),
    path("api/", include("petitions.api_urls")),
    # The language switcher's POST (Django's set_language: sets the cookie, goes to ?next in the new language).
    path("i18n/setlang/", set_language, name="set-language"),
]

# Every public page under its language: /en/…, /ko/…, /ja/…, /fr/…. A URL without
# the prefix (links in emails already sent, members' sites) is redirected by
# LocaleMiddleware to the visitor's language: cookie, then Accept-Language, then English.
urlpatterns += i18n_patterns(
    path("coalition/", include("coalition.urls")),
    path("testimonies/", include("testimonies.urls")),
    path("", include("petitions.urls")),
    path("", include("campaign.site_urls")),
    prefix_default_language=True,
)

handler400 = "campaign.views.site.bad_request"
handler403 = "campaign.views.site.permission_denied"
handler404 = "campaign.views.site.page_not_found"
handler500 = "campaign.views.site.server_error"
