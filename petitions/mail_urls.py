"""Addresses named in the updates' headers, outside the language prefixes.

A mail client's RFC 8058 one-click POST to the List-Unsubscribe address must get its
answer there, never a redirect to /<lang>/…; the page it shows on a GET is in the
signature's own language, which the view reads from the signature.
"""

from django.urls import path

from petitions import update_pages

app_name = "mail"

urlpatterns = [
    path("unsubscribe/<str:token>/", update_pages.unsubscribe, name="unsubscribe"),
]
