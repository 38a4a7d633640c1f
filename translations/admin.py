"""The admin's view of translations: a "missing languages" column and filter on every translated model.

``TranslatedAdmin`` is modeltranslation's ``TranslationAdmin`` (each translated
field shown once per language) with the column and the filter added; the apps'
admins use it instead of ``admin.ModelAdmin``. Content editors translate there
without any permission on supporter data.
"""

from django.conf import settings
from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import (
    TranslationAdmin,
    TranslationInlineModelAdmin,
    TranslationStackedInline,
    TranslationTabularInline,
)

from translations.content import missing_in, missing_languages, target_languages, translated_fields

__all__ = ["TranslatedAdmin", "TranslationStackedInline", "TranslationTabularInline"]


class MissingLanguageFilter(admin.SimpleListFilter):
    title = _("missing translation")
    parameter_name = "missing_language"

    def lookups(self, request, model_admin):
        names = dict(settings.LANGUAGES)
        return [(code, _(names[code])) for code in target_languages()]

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.model_admin = model_admin

    def queryset(self, request, queryset):
        language = self.value()
        if language not in target_languages():
            return queryset
        condition = missing_in(queryset.model, language)
        for child, _accessor, parent_field in self.model_admin.translated_inlines():
            lacking = child._default_manager.filter(missing_in(child, language)).values(parent_field)
            condition |= Q(pk__in=lacking)
        return queryset.filter(condition)


class MissingLanguagesMixin:
    """Adds the column and the filter to a ModelAdmin of a model registered with modeltranslation.

    An object edited with translated inlines (an appeal's demands, a testimony's passages) lacks a
    language when it or any of its inline rows does: the editor translates them on the same page.
    """

    def translated_inlines(self):
        """(model, accessor from the parent, the child's column naming the parent) per translated inline."""
        for inline in self.inlines:
            if not (issubclass(inline, TranslationInlineModelAdmin) and translated_fields(inline.model)):
                continue
            link = next(
                field
                for field in inline.model._meta.fields
                if field.is_relation
                and field.related_model is self.model
                and (not getattr(inline, "fk_name", None) or field.name == inline.fk_name)
            )
            yield inline.model, link.remote_field.get_accessor_name(), link.attname

    def get_queryset(self, request):
        accessors = [accessor for _model, accessor, _column in self.translated_inlines()]
        return super().get_queryset(request).prefetch_related(*accessors)

    def get_list_display(self, request):
        return [*super().get_list_display(request), "missing_languages"]

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), MissingLanguageFilter]

    @admin.display(description=_("missing languages"))
    def missing_languages(self, obj):
        lacking = set(missing_languages(obj))
        for _model, accessor, _column in self.translated_inlines():
            for row in getattr(obj, accessor).all():
                lacking.update(missing_languages(row))
        return ", ".join(code for code in target_languages() if code in lacking) or "—"


class TranslatedAdmin(MissingLanguagesMixin, TranslationAdmin):
    pass
