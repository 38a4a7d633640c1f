from django.urls import path

from testimonies.views import TestimonyDetailView, TestimonyListView

app_name = "testimonies"

urlpatterns = [
    path("", TestimonyListView.as_view(), name="list"),
    path("<slug:slug>/", TestimonyDetailView.as_view(), name="detail"),
]
