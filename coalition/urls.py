from django.urls import path

from coalition.views import MemberListView

app_name = "coalition"

urlpatterns = [
    path("", MemberListView.as_view(), name="member-list"),
]
