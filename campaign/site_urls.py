from django.urls import path

from campaign.views import content, site

app_name = "campaign"

urlpatterns = [
    # Content (a stable URL map: coalition members link to these).
    path("", content.home, name="home"),
    path("appeals/", content.appeal_list, name="appeal-list"),
    path("timeline/", content.timeline, name="timeline"),
    path("news/", content.statement_list, name="statement-list"),
    path("news/feed/", content.statement_feed, name="statement-feed"),
    path("news/<slug:slug>/", content.statement_detail, name="statement-detail"),
    path("about/", content.about, name="about"),
    path("privacy/", content.privacy, name="privacy"),
    path("cookies/", site.cookie_preferences, name="cookies"),
]
