from django.urls import path

from coalition.views import member_list

app_name = "coalition"

urlpatterns = [
    path("", member_list, name="member-list"),
]
