from django.urls import path

from campaign.views import content, petition, site

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
    # Petition.
    path("petition/", petition.petition_redirect, name="petition"),
    path("petitions/<slug:slug>/", petition.petition_detail, name="petition-detail"),
    path("petitions/<slug:slug>/thanks/", petition.petition_thanks, name="petition-thanks"),
    path("petitions/<slug:slug>/confirm/<str:token>/", petition.petition_confirm, name="petition-confirm"),
    path("petitions/<slug:slug>/withdraw/<str:token>/", petition.petition_withdraw, name="petition-withdraw"),
    path("petitions/<slug:slug>/countries/", petition.petition_countries, name="petition-countries"),
    path("api/v1/petitions/", petition.api_petition_list, name="api-petition-list"),
    path("api/v1/petitions/<slug:slug>/", petition.api_petition_detail, name="api-petition-detail"),
]
