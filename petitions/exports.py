"""The CSV export of signatures: its columns, spreadsheet-safe cells, and the summary kept in the export log."""

import csv

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

EXPORT_COLUMNS = [
    ("id", lambda s: s.pk),
    ("petition", lambda s: s.petition.slug),
    ("name", lambda s: s.name),
    ("email", lambda s: s.email),
    ("country", lambda s: s.country.code),
    ("comment", lambda s: s.comment),
    ("show_name", lambda s: s.show_name),
    ("keep_informed", lambda s: s.keep_informed),
    ("consent_version", lambda s: s.consent_wording.version),
    ("consented_at", lambda s: s.consented_at.isoformat()),
    ("state", lambda s: s.state),
    ("created_at", lambda s: s.created_at.isoformat()),
    ("confirmed_at", lambda s: s.confirmed_at.isoformat() if s.confirmed_at else ""),
    ("referrer", lambda s: s.referrer.slug if s.referrer_id else ""),
]


def spreadsheet_safe(value):
    """Defuse spreadsheet formulas: a cell starting with = + - @ tab or CR gets a leading quote."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a stream."""

    def write(self, value):
        return value


def csv_rows(queryset):
    writer = csv.writer(_Echo())
    # A byte order mark, so that spreadsheet programs read names in any script as UTF-8.
    yield "\ufeff"
    yield writer.writerow([name for name, _ in EXPORT_COLUMNS])
    for signature in queryset.iterator(chunk_size=2000):
        yield writer.writerow([spreadsheet_safe(column(signature)) for _, column in EXPORT_COLUMNS])


def describe_export(request, queryset_count):
    """A human summary of what was exported: the changelist filters, search and selection."""
    filters = [
        f"{key}={value}"
        for key, values in sorted(request.GET.lists())
        for value in values
        # The search text ("q") may be an email address: the log says only that a search ran.
        if key not in {"o", "p", "q", "_changelist_filters"}
    ]
    selection = "all matching" if request.POST.get("select_across") == "1" else f"{queryset_count} selected"
    searched = "; searched" if request.GET.get("q") else ""
    description = f"{selection}; filters: {', '.join(filters) or 'none'}{searched}"
    return description[:500]
