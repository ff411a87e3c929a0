"""The analytics pages' lines name categories, units and places in the reader's language; the
Chinese names (which exports and the disclosure report use) stay as they are."""

from decimal import Decimal

from django.utils import translation

from analytics.selectors import UNIT_GROUPS, CategoryLine, HotSpot, TopicCandidate, UnitLine


def test_a_units_line_reads_in_the_readers_language():
    line = UnitLine(
        1, "新村街道", "丰台区", UNIT_GROUPS[0], {}, name_en="Xincun Subdistrict", parent_name_en="Fengtai District"
    )
    with translation.override("zh-hans"):
        assert (line.label, line.full_label, line.full_name) == ("新村街道", "丰台区新村街道", "丰台区新村街道")
    with translation.override("en"):
        assert (line.label, line.full_label) == ("Xincun Subdistrict", "Xincun Subdistrict, Fengtai District")
        assert line.full_name == "丰台区新村街道"


def test_a_unit_without_an_english_name_keeps_its_chinese_one():
    line = UnitLine(1, "市水务局", "", UNIT_GROUPS[0], {})
    with translation.override("en"):
        assert (line.label, line.full_label) == ("市水务局", "市水务局")


def test_category_lines_hot_spots_and_topics_read_in_the_readers_language():
    category = CategoryLine(1, "供暖", 3, 2, name_en="Heating")
    spot = HotSpot(
        category_id=1,
        category="不热",
        category_parent="供暖",
        street_id=2,
        street="新村街道",
        district="丰台区",
        count=9,
        baseline=[1, 2],
        mean=1.5,
        sd=0.5,
        url="",
        category_en="Not warm enough",
        category_parent_en="Heating",
        street_en="Xincun Subdistrict",
        district_en="Fengtai District",
    )
    topic = TopicCandidate(
        1, "供暖", "公共服务", 10, 5, Decimal("0.5"), "", name_en="Heating", parent_en="Public services"
    )
    with translation.override("zh-hans"):
        assert category.label == "供暖"
        assert (spot.category_label, spot.place_label) == ("供暖 › 不热", "丰台区新村街道")
        assert topic.label == "公共服务 › 供暖"
    with translation.override("en"):
        assert category.label == "Heating"
        assert (spot.category_label, spot.place_label) == (
            "Heating › Not warm enough",
            "Xincun Subdistrict, Fengtai District",
        )
        assert topic.label == "Public services › Heating"
