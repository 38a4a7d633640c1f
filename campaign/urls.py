from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from campaign.caching import cached_urlconf
from campaign.sitemaps import sitemaps
from campaign.views import site as views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("admin/", admin.site.urls),
    # Anonymous pages from the shared cache (campaign/caching.py); the apps
    # themselves do not import campaign, so their views are wrapped here.
    path(
        "coalition/",
        include(
            cached_urlconf("coalition.urls", {"member-list": {"query_params": ("country", "kind", "page")}})
        ),
    ),
    path(
        "testimonies/",
        include(
            cached_urlconf("testimonies.urls", {"list": {"query_params": ("topic", "page")}, "detail": {}})
        ),
    ),
    path("", include("petitions.urls")),
    path("", include("campaign.site_urls")),
]

handler400 = "campaign.views.site.bad_request"
handler403 = "campaign.views.site.permission_denied"
handler404 = "campaign.views.site.page_not_found"
handler500 = "campaign.views.site.server_error"
