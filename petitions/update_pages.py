"""The updates' public side that mail leads to: unsubscribing (RFC 8058 one-click) and the Atom feed.

The petition page's own list of updates is drawn in ``petitions.views`` (``shown_updates``).
"""

from django.conf import settings
from django.core.signing import BadSignature
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from pagecache import cache_public_page
from petitions import markup
from petitions.models import Signature
from petitions.services import tokens, updates
from petitions.views import (
    FEED_ITEMS,
    _noindex,
    _published_updates,
    _see_other,
    get_published_petition,
    shown_updates,
)


@csrf_exempt  # RFC 8058: the one-click POST comes from a mail client, which has no CSRF token.
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """GET: one button (mail scanners follow links). POST: unsubscribe at once, or subscribe again.

    Outside the language prefixes (``petitions.mail_urls``): a mail client's one-click POST
    (body ``List-Unsubscribe=One-Click``) gets a short 200 here, never a redirect. The page
    is in the signature's language; its buttons are plain forms that come back to this
    address (POST/redirect/GET), so it works without JavaScript. The signature and its count
    stay; only the updates stop. The token never expires, and names the signature only.
    """
    try:
        signature_id, petition_id = tokens.read_token(token=token, purpose="unsubscribe")
    except BadSignature:
        return _unsubscribe_invalid(request, status=400)
    signature = (
        Signature.objects.filter(pk=signature_id, petition_id=petition_id)
        .select_related("petition")
        .only("pk", "state", "language", "unsubscribed_at", "petition")
        .first()
    )
    if signature is None or signature.state == Signature.State.WITHDRAWN:
        return _unsubscribe_invalid(request, status=410)
    language = (
        signature.language if signature.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    )
    with translation.override(language):
        if request.method == "POST":
            if request.POST.get("List-Unsubscribe") == "One-Click":
                updates.unsubscribe_signature(signature_id=signature.pk)
                response = HttpResponse(_("You are unsubscribed."), content_type="text/plain; charset=utf-8")
                response["Content-Language"] = language
                return _noindex(response)
            if request.POST.get("action") == "subscribe":
                updates.resubscribe_signature(signature_id=signature.pk)
            else:
                updates.unsubscribe_signature(signature_id=signature.pk)
            return _see_other(request.path)
        context = {"petition": signature.petition, "unsubscribed": signature.unsubscribed_at is not None}
        response = render(request, "petitions/unsubscribe.html", context)
    response["Content-Language"] = language
    return _noindex(response)


def _unsubscribe_invalid(request, status):
    """A forged or dead link: in the visitor's language (there is no signature to read one from)."""
    return _noindex(render(request, "petitions/unsubscribe_invalid.html", status=status))


@require_http_methods(["GET", "HEAD"])
@cache_public_page(public=True)
def update_feed(request, slug):
    """The petition's published updates as an Atom feed, in the page's language (else English)."""
    petition = get_published_petition(slug)
    language = translation.get_language()
    feed = Atom1Feed(
        title=_("%(title)s: updates") % {"title": petition.title},
        link=_absolute(petition.get_absolute_url()),
        description=_("News from the campaign about the petition “%(title)s”.") % {"title": petition.title},
        feed_url=_absolute(request.path),
        language=language,
    )
    for shown in shown_updates(_published_updates(petition, FEED_ITEMS), language):
        link = _absolute(f"{petition.get_absolute_url()}#update-{shown.pk}")
        feed.add_item(
            title=shown.subject,
            link=link,
            description=markup.render_html(shown.body),
            pubdate=shown.published_at,
            unique_id=link,
        )
    response = HttpResponse(content_type=f"{feed.content_type}")
    feed.write(response, "utf-8")
    return response


def _absolute(path):
    return f"{settings.SITE_URL}{path}"
