"""English names of Beijing's units (hotline.unit_names), as load_org stores them in Unit.name_en."""

import pytest

from hotline.unit_names import DISTRICTS, english_name, pinyin


@pytest.mark.parametrize(
    ("name", "kind", "parent", "english"),
    [
        ("北京市", "city", None, "Beijing"),
        ("丰台区", "district", "北京市", "Fengtai District"),
        ("新村街道", "street", "丰台区", "Xincun Subdistrict"),
        ("南磨房地区", "street", "朝阳区", "Nanmofang Area"),
        ("南口镇", "street", "昌平区", "Nankou Town"),
        ("霞云岭乡", "street", "房山区", "Xiayunling Township"),
        ("于家务回族乡", "street", "通州区", "Yujiawu Hui Ethnic Township"),
        ("张镇", "street", "顺义区", "Zhangzhen Town"),
        ("市水务局", "city_department", "北京市", "Beijing Water Authority"),
        ("丰台区城市管理委", "district_department", "丰台区", "Fengtai District Urban Management Commission"),
        ("市公安局丰台分局", "district_department", "丰台区", "Beijing Public Security Bureau, Fengtai Branch"),
        (
            "市公安局公安交通管理局丰台交通支队",
            "district_department",
            "丰台区",
            "Beijing Traffic Management Bureau, Fengtai Traffic Detachment",
        ),
        ("北京热力集团", "state_enterprise", "北京市", "Beijing District Heating Group"),
        ("大兴国际机场", "functional_zone", "大兴区", "Daxing International Airport"),
    ],
)
def test_units_get_their_english_names(name, kind, parent, english):
    assert english_name(name=name, kind=kind, parent_name=parent) == english


def test_the_sixteen_districts_have_their_official_names():
    assert len(DISTRICTS) == 16
    assert all(english.endswith(" District") for english in DISTRICTS.values())


def test_pinyin_reads_beijings_place_names_as_beijing_does():
    # Given place names pypinyin alone reads wrongly (朝 zhao, 长 zhang)
    # Then they read as on Beijing's signs, with an apostrophe before a vowel-initial syllable
    assert pinyin("朝阳门") == "Chaoyangmen"
    assert pinyin("长辛店") == "Changxindian"
    assert pinyin("什刹海") == "Shichahai"
    assert pinyin("广安门内") == "Guang'anmennei"


def test_an_unknown_name_falls_back_to_its_pinyin():
    assert english_name(name="某某管理处", kind="city_department", parent_name="北京市") == "Moumouguanlichu"
