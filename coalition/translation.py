"""Members' descriptions and roles in every language; their names stay as the source gives them."""

from modeltranslation.translator import TranslationOptions, register

from coalition.models import Member


@register(Member)
class MemberTranslation(TranslationOptions):
    fields = ("description", "role")
