"""The petition: sign, thanks, confirm, withdraw, countries, and the public API."""

from django.views.generic import TemplateView


def _placeholder(title):
    return TemplateView.as_view(template_name="placeholder.html", extra_context={"title": title})


petition_redirect = _placeholder("Petition")
petition_detail = _placeholder("Petition")
petition_thanks = _placeholder("Thank you")
petition_confirm = _placeholder("Confirm")
petition_withdraw = _placeholder("Withdraw")


# --- Public aggregates: countries page and the OSDI-style API (staff branch) -----------------
# Imports for this block live here so that the two halves of the module merge cleanly.
from functools import wraps  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.shortcuts import get_object_or_404, render  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402
from django_countries import countries as all_countries  # noqa: E402

from campaign import services  # noqa: E402
from campaign.models import Petition, Signature  # noqa: E402

# Bars start after the labels column and take at most this share of the chart's width (percent).
CHART_LABEL_WIDTH = 32
CHART_BAR_WIDTH = 56
CHART_ROW_HEIGHT = 28


def country_counts(petition):
    """Confirmed signatures by country, most first: one GROUP BY query, cached briefly."""
    key = f"petition:{petition.pk}:countries"
    rows = cache.get(key)
    if rows is None:
        rows = list(
            Signature.objects.filter(petition=petition, state=Signature.State.CONFIRMED)
            .values_list("country")
            .annotate(signatures=Count("pk"))
            .order_by("-signatures", "country")
        )
        cache.set(key, rows, settings.PETITION_COUNT_MAX_AGE)
    return rows


def petition_countries(request, slug):
    petition = get_object_or_404(Petition.objects.published(), slug=slug)
    counts = country_counts(petition)
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
    return render(request, "campaign/petition_countries.html", context)


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
            return view(request, *args, **kwargs)
        response["Allow"] = ", ".join(API_ALLOWED_METHODS)
        return response

    return wrapper


def petition_resource(petition):
    """One petition with OSDI field names (no personal data: counts only)."""
    self_href = settings.SITE_URL + reverse("campaign:api-petition-detail", kwargs={"slug": petition.slug})
    return {
        "identifiers": [f"{settings.API_IDENTIFIER_PREFIX}:{petition.slug}"],
        "title": petition.title,
        "description": petition.description,
        "petition_text": petition.ask,
        "target": [{"name": petition.addressee}],
        "total_signatures": services.get_signature_count(petition),
        "browser_url": settings.SITE_URL + petition.get_absolute_url(),
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
            "_links": {"self": {"href": settings.SITE_URL + reverse("campaign:api-petition-list")}},
            "_embedded": {"osdi:petitions": petitions},
        }
    )


@public_api
def api_petition_detail(request, slug):
    petition = Petition.objects.published().filter(slug=slug).first()
    if petition is None:
        return _api_response({"error": "Not found"}, 404)
    return _api_response(petition_resource(petition))
