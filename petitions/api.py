"""Public aggregates: the countries page and the OSDI-style JSON API. Counts only, never a person."""

from functools import wraps

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django_countries import countries as all_countries

from pagecache import cache_public_page
from petitions.models import Petition
from petitions.services import counting
from petitions.views import get_published_petition
from translations.urls import without_language_prefix

# Bars start after the labels column and take at most this share of the chart's width (percent).
CHART_LABEL_WIDTH = 32
CHART_BAR_WIDTH = 56
CHART_ROW_HEIGHT = 28


def petition_countries(request, slug):
    petition = get_published_petition(slug)
    counts = counting.count_by_country(petition=petition)
    largest = max((n for _, n in counts), default=0)
    rows = []
    for position, (code, n) in enumerate(counts):
        bar = round(n / largest * CHART_BAR_WIDTH, 2) if largest else 0
        rows.append(
            {
                "code": code,
                "name": all_countries.name(code) if code else "Not given",
                "signatures": n,
                # Plain numbers ("56", "28.5"): SVG attributes take no locale formatting.
                "bar_width": f"{bar:g}",
                "count_x": f"{CHART_LABEL_WIDTH + bar + 1:g}",
                "y": position * CHART_ROW_HEIGHT,
                "text_y": position * CHART_ROW_HEIGHT + CHART_ROW_HEIGHT // 2 + 5,
            }
        )
    context = {
        "petition": petition,
        "rows": rows,
        "total": sum(n for _, n in counts),
        "chart_label_width": CHART_LABEL_WIDTH,
        "chart_row_height": CHART_ROW_HEIGHT - 6,
        "chart_height": len(rows) * CHART_ROW_HEIGHT,
    }
    return render(request, "petitions/petition_countries.html", context)


API_ALLOWED_METHODS = ("GET", "HEAD", "OPTIONS")


def _api_response(data, status=200):
    response = JsonResponse(data, status=status, content_type="application/hal+json")
    response["Access-Control-Allow-Origin"] = "*"
    if status == 200:
        max_age = settings.PETITION_COUNT_MAX_AGE
        response["Cache-Control"] = f"public, max-age={max_age}, stale-while-revalidate={max_age * 6}"
    return response


def public_api(view):
    """Read-only, cross-origin JSON: GET/HEAD/OPTIONS, anything else a JSON 405."""

    @csrf_exempt  # Nothing here changes state; a POST must get 405, not a CSRF 403.
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Origin"] = "*"
            response["Access-Control-Allow-Methods"] = ", ".join(API_ALLOWED_METHODS)
            response["Access-Control-Max-Age"] = "86400"
        elif request.method not in API_ALLOWED_METHODS:
            response = _api_response(
                {"error": "Method not allowed", "allowed": list(API_ALLOWED_METHODS)}, 405
            )
        else:
            # In the source language whatever the visitor's: the JSON is the same for
            # everyone (one cached copy), as it was before the site had languages.
            with translation.override(settings.LANGUAGE_CODE):
                return cached(request, *args, **kwargs)
        response["Allow"] = ", ".join(API_ALLOWED_METHODS)
        return response

    # The same JSON for everyone, as old as the count at most: a spike of
    # widget loads is served from the shared cache, whatever the data size.
    cached = cache_public_page(public=True, timeout=lambda: settings.PETITION_COUNT_MAX_AGE)(view)
    return wrapper


def petition_resource(petition):
    """One petition with OSDI field names (no personal data: counts only)."""
    self_href = settings.SITE_URL + reverse("api:petition-detail", kwargs={"slug": petition.slug})
    return {
        "identifiers": [f"{settings.API_IDENTIFIER_PREFIX}:{petition.slug}"],
        "title": petition.title,
        "description": petition.description,
        "petition_text": petition.ask,
        "target": [{"name": petition.addressee}],
        "total_signatures": counting.get_signature_count(petition=petition),
        "browser_url": settings.SITE_URL + without_language_prefix(petition.get_absolute_url()),
        "created_date": petition.created_at.isoformat(),
        "modified_date": petition.updated_at.isoformat(),
        "_links": {"self": {"href": self_href}},
    }


@public_api
def api_petition_list(request):
    petitions = [petition_resource(petition) for petition in Petition.objects.published()]
    return _api_response(
        {
            "total_records": len(petitions),
            "total_pages": 1,
            "page": 1,
            "per_page": len(petitions),
            "_links": {"self": {"href": settings.SITE_URL + reverse("api:petition-list")}},
            "_embedded": {"osdi:petitions": petitions},
        }
    )


@public_api
def api_petition_detail(request, slug):
    petition = Petition.objects.published().filter(slug=slug).first()
    if petition is None:
        return _api_response({"error": "Not found"}, 404)
    return _api_response(petition_resource(petition))
