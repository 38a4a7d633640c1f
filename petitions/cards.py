"""The social card of a petition: the ``og:image`` a link preview shows, a 1200 by 630 PNG drawn here.

It shows the petition's title in the page's language, the count and the site's
name, drawn with Pillow in one font that has Korean and Japanese glyphs (Noto
Sans CJK from Debian's ``fonts-noto-cjk``). The font is ``SOCIAL_CARD_FONT`` if
set, else the first of ``FONT_CANDIDATES`` found; without any, Pillow's own
font. A title the font cannot draw (Korean with a Latin-only font) falls back
to the English title, and without that to the site's name alone: never boxes.

The card is kept by the page cache like a page that is the same for everyone
(``public``), for ``SOCIAL_CARD_SECONDS`` (default 300): it is drawn again at
most that often per petition and language, and at once after a staff edit.
"""

import functools
import io
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods
from PIL import Image, ImageDraw, ImageFont

from pagecache import cache_public_page
from petitions.services import counting
from petitions.views import get_published_petition

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
NAVY, GOLD, WHITE, MIST = (20, 40, 75), (232, 184, 74), (255, 255, 255), (214, 222, 235)
FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
]
# In a Noto Sans CJK collection, the face whose glyph shapes suit each language (JP for the rest).
CJK_FACE = {"ja": 0, "ko": 1}
# A private-use code point no font draws: what a missing glyph looks like in a given font.
MISSING = "\U0010fffd"


def font_path():
    """The font file to draw with: ``SOCIAL_CARD_FONT``, else the first candidate present, else None."""
    if settings.SOCIAL_CARD_FONT:
        return settings.SOCIAL_CARD_FONT
    return next((path for path in FONT_CANDIDATES if Path(path).is_file()), None)


@functools.cache
def _font(path, size, index):
    if path:
        try:
            return ImageFont.truetype(path, size, index=index)
        except OSError:
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                pass
    return ImageFont.load_default(size)


def font(size, language="en"):
    path = font_path()
    index = CJK_FACE.get(language, 0) if path and path.endswith(".ttc") else 0
    return _font(path, size, index)


@functools.cache
def _draws(face, char):
    """True when ``face`` has a glyph for ``char`` (it does not draw it as the missing-glyph box)."""
    if char.isspace():
        return True
    return _mask(face, char) != _mask(face, MISSING)


def _mask(face, char):
    mask = face.getmask(char)
    return mask.size, bytes(mask)


def can_draw(face, text):
    return all(_draws(face, char) for char in set(text))


def wrap(text, face, width, max_lines):
    """Lines of ``text`` no wider than ``width``: broken at spaces, or anywhere for scripts without them."""
    lines, line = [], ""
    for char in text:
        candidate = line + char
        if face.getlength(candidate) <= width or not line:
            line = candidate
            continue
        cut = line.rfind(" ")
        if cut > 0 and char != " ":
            lines.append(line[:cut])
            line = line[cut + 1 :] + char
        else:
            lines.append(line.rstrip())
            line = char.lstrip()
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and face.getlength(last + "…") > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def draw_card(*, title, fallback_title, count_text, count_figure, site_name, language="en"):
    """The card as PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), NAVY)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, HEIGHT - 16, WIDTH, HEIGHT], fill=GOLD)
    text_width = WIDTH - 2 * MARGIN

    small = font(30, language)
    y = MARGIN
    if can_draw(small, site_name):
        for line in wrap(site_name, small, text_width, 2):
            draw.text((MARGIN, y), line, font=small, fill=MIST)
            y += 42
    y += 28

    big = font(64, language)
    shown = next((t for t in (title, fallback_title) if t and can_draw(big, t)), "")
    for line in wrap(shown, big, text_width, 3):
        draw.text((MARGIN, y), line, font=big, fill=WHITE)
        y += 84

    count_font = font(52, language)
    if not can_draw(count_font, count_text):
        count_text = count_figure
    draw.text((MARGIN, HEIGHT - MARGIN - 70), count_text, font=count_font, fill=GOLD)

    output = io.BytesIO()
    # A few flat colours and their anti-aliased edges: a palette image is small and quick to encode.
    image.quantize(colors=64, method=Image.Quantize.FASTOCTREE).save(output, format="PNG", compress_level=6)
    return output.getvalue()


@require_http_methods(["GET", "HEAD"])
@cache_public_page(public=True, timeout=lambda: settings.SOCIAL_CARD_SECONDS)
def social_card(request, slug):
    """``/<lang>/petitions/<slug>/card.png``: the petition's title and count, in the page's language."""
    petition = get_published_petition(slug)
    count = counting.get_signature_count(petition=petition)
    language = translation.get_language()
    figure = number_format(count, force_grouping=True)
    png = draw_card(
        title=str(petition.title),
        fallback_title=getattr(petition, "title_en", "") or "",
        count_text=ngettext("%(count)s signature", "%(count)s signatures", count) % {"count": figure},
        count_figure=figure,
        site_name=settings.SITE_NAME,
        language=language,
    )
    return HttpResponse(png, content_type="image/png")
