"""The UI's Chinese catalogue is complete and compiled."""

from pathlib import Path

import polib
from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_message_is_translated_and_not_fuzzy():
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []


def test_compiled_catalogue_matches_the_source():
    source = {entry.msgid: entry.msgstr for entry in polib.pofile(str(LOCALE / "django.po")) if not entry.msgid_plural}
    compiled = {
        entry.msgid: entry.msgstr for entry in polib.mofile(str(LOCALE / "django.mo")) if not entry.msgid_plural
    }
    assert compiled == source


def test_chinese_is_the_default_language(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override("zh-hans"):
        assert translation.gettext("Log in") == "登录"
