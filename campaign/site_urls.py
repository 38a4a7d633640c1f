from django.urls import path
from django.views.generic import TemplateView

from campaign import views

app_name = "campaign"


def _placeholder(title):
    return TemplateView.as_view(template_name="placeholder.html", extra_context={"title": title})


urlpatterns = [
    path("", views.home, name="home"),
    path("appeals/", _placeholder("Appeals"), name="appeal-list"),
    path("timeline/", _placeholder("Timeline"), name="timeline"),
    path("news/", _placeholder("News"), name="statement-list"),
    path("news/<slug:slug>/", _placeholder("Statement"), name="statement-detail"),
    path("about/", _placeholder("About"), name="about"),
    path("privacy/", _placeholder("Privacy"), name="privacy"),
    path("cookies/", _placeholder("Cookie preferences"), name="cookies"),
    path("petition/", _placeholder("Petition"), name="petition"),
    path("petitions/<slug:slug>/", _placeholder("Petition"), name="petition-detail"),
]
