"""The site's URLs plus two that fail on purpose, so the checks can visit the 500 and 503 pages."""

from django.db import OperationalError
from django.urls import path

from campaign.urls import handler400, handler403, handler404, handler500
from campaign.urls import urlpatterns as site_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def server_error(request):
    raise RuntimeError("A deliberate error: the accessibility checks visit the 500 page.")


def database_down(request):
    raise OperationalError("A deliberate error: the accessibility checks visit the 503 page.")


urlpatterns = [
    path("__checks__/500/", server_error),
    path("__checks__/503/", database_down),
    *site_urlpatterns,
]
