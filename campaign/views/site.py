import sys

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, HttpResponsePermanentRedirect, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_cookie
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from campaign import consent

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
def favicon(request):
    """Browsers ask for /favicon.ico even on JSON and XML pages; send them to the site's icon."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


@require_safe
@cache_control(public=True, max_age=86400)
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        # Every language's copy: /en/petitions/…, /ko/petitions/… (and the old unprefixed links).
        "Disallow: /*petitions/*/confirm/",
        "Disallow: /*petitions/*/withdraw/",
        "Disallow: /*petitions/*/thanks/",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_cookie
@cache_control(private=True)
def cookie_preferences(request):
    """Show the visitor's cookie choice; a POST stores a new one and goes back where they were.

    Works without JavaScript: the banner's buttons are a plain form posting here.
    """
    if request.method == "POST":
        choice = request.POST.get("choice", "")
        if choice not in consent.CHOICES:
            return bad_request(request)
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("campaign:home")
        response = HttpResponseRedirect(next_url, status=303)
        return consent.store_consent(response, choice)
    return render(
        request,
        "campaign/cookies.html",
        {"analytics_configured": bool(settings.ANALYTICS_SCRIPT_URL)},
    )


# Error pages -------------------------------------------------------------------


def _error_page(request, template_name, status, context=None, headers=None):
    # Without a request the context processors do not run: give the shell what it needs.
    base_context = {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL, "status": status}
    try:
        body = loader.render_to_string(template_name, base_context | (context or {}), request=request)
    except Exception:  # a broken template or database must still give a page
        body = loader.render_to_string("error_fallback.html", base_context | _fallback_assets())
    response = HttpResponse(body, status=status, headers=headers)
    response["Cache-Control"] = "no-store"
    return response


def _fallback_assets():
    """The stylesheet for the fallback page, if the static files manifest can name it."""
    try:
        return {"stylesheet": static("css/site.css"), "favicon": static("img/favicon.svg")}
    except Exception:  # e.g. collectstatic not run: a plain page is better than none
        return {}


def bad_request(request, exception=None):
    return _error_page(request, "400.html", 400)


def permission_denied(request, exception=None):
    return _error_page(request, "403.html", 403)


def page_not_found(request, exception=None):
    return _error_page(request, "404.html", 404)


def csrf_failure(request, reason=""):
    return _error_page(request, "403_csrf.html", 403)


def server_error(request):
    """500, or a 503 with Retry-After when the database or the shared cache (Redis) is out of reach.

    Without Redis the site does not carry on uncached: the rate limits and the
    resend cooldown live there, and a signing spike without them is unguarded.
    """
    exception = sys.exc_info()[1]
    if isinstance(exception, (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)):
        # The context processors may need the database: render without the request.
        return _error_page(None, "503.html", 503, headers={"Retry-After": "30"})
    return _error_page(None, "500.html", 500)
