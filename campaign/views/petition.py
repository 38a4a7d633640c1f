"""The petition: sign, thanks, confirm, withdraw, countries, and the public API."""

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.generic import TemplateView

from campaign import services
from campaign.forms import SignatureForm
from campaign.models import Petition, Signature


def _placeholder(title):
    return TemplateView.as_view(template_name="placeholder.html", extra_context={"title": title})


def _see_other(to, *args, **kwargs):
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


@require_http_methods(["GET", "HEAD", "POST"])
def petition_detail(request, slug):
    petition = get_object_or_404(Petition.objects.published(), slug=slug)
    consent_wording = petition.consent_wordings.order_by("-version").first()
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
        patch_cache_control(response, no_store=True, private=True)
    return response


@never_cache
@require_http_methods(["GET", "HEAD"])
def petition_thanks(request, slug):
    petition = get_object_or_404(Petition.objects.published(), slug=slug)
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
    petition = get_object_or_404(Petition.objects.published(), slug=slug)
    signature, error = _signature_for(request, petition, token, "confirm")
    if error:
        return error
    if request.method == "POST":
        if not services.confirm_signature(signature_id=signature.pk):
            signature.refresh_from_db(fields=["state"])
            if signature.state != Signature.State.CONFIRMED:
                return _token_invalid(request, petition, "gone", 410)
        return _see_other("campaign:petition-confirm", slug=petition.slug, token=token)
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
    petition = get_object_or_404(Petition.objects.published(), slug=slug)
    signature, error = _signature_for(request, petition, token, "withdraw")
    if error:
        return error
    if request.method == "POST":
        if signature.state == Signature.State.INVALIDATED:
            return _token_invalid(request, petition, "gone", 410)
        services.withdraw_signature(signature_id=signature.pk)
        return _see_other("campaign:petition-withdraw", slug=petition.slug, token=token)
    if signature.state == Signature.State.WITHDRAWN:
        return _noindex(render(request, "campaign/petition_withdrawn.html", {"petition": petition}))
    if signature.state == Signature.State.INVALIDATED:
        return _token_invalid(request, petition, "gone", 410)
    return _noindex(render(request, "campaign/petition_withdraw.html", {"petition": petition}))


petition_countries = _placeholder("Countries")
api_petition_list = _placeholder("API")
api_petition_detail = _placeholder("API")
