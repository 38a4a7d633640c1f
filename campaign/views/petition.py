"""The petition: sign, thanks, confirm, withdraw, countries, and the public API."""

from functools import wraps

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_countries import countries as all_countries

from campaign import services
from campaign.forms import FORM_SALT, SignatureForm
from campaign.models import ConsentWording, Petition, Signature
from coalition.models import Member
from pagecache import cache_public_page, content_memo, do_not_store, restamp


def _see_other(to, *args, **kwargs):
    """A 303 to a URL name, model or path (a path starting with "/" is used as it is, without a lookup)."""
    if isinstance(to, str) and to.startswith("/") and not args and not kwargs:
        response = HttpResponseRedirect(to)
    else:
        response = redirect(to, *args, **kwargs)
    response.status_code = 303
    return response


def _noindex(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def petition_redirect(request):
    """/petition/: the featured open petition, else the newest open one."""
    petition = Petition.objects.open().order_by("-is_featured", "-opens_at").first()
    if petition is None:
        raise Http404("No petition is open.")
    return redirect(petition)


def _petition_and_wording(slug):
    """The published petition and its current consent wording (or None); 404 if there is no such petition.

    Read once per content version in each process (see ``content_memo``): a
    signing spike sends no query for them. One query otherwise.
    """

    def fetch():
        consent_wording = (
            ConsentWording.objects.select_related("petition")
            .exclude(petition__state=Petition.State.DRAFT)
            .filter(petition__slug=slug)
            .order_by("-version")
            .first()
        )
        if consent_wording is not None:
            return consent_wording.petition, consent_wording
        petition = Petition.objects.published().filter(slug=slug).first()
        return (petition, None) if petition is not None else None

    found = content_memo(("petition-and-wording", slug), fetch)
    if found is None:
        raise Http404("No such petition.")
    return found


def _published_petition(slug):
    return _petition_and_wording(slug)[0]


def _member_slugs():
    """Slugs of published members (for ``?ref=``), from the shared cache."""
    return cache.get_or_set(
        "petition:member-slugs",
        lambda: set(Member.objects.published().values_list("slug", flat=True)),
        timeout=max(settings.PAGE_CACHE_SECONDS, 1),
    )


def _known_ref_only(view):
    """Drop a ``?ref=`` that names no published member before the page cache keys on it.

    Otherwise every made-up value would leave its own copy of the page in the cache.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        ref = request.GET.get("ref")
        if ref is not None and request.method in ("GET", "HEAD") and ref not in _member_slugs():
            query = request.GET.copy()
            del query["ref"]
            request.GET = QueryDict(query.urlencode())
            request.META["QUERY_STRING"] = request.GET.urlencode()
        return view(request, *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "HEAD", "POST"])
@_known_ref_only
@cache_public_page(
    # The page shows the count: a copy lives no longer than the count itself.
    timeout=lambda: settings.PETITION_COUNT_MAX_AGE,
    query_params=("ref",),
    # The form's "issued at" stamp is signed anew for each visitor.
    fresh_fields={"issued": restamp(FORM_SALT)},
)
def petition_detail(request, slug):
    petition, consent_wording = _petition_and_wording(slug)
    can_sign = petition.is_open and consent_wording is not None
    form = None
    if can_sign:
        if request.method == "POST":
            form = SignatureForm(request.POST, petition=petition, consent_wording=consent_wording)
            if form.is_valid():
                data = form.cleaned_data
                services.sign_petition(
                    petition=petition,
                    name=data["name"],
                    email=data["email"],
                    country=data["country"],
                    comment=data["comment"],
                    show_name=data["show_name"],
                    keep_informed=data["keep_informed"],
                    ip_hash=services.hash_ip(services.client_ip(request.META)),
                    referrer=data["ref"],
                    suspicious=form.is_suspicious,
                    consent_wording=consent_wording,
                )
                return _see_other("campaign:petition-thanks", slug=petition.slug)
        else:
            form = SignatureForm(
                initial={"ref": request.GET.get("ref", "")},
                petition=petition,
                consent_wording=consent_wording,
            )
    elif request.method == "POST":
        return _see_other(petition)
    context = {
        "petition": petition,
        "count": services.get_signature_count(petition),
        "signers": services.get_recent_signers(petition),
        "form": form,
    }
    response = render(request, "campaign/petition_detail.html", context)
    if form is not None and form.is_bound:
        do_not_store(response)
    return response


@never_cache
@require_http_methods(["GET", "HEAD"])
def petition_thanks(request, slug):
    petition = _published_petition(slug)
    return _noindex(render(request, "campaign/petition_thanks.html", {"petition": petition}))


def _signature_for(request, petition, token, purpose):
    """The signature a token names, or the error page to answer with instead."""
    try:
        signature_id, petition_id = services.read_token(token, purpose)
    except signing.SignatureExpired:
        # An old link to a signature confirmed long ago still shows "confirmed".
        signature_id, petition_id = services.read_token(token, purpose, expired_ok=True)
        confirmed = Signature.objects.filter(
            pk=signature_id, petition=petition, state=Signature.State.CONFIRMED
        ).only("pk", "state")
        if petition_id == petition.pk and (signature := confirmed.first()):
            return signature, None
        return None, _token_invalid(request, petition, "expired", 410)
    except signing.BadSignature:
        return None, _token_invalid(request, petition, "invalid", 400)
    if petition_id != petition.pk:
        return None, _token_invalid(request, petition, "invalid", 400)
    signature = Signature.objects.filter(pk=signature_id, petition=petition).only("pk", "state").first()
    if signature is None:
        return None, _token_invalid(request, petition, "gone", 410)
    return signature, None


def _confirm_at_once(petition, token):
    """The common case in one UPDATE: a valid, unexpired token of a pending signature. True if it confirmed.

    Anything else (already confirmed, expired, gone, forged) returns False and
    goes the long way, which finds out what to answer.
    """
    try:
        signature_id, petition_id = services.read_token(token, "confirm")
    except signing.BadSignature:  # expired tokens included
        return False
    return petition_id == petition.pk and services.confirm_signature(
        signature_id=signature_id, petition_id=petition.pk
    )


def _token_invalid(request, petition, reason, status):
    return _noindex(
        render(
            request,
            "campaign/petition_token_invalid.html",
            {"petition": petition, "reason": reason, "confirm_days": settings.PETITION_CONFIRM_MAX_AGE_DAYS},
            status=status,
        )
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def petition_confirm(request, slug, token):
    """GET: one button (mail scanners follow links, they do not press buttons). POST: confirm."""
    petition = _published_petition(slug)
    if request.method == "POST" and _confirm_at_once(petition, token):
        return _see_other(request.path)  # the same address, now showing "confirmed"
    signature, error = _signature_for(request, petition, token, "confirm")
    if error:
        return error
    if request.method == "POST":
        if not services.confirm_signature(signature_id=signature.pk):
            signature.refresh_from_db(fields=["state"])
            if signature.state != Signature.State.CONFIRMED:
                return _token_invalid(request, petition, "gone", 410)
        return _see_other(request.path)
    if signature.state == Signature.State.CONFIRMED:
        context = {"petition": petition, "count": services.get_signature_count(petition)}
        return _noindex(render(request, "campaign/petition_confirmed.html", context))
    if signature.state != Signature.State.PENDING:
        return _token_invalid(request, petition, "gone", 410)
    return _noindex(render(request, "campaign/petition_confirm.html", {"petition": petition}))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def petition_withdraw(request, slug, token):
    """GET: one button. POST: withdraw the signature and erase its personal data."""
    petition = _published_petition(slug)
    signature, error = _signature_for(request, petition, token, "withdraw")
    if error:
        return error
    if request.method == "POST":
        if signature.state == Signature.State.INVALIDATED:
            return _token_invalid(request, petition, "gone", 410)
        services.withdraw_signature(signature_id=signature.pk)
        return _see_other(request.path)  # the same address, now showing "withdrawn"
    if signature.state == Signature.State.WITHDRAWN:
        return _noindex(render(request, "campaign/petition_withdrawn.html", {"petition": petition}))
    if signature.state == Signature.State.INVALIDATED:
        return _token_invalid(request, petition, "gone", 410)
    return _noindex(render(request, "campaign/petition_withdraw.html", {"petition": petition}))


# --- Public aggregates: countries page and the OSDI-style API (staff branch) -----------------
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
    petition = _published_petition(slug)
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
            return cached(request, *args, **kwargs)
        response["Allow"] = ", ".join(API_ALLOWED_METHODS)
        return response

    # The same JSON for everyone, as old as the count at most: a spike of
    # widget loads is served from the shared cache, whatever the data size.
    cached = cache_public_page(public=True, timeout=lambda: settings.PETITION_COUNT_MAX_AGE)(view)
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
