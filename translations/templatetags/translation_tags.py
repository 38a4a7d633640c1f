"""Marking content shown in English on a page in another language, and linking to the English original."""

from django import template
from django.utils import translation

from translations.content import SOURCE, is_shown_in_english

register = template.Library()


@register.simple_tag
def shown_in(obj, *fields):
    """The language ``fields`` of ``obj`` are shown in on this page: the page's, or English (the fallback)."""
    language = translation.get_language()
    return SOURCE if obj is not None and is_shown_in_english(obj, language, fields or None) else language


@register.simple_tag
def any_shown_in_english(objects, *fields):
    """True when some of ``objects`` (already loaded) show ``fields`` in English on this page."""
    language = translation.get_language()
    return any(is_shown_in_english(obj, language, fields or None) for obj in objects)


@register.simple_tag
def source_url(obj):
    """``obj``'s page in English, the language every text was written in."""
    with translation.override(SOURCE):
        return obj.get_absolute_url()
