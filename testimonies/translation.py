"""Testimonies in every language: summaries, bodies, passages, content warnings and topics.

The survivor's name, places and sources stay as given.
"""

from modeltranslation.translator import TranslationOptions, register

from testimonies.models import Passage, Testimony, Topic


@register(Testimony)
class TestimonyTranslation(TranslationOptions):
    fields = ("summary", "body")


@register(Passage)
class PassageTranslation(TranslationOptions):
    fields = ("text", "warning")


@register(Topic)
class TopicTranslation(TranslationOptions):
    fields = ("name",)
