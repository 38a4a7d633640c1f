from django.urls import path
from django.views.generic import TemplateView

app_name = "coalition"

urlpatterns = [
    path("", TemplateView.as_view(template_name="coalition/member_list.html"), name="member-list"),
]
