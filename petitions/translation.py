"""The petition and its consent wording in every language.

A signature records the consent wording (its version) and its ``language``:
together they name the exact text the signer agreed to, ``text_<language>``.
A wording's translations are part of that version: change the meaning of any
of them and publish a new version, so that earlier signatures keep theirs.
"""

from modeltranslation.translator import TranslationOptions, register

from petitions.models import ConsentWording, Petition


@register(Petition)
class PetitionTranslation(TranslationOptions):
    fields = ("title", "addressee", "ask", "description")


@register(ConsentWording)
class ConsentWordingTranslation(TranslationOptions):
    fields = ("text",)
