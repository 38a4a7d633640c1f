"""The shipped translation catalogues: complete, not fuzzy, and compiled as committed."""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
SHIPPED = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalogue(language):
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def test_every_language_but_english_ships_a_catalogue():
    assert sorted(SHIPPED) == ["fr", "ja", "ko"]
    for language in SHIPPED:
        assert (LOCALE / language / "LC_MESSAGES" / "django.po").exists()
        assert (LOCALE / language / "LC_MESSAGES" / "django.mo").exists()


@pytest.mark.parametrize("language", SHIPPED)
def test_no_string_is_left_untranslated_or_fuzzy(language):
    po = catalogue(language)
    assert not po.metadata_is_fuzzy
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []
    assert po.metadata["Language"] == language


@pytest.mark.parametrize("language", SHIPPED)
def test_translations_keep_every_placeholder(language):
    wrong = []
    for entry in catalogue(language).translated_entries():
        expected = set(PLACEHOLDER.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        wrong += [entry.msgid for text in translations if set(PLACEHOLDER.findall(text)) != expected]
    assert wrong == []


def _messages(mo_path):
    with open(mo_path, "rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs msgfmt (Debian's gettext package)")
@pytest.mark.parametrize("language", SHIPPED)
def test_the_committed_mo_file_is_the_compiled_po_file(language, tmp_path):
    """Run `manage.py compilemessages` after changing a .po file, and commit both."""
    folder = LOCALE / language / "LC_MESSAGES"
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(folder / "django.po")], check=True)
    assert _messages(folder / "django.mo") == _messages(compiled)


def test_a_fuzzy_string_would_fail_the_check(tmp_path):
    """The check above is not vacuous: polib sees a fuzzy entry and an empty one."""
    path = tmp_path / "django.po"
    path.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, fuzzy\nmsgid "Home"\nmsgstr "홈"\n\nmsgid "News"\nmsgstr ""\n',
        encoding="utf-8",
    )
    po = polib.pofile(str(path))
    assert [e.msgid for e in po.fuzzy_entries()] == ["Home"]
    assert [e.msgid for e in po.untranslated_entries()] == ["News"]
