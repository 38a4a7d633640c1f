"""The embeddable petition: a compact form that lives in an ``<iframe>`` on coalition members' own sites.

``/<lang>/embed/<slug>/?ref=<member>`` shows the count, the form and a link to
the full petition; ``/<lang>/embed/<slug>/thanks/`` is its thanks page, inside
the frame too. How it keeps supporters' data and the site safe:

Framed only by the coalition
    Its ``Content-Security-Policy`` says ``frame-ancestors`` with the origins of
    the published members' websites and ``EMBED_EXTRA_ORIGINS``; every other page
    keeps ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``, which these
    pages leave out (it cannot name several origins). The list is worked out
    once per content version in each process (``content_memo``), so a member's
    new website counts within ``PAGE_CACHE_VERSION_SECONDS`` of the save.

No cookie
    Third-party cookies are blocked or partitioned in most browsers, so the
    page sets none and needs none: no CSRF cookie, no session, no cookie
    banner (the frame sets nothing to ask about). Instead the form carries a
    signed token (``EMBED_SALT``) binding the petition, the member and the time
    it was issued (the minimum fill time and the stale-form check read it; the
    page cache re-signs it per visitor with ``restamp``), and the POST must
    come from this site's own origin: its ``Origin`` header, or, without one,
    ``Sec-Fetch-Site: same-origin``. A POST from anywhere else is refused with
    a 403 page and stores nothing. Honeypot, fill time and rate limits are the
    petition form's own.

Nothing typed is readable by the host
    The form is this site's page in a cross-origin frame, never a form injected
    into the member's page: the host page cannot read it. With JavaScript the
    frame tells its parent one number, its height (``static/js/embed-frame.js``,
    posted to any origin, since the frame cannot know which member's page holds
    it, and carrying nothing else); the host-side script the snippet loads from
    this site (``static/js/embed-host.js``) acts only on messages whose
    ``event.origin`` is this site and whose source is one of its frames. Without
    JavaScript the frame keeps the snippet's height and scrolls.
"""

from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.shortcuts import render
from django.urls import reverse
from django.utils.csp import CSP
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from coalition.models import Member
from pagecache import cache_public_page, content_memo, do_not_store, restamp
from petitions.forms import SignatureForm
from petitions.models import Petition
from petitions.services import counting
from petitions.services import signing as signing_service
from petitions.views import _petition_and_wording, _see_other, _sign, canonical_ref, get_published_petition
from translations.urls import without_language_prefix

EMBED_SALT = "campaign.petition.embed"
# The snippet's frame height before the host script (or without JavaScript) sizes it, in CSS pixels.
SNIPPET_HEIGHT = 760


# Which sites may frame it --------------------------------------------------------


def web_origin(url):
    """``scheme://host[:port]`` of an http(s) address, as browsers write it in ``Origin``; None otherwise.

    The same rule as ``campaign.config.web_origin`` (settings), which this app may not import.
    """
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
        host = parts.hostname.encode("idna").decode("ascii") if parts.hostname else ""
    except (ValueError, UnicodeError):
        return None
    if parts.scheme not in {"http", "https"} or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def frame_ancestors():
    """The origins allowed to frame the embed: published members' websites and ``EMBED_EXTRA_ORIGINS``.

    One query per content version in each process (a member's save bumps it).
    """
    extra = tuple(settings.EMBED_EXTRA_ORIGINS)

    def fetch():
        websites = Member.objects.published().exclude(website="").values_list("website", flat=True)
        origins = {origin for origin in map(web_origin, websites) if origin} | set(extra)
        return tuple(sorted(origins))

    return content_memo(("embed-frame-ancestors", extra), fetch)


def embed_policy():
    """The site's CSP with ``frame-ancestors`` naming the members' origins (``'none'`` if there are none)."""
    return {**settings.SECURE_CSP, "frame-ancestors": list(frame_ancestors()) or [CSP.NONE]}


def framed_by_members(view):
    """Send the embed policy instead of ``frame-ancestors 'none'``, and no ``X-Frame-Options``.

    Outside the page cache's decorator: a cached copy is a new response, and the
    CSP middleware reads these attributes from the response it is given.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response._csp_config = embed_policy()
        response.xframe_options_exempt = True
        return response

    return wrapper


# Whose POST it is ------------------------------------------------------------------


def own_origins(request):
    """This site's origins: the one the request came to, and ``CSRF_TRUSTED_ORIGINS`` (as Django's CSRF check)."""
    return {f"{request.scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}


def posted_from_own_origin(request):
    """True when the browser says the POST comes from one of this site's pages.

    ``Origin`` decides when present (``null``, sent by sandboxed frames and
    some redirects, is not ours); without it, only ``Sec-Fetch-Site: same-origin``.
    A browser sends at least one of them with every form POST; a request with
    neither is refused.
    """
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin in own_origins(request)
    return request.headers.get("Sec-Fetch-Site") == "same-origin"


# The token and the form -----------------------------------------------------------


def issue_embed_token(*, petition, member):
    """A signed value binding the petition, the referring member (or none) and the time it was issued."""
    return signing.TimestampSigner(salt=EMBED_SALT).sign(
        _token_value(petition, member.slug if member else "")
    )


def read_embed_token(token, *, petition):
    """The member slug a genuine token for ``petition`` names (``""`` for none); None if forged or for another.

    The age is not checked here: the form judges it (too fast, too old).
    """
    try:
        value = signing.TimestampSigner(salt=EMBED_SALT).unsign(token or "")
    except signing.BadSignature:
        return None
    petition_id, _, slug = value.partition(":")
    return slug if petition_id == str(petition.pk) else None


def _token_value(petition, slug):
    return f"{petition.pk}:{slug}"


class EmbedSignatureForm(SignatureForm):
    """The petition form in the frame: the token in place of the stamp and of ``ref``, no CSRF token."""

    stamp_salt = EMBED_SALT
    uses_csrf_token = False
    # The frame is only this page: other pages (the privacy notice) open in a new tab.
    link_attrs = ' target="_blank" rel="noopener"'
    ref = None  # the member comes from the signed token, not from a field

    def __init__(self, *args, petition, member=None, **kwargs):
        data = args[0] if args else kwargs.get("data")
        if data is not None:
            slug = read_embed_token(data.get("issued", ""), petition=petition)
            self.token_slug = slug or ""
            self.member = _published_member(slug) if slug else None
        else:
            self.token_slug = member.slug if member else ""
            self.member = member
        super().__init__(*args, petition=petition, **kwargs)

    def stamp_value(self):
        return _token_value(self.petition, self.token_slug)

    def form_action(self):
        return embed_url(self.petition, self.member)

    def clean(self):
        cleaned = super().clean()
        cleaned["ref"] = self.member
        return cleaned


def _published_member(slug):
    return Member.objects.published().filter(slug=slug).first()


def _member_for(request):
    slug = canonical_ref(request.GET.get("ref", ""))
    return _published_member(slug) if slug else None


def embed_url(petition, member=None, *, name="petitions:embed"):
    url = reverse(name, kwargs={"slug": petition.slug})
    return f"{url}?{urlencode({'ref': member.slug})}" if member else url


# The pages ---------------------------------------------------------------------------


@framed_by_members
@csrf_exempt  # replaced by the Origin check: the frame has no CSRF cookie to compare with
@require_http_methods(["GET", "HEAD", "POST"])
@cache_public_page(
    timeout=lambda: settings.PETITION_COUNT_MAX_AGE,
    query_params={"ref": canonical_ref},
    # The token's "issued at" is signed anew for each visitor (petition and member stay).
    fresh_fields={"issued": restamp(EMBED_SALT)},
)
def petition_embed(request, slug):
    """The compact petition for a member's ``<iframe>``: count, form, link to the full petition."""
    petition, consent_wording = _petition_and_wording(slug)
    can_sign = petition.is_open and consent_wording is not None
    if request.method == "POST":
        if not posted_from_own_origin(request):
            return do_not_store(
                render(request, "petitions/embed_refused.html", {"petition": petition}, status=403)
            )
        if not can_sign:
            return _see_other(embed_url(petition, _member_for(request)))
        form = EmbedSignatureForm(request.POST, petition=petition, consent_wording=consent_wording)
        if form.is_valid():
            try:
                _sign(request, petition, consent_wording, form)
            except signing_service.TooManySubmissions as flood:
                response = render(
                    request,
                    "petitions/embed_too_many.html",
                    {"petition": petition, "retry_minutes": max(1, flood.retry_after // 60)},
                    status=429,
                )
                response["Retry-After"] = str(flood.retry_after)
                return do_not_store(response)
            return _see_other(embed_url(petition, form.member, name="petitions:embed-thanks"))
        member = form.member
    else:
        member = _member_for(request)
        form = (
            EmbedSignatureForm(petition=petition, member=member, consent_wording=consent_wording)
            if can_sign
            else None
        )
    context = {
        "petition": petition,
        "count": counting.get_signature_count(petition=petition),
        "form": form,
        "member": member,
        "share_ref": member.slug if member else "",
    }
    response = render(request, "petitions/petition_embed.html", context)
    if form is not None and form.is_bound:
        do_not_store(response)
    return response


@framed_by_members
@never_cache
@require_http_methods(["GET", "HEAD"])
def petition_embed_thanks(request, slug):
    """ "Check your email", still inside the frame, with the share links (carrying the member's ``?ref=``)."""
    petition = get_published_petition(slug)
    member = _member_for(request)
    context = {"petition": petition, "member": member, "share_ref": member.slug if member else ""}
    response = render(request, "petitions/petition_embed_thanks.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# The snippet ---------------------------------------------------------------------------


def frame_title(petition):
    return _("Petition: %(title)s") % {"title": petition.title}


def snippet(petition, member=None):
    """What a member pastes: the ``<iframe>`` and the host script that sizes it, both from ``SITE_URL``.

    The address has no language prefix: it redirects each visitor to their own
    language, like every other unprefixed address of the site. The script's
    address is the unhashed static name, so a snippet pasted once keeps working
    across deployments.
    """
    src = settings.SITE_URL + without_language_prefix(embed_url(petition, member))
    if member is None:
        src += "?ref=YOUR-CODE"
    host_script = f"{settings.SITE_URL}/{settings.STATIC_URL.strip('/')}/js/embed-host.js"
    return format_html(
        '<iframe src="{}" title="{}" width="100%" height="{}" loading="lazy" '
        'style="border:0;max-width:40rem"></iframe>\n<script src="{}" async></script>',
        src,
        frame_title(petition),
        SNIPPET_HEIGHT,
        host_script,
    )


def petition_link(petition, member=None):
    """The plain link to the full petition with ``?ref=`` (unprefixed, like the snippet)."""
    path = without_language_prefix(petition.get_absolute_url())
    return settings.SITE_URL + path + (f"?{urlencode({'ref': member.slug})}" if member else "")


@require_http_methods(["GET", "HEAD"])
@cache_public_page
def embed_help(request):
    """ "For coalition members": how to put the petition on a member's site, with a live preview."""
    petition = Petition.objects.open().order_by("-is_featured", "-opens_at").first()
    context = {"petition": petition}
    if petition is not None:
        context |= {
            "snippet": snippet(petition),
            "petition_link": petition_link(petition),
            "preview_url": embed_url(petition),
        }
    return render(request, "petitions/embed_help.html", context)
