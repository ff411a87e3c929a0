"""The UI's Chinese catalogue is complete and compiled."""

from pathlib import Path

import polib
import pytest
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


@pytest.mark.django_db
def test_djangos_own_labels_are_not_overridden_by_the_projects(admin_client):
    # Given the admin in Chinese
    with translation.override("zh-hans"):
        # Then Django's own words are Django's: the admin's change links read 修改 (not 环比)
        page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "修改" in page
        assert "环比" not in page
        # (looked up through an alias, which makemessages does not collect from this file)
        lookup, lookup_in = translation.gettext, translation.pgettext
        assert (lookup("Change"), lookup("Close"), lookup("content type")) == ("修改", "关闭", "内容类型")
        # And the project's same English words keep their meaning where the project uses them
        assert lookup_in("month-on-month", "Change") == "环比"
        assert lookup_in("close the ticket at intake", "Close") == "办结"
        assert lookup_in("attachment", "content type") == "文件类型"


def test_a_tickets_disposition_reads_as_a_decision_not_as_done():
    # A ticket the agent sends to dispatch is 派单办理 while it waits, not 已派单
    from intake.models import Disposition

    with translation.override("zh-hans"):
        assert str(Disposition.DISPATCHED.label) == "派单办理"
