"""For tests that post admin forms: modeltranslation's admin names each translated field per language."""

from translations.content import translated_fields


def admin_form_data(data, model, inlines=None):
    """``data`` with each translated field of ``model`` (and of each ``{prefix: model}`` inline) as ``<field>_en``."""
    renamed = {}
    for key, value in data.items():
        prefix, _, rest = key.rpartition("-")
        owner = model if not prefix else (inlines or {}).get(prefix.split("-")[0])
        if owner is not None and rest in translated_fields(owner):
            key = f"{key}_en"
        renamed[key] = value
    return renamed
