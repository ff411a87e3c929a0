"""Unit search for the pickers, over the real Beijing organisation tree."""

import pytest

from hotline import reference, selectors
from hotline.models import Unit, UnitKind
from hotline.unit_search import short_names

pytestmark = pytest.mark.django_db

CITY_MANAGEMENT = "城市管理委"


def names(query: str, **options) -> list[str]:
    return [match.name for match in selectors.search_units(query=query, kinds=options.pop("kinds", ()), **options)]


@pytest.mark.parametrize(
    ("name", "kind", "parent", "parent_kind", "expected"),
    [
        ("丰台区城市管理委", UnitKind.DISTRICT_DEPARTMENT, "丰台区", UnitKind.DISTRICT, ["城市管理委"]),
        ("新村街道", UnitKind.STREET, "丰台区", UnitKind.DISTRICT, ["新村"]),
        ("长辛店镇", UnitKind.STREET, "丰台区", UnitKind.DISTRICT, ["长辛店"]),
        ("南磨房地区", UnitKind.STREET, "朝阳区", UnitKind.DISTRICT, ["南磨房"]),
        ("市水务局", UnitKind.CITY_DEPARTMENT, "北京市", UnitKind.CITY, ["水务局"]),
        ("丰台区", UnitKind.DISTRICT, "北京市", UnitKind.CITY, []),
    ],
)
def test_short_names_drop_the_district_or_city_prefix_and_a_streets_suffix(name, kind, parent, parent_kind, expected):
    assert short_names(name=name, kind=kind, parent_name=parent, parent_kind=parent_kind) == expected


def test_pinyin_initials_find_a_street_by_its_full_and_its_short_name(beijing):
    assert names("xcjd")[0] == "新村街道"
    assert "新村街道" in names("xc")
    assert names("XCJD")[0] == "新村街道"  # case and spaces do not matter
    assert names(" xc jd ")[0] == "新村街道"


def test_exact_short_name_comes_before_prefixes_and_substrings(beijing):
    assert names("新村") == ["新村街道"]
    # 丰台街道 is known as 丰台; then the prefixes, the district first (kind order)
    assert names("丰台")[:2] == ["丰台街道", "丰台区"]
    assert names("丰台区")[0] == "丰台区"


def test_city_management_departments_by_their_abbreviated_initials(beijing):
    found = selectors.search_units(query="cgw", kinds=(), limit=50)
    city_management = [match for match in found if match.name.endswith(CITY_MANAGEMENT)]
    # the city's and all 16 districts' come first, the city's (kind order) at the top
    assert len(city_management) == 17
    assert found[:17] == city_management
    assert found[0].name == "市城市管理委"


def test_characters_typed_in_order_find_the_unit(beijing):
    assert names("丰台城管委") == ["丰台区城市管理委"]
    # 城管 is both the management committee and the enforcement bureau: both, and only Fengtai's
    assert sorted(names("丰台城管")) == ["丰台区城市管理委", "丰台区城管执法局"]


def test_substring_and_full_pinyin(beijing):
    # the city's bureau first (kind order), then the districts'
    water = names("水务")
    assert water[0] == "市水务局"
    assert all(name.endswith("水务局") for name in water)
    assert names("xincun")[0] == "新村街道"
    assert names("dahongmen")[0] == "大红门街道"


def test_kinds_and_district_restrict_the_search(beijing):
    fengtai = Unit.objects.get(name="丰台区")
    assert names("cgw", kinds=[UnitKind.CITY_DEPARTMENT]) == ["市城市管理委"]
    assert names("cgw", within=fengtai.pk) == ["丰台区城市管理委"]
    assert names("xc", kinds=[UnitKind.STREET], within=fengtai.pk) == ["新村街道"]
    assert names("xcjd", kinds=[UnitKind.CITY_DEPARTMENT]) == []


def test_matches_carry_kind_and_district(beijing):
    match = selectors.search_units(query="新村街道", kinds=())[0]
    fengtai = Unit.objects.get(name="丰台区")
    assert (match.kind, match.kind_label, match.district_id, match.district_name) == (
        UnitKind.STREET,
        "街乡镇",
        fengtai.pk,
        "丰台区",
    )
    city = selectors.search_units(query="市水务局", kinds=())[0]
    assert (city.district_id, city.district_name) == (None, None)


def test_empty_query_finds_nothing_and_the_limit_holds(beijing):
    assert names("") == []
    assert names("   ") == []
    assert len(selectors.search_units(query="j", kinds=(), limit=5)) == 5


def test_inactive_units_are_not_found_and_a_change_reaches_the_index(beijing, django_capture_on_commit_callbacks):
    assert names("xcjd")[0] == "新村街道"
    with django_capture_on_commit_callbacks(execute=True):
        Unit.objects.filter(name="新村街道").update(is_active=False)
        reference.changed()
    assert "新村街道" not in names("xcjd")


def test_a_search_after_the_first_costs_no_query(beijing, django_assert_num_queries):
    names("xcjd")
    with django_assert_num_queries(0):
        assert names("丰台城管委") == ["丰台区城市管理委"]
