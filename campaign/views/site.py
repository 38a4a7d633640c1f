import sys

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

# Site-wide pages -------------------------------------------------------------


@never_cache
@require_safe
def healthz(request):
    """200 when the database answers, 503 when it does not (for load balancers and monitors)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse(
            {"status": "unavailable", "database": "down"}, status=503, headers={"Retry-After": "30"}
        )
    return JsonResponse({"status": "ok", "database": "ok"})


@require_safe
@cache_control(public=True, max_age=86400)
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /petitions/*/confirm/",
        "Disallow: /petitions/*/withdraw/",
        "Disallow: /petitions/*/thanks/",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


# Error pages -------------------------------------------------------------------


def _error_page(request, template_name, status, context=None, headers=None):
    try:
        body = loader.render_to_string(template_name, context or {}, request=request)
    except Exception:  # a broken template or database must still give a page
        body = loader.render_to_string("error_fallback.html", {"status": status})
    response = HttpResponse(body, status=status, headers=headers)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request, exception=None):
    return _error_page(request, "400.html", 400)


def permission_denied(request, exception=None):
    return _error_page(request, "403.html", 403)


def page_not_found(request, exception=None):
    return _error_page(request, "404.html", 404)


def csrf_failure(request, reason=""):
    return _error_page(request, "403_csrf.html", 403)


def server_error(request):
    """500, or a 503 with Retry-After when the database is out of reach."""
    exception = sys.exc_info()[1]
    if isinstance(exception, (OperationalError, InterfaceError)):
        # The context processors may need the database: render without the request.
        return _error_page(None, "503.html", 503, headers={"Retry-After": "30"})
    return _error_page(None, "500.html", 500)
