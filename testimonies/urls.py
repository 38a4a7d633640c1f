from django.urls import path

from testimonies.views import testimony_detail, testimony_list

app_name = "testimonies"

urlpatterns = [
    path("", testimony_list, name="list"),
    path("<slug:slug>/", testimony_detail, name="detail"),
]
