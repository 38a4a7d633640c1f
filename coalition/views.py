"""The coalition directory: published members grouped by country, filterable by country and kind."""

from collections import defaultdict

from django.db.models import Case, Count, IntegerField, Value, When
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView
from django_countries import countries

from coalition.models import Member
from pagecache import cache_public_page, page_number
from pagecache.query import UNKNOWN

NO_COUNTRY = "none"
NO_COUNTRY_LABEL = gettext_lazy("International / no country given")
# A kind's name in the plural, for the filter and the counts (not every language adds an "s").
KIND_PLURALS = {
    Member.Kind.ORGANISATION: gettext_lazy("Organisations"),
    Member.Kind.INDIVIDUAL: gettext_lazy("Individuals"),
}


def country_label(code):
    return countries.name(code) if code else NO_COUNTRY_LABEL


def _country_code(value):
    return countries.alpha2(value.upper()) if len(value) == 2 else ""


def canonical_country(raw):
    """``?country=`` as the directory reads it: ``KR`` for ``kr`` or `` Kr ``, ``none``, or ``unknown``.

    Every made-up value is ``unknown``: one copy, which explains it.
    """
    value = raw.strip()
    if not value:
        return None
    if value.lower() == NO_COUNTRY:
        return NO_COUNTRY
    return _country_code(value) or UNKNOWN


def canonical_kind(raw):
    """``?kind=`` as the directory reads it: stripped and lower-case, or ``unknown``."""
    value = raw.strip().lower()
    if not value:
        return None
    return value if value in Member.Kind.values else UNKNOWN


class MemberListView(ListView):
    template_name = "coalition/member_list.html"
    context_object_name = "members"
    paginate_by = 100

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        # Invalid filter values are explained on the page (a 200), never a server error.
        self.filter_errors = []
        self.country = self._valid_country(request.GET.get("country", ""))
        self.kind = self._valid_kind(request.GET.get("kind", ""))

    def _valid_country(self, raw):
        value = raw.strip()
        if not value:
            return None
        if value.lower() == NO_COUNTRY:
            return ""
        code = _country_code(value)
        if not code:
            self.filter_errors.append(
                _(
                    "That is not a country code we know (use two letters, e.g. KR); "
                    "showing members from every country."
                )
            )
            return None
        return code

    def _valid_kind(self, raw):
        value = raw.strip().lower()
        if not value:
            return None
        if value not in Member.Kind.values:
            self.filter_errors.append(
                _("That is not a kind of member (use “individual” or “organisation”); showing every kind.")
            )
            return None
        return value

    def published(self):
        return Member.objects.published()

    def get_queryset(self):
        members = self.published()
        if self.country is not None:
            members = members.filter(country=self.country)
        if self.kind is not None:
            members = members.filter(kind=self.kind)
        return members.annotate(
            # Members without a country form the first group, as the article lists the
            # international organisations first.
            has_country=Case(When(country="", then=Value(0)), default=Value(1), output_field=IntegerField()),
        ).order_by("has_country", "country", "ordering", "name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # One aggregate query gives both the per-country and the per-kind counts.
        by_country, by_kind = defaultdict(int), defaultdict(int)
        total = 0
        for row in self.published().order_by().values("country", "kind").annotate(n=Count("pk")):
            by_country[row["country"]] += row["n"]
            by_kind[row["kind"]] += row["n"]
            total += row["n"]
        country_counts = sorted(
            (
                {
                    "code": code or NO_COUNTRY,
                    "label": country_label(code),
                    "count": n,
                    "selected": code == self.country,
                }
                for code, n in by_country.items()
            ),
            key=lambda c: (c["code"] != NO_COUNTRY, c["label"]),
        )
        kind_counts = [
            {
                "value": value,
                "label": KIND_PLURALS[value],
                "count": by_kind[value],
                "selected": value == self.kind,
            }
            for value, label in Member.Kind.choices
        ]

        groups = []
        for member in context["members"]:
            if not groups or groups[-1]["code"] != member.country.code:
                groups.append(
                    {"code": member.country.code, "label": country_label(member.country.code), "members": []}
                )
            groups[-1]["members"].append(member)

        filters = {}
        if self.country is not None:
            filters["country"] = self.country or NO_COUNTRY
        if self.kind is not None:
            filters["kind"] = self.kind
        context.update(
            groups=groups,
            total_published=total,
            country_counts=country_counts,
            kind_counts=kind_counts,
            selected_country=(
                None
                if self.country is None
                else {"code": filters["country"], "label": country_label(self.country)}
            ),
            selected_kind=None if self.kind is None else KIND_PLURALS[self.kind],
            is_filtered=bool(filters),
            filter_errors=self.filter_errors,
            query_string=urlencode(filters),
        )
        return context


# Each filter value in the form the view reads it: variants share one cached copy.
member_list = cache_public_page(
    query_params={"country": canonical_country, "kind": canonical_kind, "page": page_number}
)(MemberListView.as_view())
