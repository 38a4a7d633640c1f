"""The JSON API, outside the language prefixes: its answers are the same in every language."""

from django.urls import path

from petitions import api

app_name = "api"

urlpatterns = [
    path("v1/petitions/", api.api_petition_list, name="petition-list"),
    path("v1/petitions/<slug:slug>/", api.api_petition_detail, name="petition-detail"),
]
