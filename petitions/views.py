"""The petition's pages: sign, thanks, confirm, withdraw."""

from django.conf import settings
from django.core.signing import BadSignature, SignatureExpired
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from coalition.models import Member
from pagecache import cache_public_page, content_memo, do_not_store, restamp
from petitions.forms import FORM_SALT, ConfirmDetailsForm, SignatureForm
from petitions.models import ConsentWording, Petition, Signature
from petitions.services import addresses, confirming, counting, signing, tokens


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


def featured_petition(request):
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


def get_published_petition(slug):
    return _petition_and_wording(slug)[0]


def canonical_ref(value):
    """``?ref=`` as the petition page reads it: a published member's slug, else dropped.

    The slugs are read once per content version in each process, so a made-up
    value costs no query and never mints a copy of the page.
    """
    slugs = content_memo(
        ("member-slugs",), lambda: frozenset(Member.objects.published().values_list("slug", flat=True))
    )
    return value if value in slugs else None


@require_http_methods(["GET", "HEAD", "POST"])
@cache_public_page(
    # The page shows the count: a copy lives no longer than the count itself.
    timeout=lambda: settings.PETITION_COUNT_MAX_AGE,
    query_params={"ref": canonical_ref},
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
                try:
                    _sign(request, petition, consent_wording, form)
                except signing.TooManySubmissions as flood:
                    return _too_many_submissions(request, flood)
                return _see_other("petitions:thanks", slug=petition.slug)
        else:
            form = SignatureForm(
                # The cache has canonicalised it already, unless it is off or the request personal.
                initial={"ref": canonical_ref(request.GET.get("ref", "")) or ""},
                petition=petition,
                consent_wording=consent_wording,
            )
    elif request.method == "POST":
        return _see_other(petition)
    context = {
        "petition": petition,
        "count": counting.get_signature_count(petition=petition),
        "signers": counting.get_recent_signers(petition=petition),
        "form": form,
    }
    response = render(request, "petitions/petition_detail.html", context)
    if form is not None and form.is_bound:
        do_not_store(response)
    return response


def _sign(request, petition, consent_wording, form):
    data = form.cleaned_data
    signing.sign_petition(
        petition=petition,
        name=data["name"],
        email=data["email"],
        country=data["country"],
        comment=data["comment"],
        show_name=data["show_name"],
        keep_informed=data["keep_informed"],
        ip_hash=addresses.hash_ip(ip=addresses.client_ip(meta=request.META)),
        referrer=data["ref"],
        suspicious=form.is_suspicious,
        consent_wording=consent_wording,
        language=translation.get_language(),
    )


def _too_many_submissions(request, flood):
    """A flood from one client: a styled 429 with ``Retry-After``; nothing was stored."""
    response = render(request, "429.html", {"retry_minutes": max(1, flood.retry_after // 60)}, status=429)
    response["Retry-After"] = str(flood.retry_after)
    return do_not_store(response)


@never_cache
@require_http_methods(["GET", "HEAD"])
def petition_thanks(request, slug):
    petition = get_published_petition(slug)
    return _noindex(render(request, "petitions/petition_thanks.html", {"petition": petition}))


def _signature_for(request, petition, token, purpose):
    """The signature a token names, or the error page to answer with instead."""
    try:
        signature_id, petition_id = tokens.read_token(token=token, purpose=purpose)
    except SignatureExpired:
        # An old link to a signature confirmed long ago still shows "confirmed".
        signature_id, petition_id = tokens.read_token(token=token, purpose=purpose, expired_ok=True)
        confirmed = Signature.objects.filter(
            pk=signature_id, petition=petition, state=Signature.State.CONFIRMED
        ).only("pk", "state")
        if petition_id == petition.pk and (signature := confirmed.first()):
            return signature, None
        return None, _token_invalid(request, petition, "expired", 410)
    except BadSignature:
        return None, _token_invalid(request, petition, "invalid", 400)
    if petition_id != petition.pk:
        return None, _token_invalid(request, petition, "invalid", 400)
    signature = (
        Signature.objects.filter(pk=signature_id, petition=petition)
        .only("pk", "state", "created_at", *ConfirmDetailsForm.base_fields)
        .first()
    )
    if signature is None:
        return None, _token_invalid(request, petition, "gone", 410)
    return signature, None


def _confirm_at_once(petition, token, details):
    """The common case in one UPDATE: a valid, unexpired token of a pending signature. True if it confirmed.

    Anything else (already confirmed, expired, gone, forged, a closed petition)
    returns False and goes the long way, which finds out what to answer.
    """
    if not petition.is_open:
        return False
    try:
        signature_id, petition_id = tokens.read_token(token=token, purpose="confirm")
    except BadSignature:  # expired tokens included
        return False
    return petition_id == petition.pk and confirming.confirm_signature(
        signature_id=signature_id, petition_id=petition.pk, details=details
    )


def _made_after_closing(petition, signature):
    return petition.closes_at is not None and signature.created_at >= petition.closes_at


def _token_invalid(request, petition, reason, status):
    return _noindex(
        render(
            request,
            "petitions/petition_token_invalid.html",
            {"petition": petition, "reason": reason, "confirm_days": settings.PETITION_CONFIRM_MAX_AGE_DAYS},
            status=status,
        )
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def petition_confirm(request, slug, token):
    """GET: the details and one button (mail scanners follow links, they do not press buttons).

    POST: confirm, with the details as the signer left them on the page. A
    petition that has closed still counts a signature made before it closed.
    """
    petition = get_published_petition(slug)
    form = ConfirmDetailsForm(request.POST) if request.method == "POST" and "name" in request.POST else None
    details = form.cleaned_data if form is not None and form.is_valid() else None
    if request.method == "POST" and (form is None or details) and _confirm_at_once(petition, token, details):
        return _see_other(request.path)  # the same address, now showing "confirmed"
    signature, error = _signature_for(request, petition, token, "confirm")
    if error:
        return error
    if signature.state == Signature.State.PENDING and _made_after_closing(petition, signature):
        return _noindex(render(request, "petitions/petition_confirm_closed.html", {"petition": petition}))
    if request.method == "POST" and (form is None or details):
        if not confirming.confirm_signature(signature_id=signature.pk, details=details):
            signature.refresh_from_db(fields=["state"])
            if signature.state != Signature.State.CONFIRMED:
                return _token_invalid(request, petition, "gone", 410)
        return _see_other(request.path)
    if signature.state == Signature.State.CONFIRMED:
        context = {"petition": petition, "count": counting.get_signature_count(petition=petition)}
        return _noindex(render(request, "petitions/petition_confirmed.html", context))
    if signature.state != Signature.State.PENDING:
        return _token_invalid(request, petition, "gone", 410)
    context = {"petition": petition, "form": form or ConfirmDetailsForm.for_signature(signature)}
    return _noindex(render(request, "petitions/petition_confirm.html", context))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def petition_withdraw(request, slug, token):
    """GET: one button. POST: withdraw the signature and erase its personal data."""
    petition = get_published_petition(slug)
    signature, error = _signature_for(request, petition, token, "withdraw")
    if error:
        return error
    if request.method == "POST":
        confirming.withdraw_signature(signature_id=signature.pk)
        return _see_other(request.path)  # the same address, now showing "withdrawn"
    if signature.state == Signature.State.WITHDRAWN:
        return _noindex(render(request, "petitions/petition_withdrawn.html", {"petition": petition}))
    return _noindex(render(request, "petitions/petition_withdraw.html", {"petition": petition}))
