"""Words on the pages: Django's own labels stay Django's in Chinese (the project's catalogue gives its
same English words a context instead of overriding them), and names of categories, units and
knowledge-base articles follow the reader's language."""

from pathlib import Path

import django
import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from dispatch.forms import UnitChoiceField
from dispatch.models import AssignmentRole
from hotline.models import Role, Unit, UnitKind
from intake.models import KnowledgeArticle
from tests.factories import (
    AssignmentFactory,
    CategoryFactory,
    DistrictFactory,
    KnowledgeArticleFactory,
    StreetFactory,
    TicketFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db

DJANGO = Path(django.__file__).resolve().parent
# The catalogues of the Django apps the project installs.
DJANGO_CATALOGUES = [
    DJANGO / "conf" / "locale",
    *(DJANGO / "contrib" / app / "locale" for app in ("admin", "auth", "contenttypes", "sessions", "postgres")),
]
# Django's words the project means to show differently: a language's name in its own language.
OWN_WORDS = {"English"}


def _html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_projects_catalogue_overrides_no_word_of_djangos():
    # Given every message of the installed Django apps and its Chinese in Django's own catalogues
    djangos: dict[str, set[str]] = {}
    for locale in DJANGO_CATALOGUES:
        for entry in polib.pofile(str(locale / "zh_Hans" / "LC_MESSAGES" / "django.po")):
            if entry.msgstr and not entry.msgctxt and not entry.msgid_plural:
                djangos.setdefault(entry.msgid, set()).add(entry.msgstr)
    # When the project's catalogue has the same word without a context
    project = polib.pofile(str(Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    differing = {
        entry.msgid: entry.msgstr
        for entry in project
        if not entry.obsolete
        and not entry.msgctxt
        and entry.msgid in djangos
        and entry.msgstr not in djangos[entry.msgid]
        and entry.msgid not in OWN_WORDS
    }
    # Then it reads as Django reads it: the project's own uses of such words carry a context
    assert differing == {}


def test_the_admin_shows_djangos_own_labels_in_chinese(admin_client):
    # Given a unit and a read-only record (an assignment) in the admin, read in Chinese
    unit = UnitFactory(name="市水务局", name_en="Beijing Water Authority")
    assignment = AssignmentFactory()
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    # Then the index reads 修改 and 增加, the header 注销
    index = _html(admin_client.get(reverse("admin:index"), **zh))
    assert 'class="changelink"' in index
    assert ">修改</a>" in index
    assert ">增加</a>" in index
    assert ">注销</button>" in index
    # And a change list its add button and its filter as Django words them
    changelist = _html(admin_client.get(reverse("admin:hotline_unit_changelist"), **zh))
    assert "增加 单位" in changelist
    assert '<h2 id="changelist-filter-header">过滤器</h2>' in changelist
    # And a change form 保存 and 删除, a read-only one 关闭
    change = _html(admin_client.get(reverse("admin:hotline_unit_change", args=[unit.pk]), **zh))
    assert 'value="保存"' in change
    assert ">删除</a>" in change
    readonly = _html(admin_client.get(reverse("admin:dispatch_assignment_change", args=[assignment.pk]), **zh))
    assert ">关闭</a>" in readonly
    # And none of the project's own readings of the same English words shows in the admin
    for page in (index, changelist, change, readonly):
        for project_word in ("环比", "办结", "文件类型", "退出"):
            assert project_word not in page


def test_the_projects_pages_keep_their_own_words_in_chinese(client, make_user):
    # Given hotline staff reading the product in Chinese
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    client.force_login(make_user(Role.AGENT))
    # Then the desk closes a ticket at intake with 办结, and the nav logs out with 退出
    desk = _html(client.get(reverse("intake:desk"), **zh))
    assert "办结" in desk
    assert "退出" in desk
    assert "注销" not in desk
    # And lists filter with 筛选 and name a ticket's summary 摘要
    tickets = _html(client.get(reverse("intake:ticket_list"), **zh))
    assert "筛选" in tickets
    assert "摘要" in tickets
    client.force_login(make_user(Role.HOTLINE_SUPERVISOR))
    # And the category analysis compares months with 环比
    categories = _html(client.get(reverse("analytics:categories"), **zh))
    assert "环比" in categories
    assert "修改" not in categories


@pytest.fixture
def named_ticket():
    """A ticket whose category, place, handling unit and article all have English names."""
    category = CategoryFactory(name="不热", name_en="Not warm enough")
    for ancestor, english in ((category.parent, "Heating"), (category.parent.parent, "Public services")):
        ancestor.name_en = english
        ancestor.save()
    district = DistrictFactory(name="丰台区", name_en="Fengtai District")
    street = StreetFactory(name="新村街道", name_en="Xincun Subdistrict", parent=district)
    department = UnitFactory(
        name="丰台区城市管理委",
        name_en="Fengtai District Urban Management Commission",
        kind=UnitKind.DISTRICT_DEPARTMENT,
        parent=district,
    )
    article = KnowledgeArticleFactory(title="北京市供暖期时间", title_en="Beijing's heating season")
    ticket = TicketFactory(category=category, district=district, street=street, article=article)
    AssignmentFactory(ticket=ticket, unit=department, role=AssignmentRole.LEAD)
    return ticket


def test_in_english_categories_units_and_articles_show_their_english_names(client, make_user, named_ticket):
    # Given an agent reading a ticket in English
    client.force_login(make_user(Role.AGENT))
    url = reverse("intake:ticket_detail", args=[named_ticket.pk])
    english = _html(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    # Then its category, district, street, handling unit and article read in English
    for name in (
        "Public services › Heating › Not warm enough",
        "Fengtai District",
        "Xincun Subdistrict",
        "Fengtai District Urban Management Commission",
        "Beijing&#x27;s heating season",
    ):
        assert name in english
    for chinese in ("不热", "新村街道", "丰台区城市管理委", "北京市供暖期时间"):
        assert chinese not in english
    # And in Chinese they read in Chinese
    chinese = _html(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    for name in ("不热", "丰台区", "新村街道", "丰台区城市管理委", "北京市供暖期时间"):
        assert name in chinese
    assert "Xincun Subdistrict" not in chinese


def test_in_english_the_knowledge_base_lists_articles_by_their_english_titles(client, make_user):
    # Given an article with an English title and body, and one without
    KnowledgeArticleFactory(title="北京市供暖期时间", title_en="Beijing's heating season", body_en="15 Nov – 15 Mar.")
    KnowledgeArticleFactory(title="养犬登记办理流程")
    client.force_login(make_user(Role.AGENT))
    # When the knowledge base is read in English
    english = _html(client.get(reverse("intake:article_list"), HTTP_ACCEPT_LANGUAGE="en"))
    # Then the English title and body show, and an article without them keeps its Chinese
    assert "Beijing&#x27;s heating season" in english
    assert "15 Nov – 15 Mar." in english
    assert "北京市供暖期时间" not in english
    assert "养犬登记办理流程" in english


def test_a_supervisor_writes_an_articles_english_title_and_body(client, make_user):
    # Given a supervisor writing an article with its English title and body
    client.force_login(make_user(Role.HOTLINE_SUPERVISOR))
    fields = {"title": "供暖时间", "body": "每年11月15日开始供暖。", "valid_from": "2024-01-01", "is_public": "on"}
    english = {"title_en": "Heating season", "body_en": "Heating starts on 15 November."}
    response = client.post(reverse("intake:article_create"), {**fields, **english})
    # Then the article keeps both languages, and its edit form offers the English ones again
    assert response.status_code == 302
    article = KnowledgeArticle.objects.get()
    assert (article.title, article.title_en, article.body_en) == ("供暖时间", "Heating season", english["body_en"])
    form = client.get(reverse("intake:article_edit", args=[article.pk])).context["form"]
    assert (form["title_en"].value(), form["body_en"].value()) == ("Heating season", english["body_en"])
    # And the English ones are optional: cleared, the article reads in Chinese in English too
    client.post(reverse("intake:article_edit", args=[article.pk]), fields)
    article.refresh_from_db()
    assert (article.title_en, article.body_en) == ("", "")
    with translation.override("en"):
        assert article.label == "供暖时间"


def test_the_unit_pickers_choices_read_in_the_readers_language():
    # Given a street of a district, both with English names
    district = DistrictFactory(name="丰台区", name_en="Fengtai District")
    street = StreetFactory(name="新村街道", name_en="Xincun Subdistrict", parent=district)
    field = UnitChoiceField(queryset=Unit.objects.all())
    # Then the picker's choice names the street with its district, in the reader's language
    with translation.override("en"):
        assert field.label_from_instance(street) == "Xincun Subdistrict (Fengtai District)"
        assert field.label_from_instance(district) == "Fengtai District"
    with translation.override("zh-hans"):
        assert field.label_from_instance(district) == "丰台区"
