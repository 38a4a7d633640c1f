"""The admin's view of translations: a "missing languages" column and filter on every translated model.

``TranslatedAdmin`` is modeltranslation's ``TranslationAdmin`` (each translated
field shown once per language) with the column and the filter added; the apps'
admins use it instead of ``admin.ModelAdmin``. Content editors translate there
without any permission on supporter data.
"""

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline, TranslationTabularInline

from translations.content import missing_in, missing_languages, target_languages

__all__ = ["TranslatedAdmin", "TranslationStackedInline", "TranslationTabularInline"]


class MissingLanguageFilter(admin.SimpleListFilter):
    title = _("missing translation")
    parameter_name = "missing_language"

    def lookups(self, request, model_admin):
        names = dict(settings.LANGUAGES)
        return [(code, _(names[code])) for code in target_languages()]

    def queryset(self, request, queryset):
        if self.value() in target_languages():
            return queryset.filter(missing_in(queryset.model, self.value()))
        return queryset


class MissingLanguagesMixin:
    """Adds the column and the filter to a ModelAdmin of a model registered with modeltranslation."""

    def get_list_display(self, request):
        return [*super().get_list_display(request), "missing_languages"]

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), MissingLanguageFilter]

    @admin.display(description=_("missing languages"))
    def missing_languages(self, obj):
        return ", ".join(missing_languages(obj)) or "—"


class TranslatedAdmin(MissingLanguagesMixin, TranslationAdmin):
    pass
