"""Campaign content in every language (django-modeltranslation adds ``<field>_en``, ``_ko``, ``_ja``, ``_fr``).

English is the source; a field with no translation shows the English text (see
``translations.content``). Names of people and organisations (``Statement.author``,
``organisation``, ``Contact.name``, ``Campaign.short_name``, an acronym) stay as
the source gives them and are not registered. Places and occasions are: their
spelling differs by script (Tokyo, 도쿄, 東京).
"""

from modeltranslation.translator import TranslationOptions, register

from campaign.models import Appeal, Campaign, Contact, Demand, KeyFact, Milestone, Statement


@register(Campaign)
class CampaignTranslation(TranslationOptions):
    fields = ("name", "objective", "summary")


@register(KeyFact)
class KeyFactTranslation(TranslationOptions):
    # A figure may hold words ("3 + 40", "Up to 200,000").
    fields = ("figure", "label")


@register(Appeal)
class AppealTranslation(TranslationOptions):
    fields = ("title", "introduction", "addressee")


@register(Demand)
class DemandTranslation(TranslationOptions):
    fields = ("text",)


@register(Milestone)
class MilestoneTranslation(TranslationOptions):
    fields = ("title", "description", "place")


@register(Statement)
class StatementTranslation(TranslationOptions):
    fields = ("title", "summary", "body", "occasion")


@register(Contact)
class ContactTranslation(TranslationOptions):
    # A postal address written for readers of each script; the name stays as given.
    fields = ("address",)
