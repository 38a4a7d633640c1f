"""scripts/merge_content_translations.py: the translators' files into the fixtures' translation fields."""

import copy
import importlib.util
import json
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("merge", ROOT / "scripts" / "merge_content_translations.py")
merge_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(merge_script)

FIELDS = {"campaign.appeal": ("title", "addressee", "introduction")}
LANGUAGES = ["en", "ko", "ja", "fr"]


def _fixture():
    return [
        {
            "model": "campaign.appeal",
            "pk": 1,
            "fields": {"title": "Appeal", "addressee": "Kim Jong-il", "introduction": "Text.", "slug": "a"},
        }
    ]


def test_english_is_copied_translations_filled_and_names_kept_as_given():
    translations = {"ko": {("campaign.appeal", 1): {"title": "호소문", "introduction": "본문."}}}
    (obj,), counts, unknown = merge_script.merge(_fixture(), FIELDS, translations, LANGUAGES)
    fields = obj["fields"]
    assert fields["title_en"] == "Appeal" and fields["title"] == "Appeal"
    assert fields["title_ko"] == "호소문" and fields["introduction_ko"] == "본문."
    assert fields["addressee_ko"] == "Kim Jong-il"  # left out by the translator: a name
    assert "title_ja" not in fields  # no Japanese file: untranslated, the page says so
    assert counts["ko"] == 2 and unknown == []


def test_merging_twice_changes_nothing():
    translations = {"fr": {("campaign.appeal", 1): {"title": "Appel"}}}
    once, _, _ = merge_script.merge(_fixture(), FIELDS, translations, LANGUAGES)
    twice, _, _ = merge_script.merge(copy.deepcopy(once), FIELDS, translations, LANGUAGES)
    assert once == twice


def test_a_field_that_is_not_translated_is_reported():
    translations = {"ja": {("campaign.appeal", 1): {"slug": "x"}}}
    _, _, unknown = merge_script.merge(_fixture(), FIELDS, translations, LANGUAGES)
    assert unknown == ["ja: campaign.appeal 1 slug"]


def test_the_committed_fixtures_carry_every_language_and_load(db):
    statements = [
        o
        for o in json.loads((ROOT / "fixtures" / "campaign.json").read_text())
        if o["model"] == "campaign.statement"
    ]
    assert statements and all(o["fields"].get(f"title_{code}") for o in statements for code in LANGUAGES)
    call_command("load_content", verbosity=0)
    from django.utils import translation

    from campaign.models import Statement

    with translation.override("ja"):
        assert Statement.objects.get(pk=statements[0]["pk"]).title == statements[0]["fields"]["title_ja"]
