from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from campaign.sitemaps import sitemaps
from campaign.views import site as views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("admin/", admin.site.urls),
    path("coalition/", include("coalition.urls")),
    path("testimonies/", include("testimonies.urls")),
    path("", include("petitions.urls")),
    path("", include("campaign.site_urls")),
]

handler400 = "campaign.views.site.bad_request"
handler403 = "campaign.views.site.permission_denied"
handler404 = "campaign.views.site.page_not_found"
handler500 = "campaign.views.site.server_error"
