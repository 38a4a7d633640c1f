from django.urls import path

from petitions import api, views

app_name = "petitions"

urlpatterns = [
    path("petition/", views.featured_petition, name="featured"),
    path("petitions/<slug:slug>/", views.petition_detail, name="detail"),
    path("petitions/<slug:slug>/thanks/", views.petition_thanks, name="thanks"),
    path("petitions/<slug:slug>/confirm/<str:token>/", views.petition_confirm, name="confirm"),
    path("petitions/<slug:slug>/withdraw/<str:token>/", views.petition_withdraw, name="withdraw"),
    path("petitions/<slug:slug>/countries/", api.petition_countries, name="countries"),
]
