#!/usr/bin/env python
"""Merge translated content into the fixtures as modeltranslation fields.

    .venv/bin/python scripts/merge_content_translations.py [TRANSLATIONS_DIR]

TRANSLATIONS_DIR (default /work/translations, or $CONTENT_TRANSLATIONS_DIR)
holds ``ko.json``, ``ja.json``, ``fr.json``…: each a list of
``{"model": "<app.model>", "pk": <pk>, "fields": {"<field>": "<text>"}}`` with
the original field names. For every object in fixtures/*.json, each field
registered for translation (the apps' ``translation.py``) gets ``<field>_en``
from the English source text and ``<field>_<lang>`` from the matching entry;
the original field keeps the English text. A field left out of an object the
file does cover is a name or figure kept as given, and gets the English text in
that language too. A language without a file, or an object it does not cover,
is left without a translation, and the page shows the English text with a note. Running it twice gives the same files;
``manage.py load_content`` loads the result directly.
"""

import json
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def translated_fields():
    """``{"app.model": ("field", …)}`` for every model registered with modeltranslation."""
    import django

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")
    os.environ.setdefault("DEBUG", "1")
    django.setup()
    from modeltranslation.translator import translator

    return {
        model._meta.label_lower: tuple(translator.get_options_for_model(model).fields)
        for model in translator.get_registered_models(abstract=False)
    }


def read_translations(directory, languages):
    found = {}
    for language in languages:
        path = Path(directory) / f"{language}.json"
        if not path.exists():
            print(f"{language}: no {path}, left untranslated")
            continue
        entries = json.loads(path.read_text(encoding="utf-8"))
        found[language] = {(entry["model"], entry["pk"]): entry["fields"] for entry in entries}
    return found


def merge(objects, fields_by_model, translations, languages):
    """The fixture objects with their translation fields filled; returns (objects, counts, unknown)."""
    counts = dict.fromkeys(languages, 0)
    unknown = []
    for obj in objects:
        fields = fields_by_model.get(obj["model"])
        if not fields:
            continue
        values = obj["fields"]
        for field in fields:
            if field not in values:
                continue
            values[f"{field}_en"] = values[field]
            for language in languages:
                if language == "en":
                    continue
                entry = translations.get(language, {}).get((obj["model"], obj["pk"]))
                text = (entry or {}).get(field)
                if text:
                    values[f"{field}_{language}"] = text
                    counts[language] += 1
                elif entry is not None and values[field]:
                    # The translator covered the object and left this field out: a name or a
                    # figure that stays as given (Kim Jong-il, 200,000, a postal address).
                    values[f"{field}_{language}"] = values[field]
                else:
                    values.pop(f"{field}_{language}", None)
    for language, entries in translations.items():
        for (model, pk), given in entries.items():
            for field in given:
                if field not in fields_by_model.get(model, ()):
                    unknown.append(f"{language}: {model} {pk} {field}")
    return objects, counts, unknown


def main(argv):
    from django.conf import settings

    directory = argv[1] if len(argv) > 1 else os.environ.get("CONTENT_TRANSLATIONS_DIR", "/work/translations")
    fields_by_model = translated_fields()
    languages = [code for code, _ in settings.LANGUAGES]
    translations = read_translations(directory, [code for code in languages if code != "en"])
    for path in sorted((BASE_DIR / "fixtures").glob("*.json")):
        objects = json.loads(path.read_text(encoding="utf-8"))
        objects, counts, unknown = merge(objects, fields_by_model, translations, languages)
        path.write_text(json.dumps(objects, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        filled = ", ".join(f"{language} {n}" for language, n in counts.items() if language != "en")
        print(f"{path.name}: fields translated: {filled}")
    for line in sorted(set(unknown)):
        print(f"ignored (not a translated field): {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
