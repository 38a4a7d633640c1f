"""Which languages a piece of content lacks, from the fields modeltranslation registered for it.

A field counts as missing in a language when its English text is not empty and
its text in that language is: an empty English field needs no translation.
Everything is read from the object as loaded; no query.
"""

from django.conf import settings
from django.db.models import Q
from modeltranslation.translator import NotRegistered, translator

SOURCE = settings.LANGUAGE_CODE


def target_languages():
    return [code for code, _ in settings.LANGUAGES if code != SOURCE]


def translated_fields(model):
    try:
        return tuple(translator.get_options_for_model(model).fields)
    except NotRegistered:
        return ()


def missing_languages(obj, fields=None):
    """The languages (codes, in settings order) in which some of ``fields`` (default: all) is not translated."""
    fields = fields or translated_fields(type(obj))
    return [
        language
        for language in target_languages()
        if any(
            getattr(obj, f"{field}_{SOURCE}", "") and not getattr(obj, f"{field}_{language}", "")
            for field in fields
        )
    ]


def is_shown_in_english(obj, language, fields=None):
    """True when the page in ``language`` shows some of ``fields`` of ``obj`` in English (its fallback)."""
    return language != SOURCE and language in missing_languages(obj, fields)


def missing_in(model, language):
    """A filter for the rows of ``model`` with some field untranslated into ``language``."""
    condition = Q()
    for field in translated_fields(model):
        has_source = ~Q(**{f"{field}_{SOURCE}": ""}) & Q(**{f"{field}_{SOURCE}__isnull": False})
        lacks = Q(**{f"{field}_{language}__isnull": True}) | Q(**{f"{field}_{language}": ""})
        condition |= has_source & lacks
    return condition
