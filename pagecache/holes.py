"""Per-visitor holes: what a stored copy leaves out, and how each visitor's answer fills it in.

The stored copy never holds anything that belongs to one visitor:

* Every CSRF token in the page (from ``{% csrf_token %}``, crispy forms or
  anywhere else) is found after rendering (a 64-character token that unmasks
  to this request's CSRF secret, see ``pagecache.csrf``) and replaced by a
  placeholder. Each visitor gets a freshly masked token of their own secret,
  from ``get_token(request)``, which also sets the CSRF cookie for a new
  visitor. Templates need no change.
* A CSP nonce used by the page is replaced the same way, so the page and the
  ``Content-Security-Policy`` header always carry the same nonce.
* Form fields that must be made per request (the petition form's signed
  "issued at" stamp, which tells a person from a script by how fast the form
  comes back) are named in ``fresh_fields`` and re-made per visitor, e.g. by
  ``restamp(salt)``.

What depends on the visitor's cookie choice (the banner, an analytics script)
is not a hole but part of the key (``pagecache.levels``).
"""

import html
import re

from django.core import signing
from django.middleware.csrf import get_token
from django.utils.html import escape

from pagecache.csrf import TOKEN_LENGTH, unmask

# "@" is outside the CSRF alphabet and the nonce alphabet, so a real value never matches.
CSRF_HOLE = b"@@page-cache-csrf-token@@"
NONCE_HOLE = b"@@page-cache-csp-nonce@@"

_TOKEN_RE = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{%d}(?![A-Za-z0-9])" % TOKEN_LENGTH)


def punch_holes(request, content):
    """Replace this visitor's CSRF tokens and CSP nonce; return the content and the names of the holes."""
    holes = []
    secret = request.META.get("CSRF_COOKIE")
    if secret:

        def replace_token(match):
            return CSRF_HOLE if unmask(match.group().decode()) == secret else match.group()

        punched = _TOKEN_RE.sub(replace_token, content)
        if punched != content:
            content = punched
            holes.append("csrf")
    nonce = getattr(request, "_csp_nonce", None)
    if nonce:  # a LazyNonce is true only once the page used it
        value = str(nonce).encode()
        if value in content:
            content = content.replace(value, NONCE_HOLE)
            holes.append("nonce")
    return content, holes


def _field_hole(name):
    return b"@@page-cache-field-" + name.encode() + b"@@"


def punch_field_holes(content, refreshers):
    """Replace the value of each ``fresh_fields`` input; return the content and {name: old value}."""
    fresh = {}
    for name in refreshers:
        tag_re = re.compile(rb'<input\b[^>]*\bname="' + re.escape(name.encode()) + rb'"[^>]*>')

        def replace_value(match, name=name):
            tag = match.group()
            value = re.search(rb'\bvalue="([^"]*)"', tag)
            if value is None:
                return tag
            fresh[name] = html.unescape(value.group(1).decode())
            return tag[: value.start(1)] + _field_hole(name) + tag[value.end(1) :]

        content = tag_re.sub(replace_value, content)
    return content, fresh


def fill_holes(request, entry, refreshers):
    """The stored content with this visitor's fields, CSRF token and nonce."""
    content = entry["content"]
    for name, old in entry.get("fresh", {}).items():
        value = refreshers[name](old) if name in refreshers else old
        content = content.replace(_field_hole(name), escape(value).encode())
    if "csrf" in entry["holes"]:
        # Also flags the CSRF cookie for the response (new visitors get one).
        content = content.replace(CSRF_HOLE, get_token(request).encode())
    if "nonce" in entry["holes"]:
        # Reading the nonce makes the CSP middleware put it in the header.
        content = content.replace(NONCE_HOLE, str(request._csp_nonce).encode())
    return content


def restamp(salt):
    """A ``fresh_fields`` refresher for a ``TimestampSigner(salt=...)`` stamp: same value, signed now.

    A stamp that does not verify stays as it was (the form then treats it as forged).
    """

    def refresh(stamp):
        signer = signing.TimestampSigner(salt=salt)
        try:
            return signer.sign(signer.unsign(stamp))
        except signing.BadSignature:
            return stamp

    return refresh
