from django.urls import path
from django.views.generic import TemplateView

app_name = "testimonies"

urlpatterns = [
    path("", TemplateView.as_view(template_name="testimonies/testimony_list.html"), name="list"),
    path(
        "<slug:slug>/", TemplateView.as_view(template_name="testimonies/testimony_detail.html"), name="detail"
    ),
]
