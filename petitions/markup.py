"""The small safe markup of updates: paragraphs, ``*emphasis*`` and ``[text](https://…)`` links.

Staff write plain text; nothing they type becomes HTML except these three forms, and every
other character is escaped, so an update can never carry a script or a style. Links must be
``http(s)``. The same source gives the text email (links as ``text (url)``) and the HTML.
"""

import re

from django.utils.html import escape
from django.utils.safestring import mark_safe

LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\((https?://[^\s()<>]{1,2000})\)")
EMPHASIS = re.compile(r"\*([^*\n]{1,500})\*")


def paragraphs(source):
    """The paragraphs of ``source``: blocks separated by blank lines, lines inside kept."""
    blocks = re.split(r"\n\s*\n", source.replace("\r\n", "\n").strip())
    return [block.strip() for block in blocks if block.strip()]


def _inline_html(text):
    parts = []
    position = 0
    for match in LINK.finditer(text):
        parts.append(_emphasis_html(text[position : match.start()]))
        parts.append(f'<a href="{escape(match[2])}">{_emphasis_html(match[1])}</a>')
        position = match.end()
    parts.append(_emphasis_html(text[position:]))
    return "".join(parts).replace("\n", "<br>\n")


def _emphasis_html(text):
    return EMPHASIS.sub(lambda match: f"<em>{match[1]}</em>", escape(text))


def render_html(source):
    """The body as HTML paragraphs (safe to insert in a page or an email)."""
    return mark_safe("\n".join(f"<p>{_inline_html(block)}</p>" for block in paragraphs(source)))


def render_text(source):
    """The body as plain text: links written ``text (url)``, emphasis marks dropped."""
    blocks = []
    for block in paragraphs(source):
        block = LINK.sub(lambda match: f"{match[1]} ({match[2]})", block)
        blocks.append(EMPHASIS.sub(lambda match: match[1], block))
    return "\n\n".join(blocks)
