"""Refuse oversized request bodies before anything reads them; name the node in every answer."""

from django.conf import settings
from django.http import HttpResponse
from django.template import loader
from django.utils import translation

# Room for multipart boundaries and headers on top of the form data itself.
BODY_MARGIN = 16 * 1024


class RequestSizeLimitMiddleware:
    """A 413 page for a Content-Length the public site could never accept.

    The public forms take a few kilobytes of text and no files, so anything above
    DATA_UPLOAD_MAX_MEMORY_SIZE (plus a margin) is refused from its headers alone:
    the body is never read. The admin is left to Django's own limits (400 for too
    much form data or too many fields; files stream to disk).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and not request.path_info.startswith("/admin/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0  # Django reads an unparsable length as an empty body too
            if length > limit + BODY_MARGIN:
                return payload_too_large(request)
        return self.get_response(request)


def payload_too_large(request):
    # Refused before LocaleMiddleware runs: the page's language from the request itself
    # (the prefix, the cookie, Accept-Language), not whatever the thread served last.
    translation.activate(translation.get_language_from_request(request, check_path=True))
    context = {"limit_kb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024}
    try:
        body = loader.render_to_string("413.html", context, request=request)
    except Exception:  # the refusal must not depend on a working template or database
        body = loader.render_to_string("error_fallback.html", {"status": 413})
    response = HttpResponse(body, status=413)
    response["Cache-Control"] = "no-store"
    return response


class NodeNameMiddleware:
    """``X-Node: <NODE_NAME>`` on every response, when the setting names this node."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.node_name = settings.NODE_NAME

    def __call__(self, request):
        response = self.get_response(request)
        if self.node_name:
            response["X-Node"] = self.node_name
        return response
