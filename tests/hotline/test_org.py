"""The shipped Beijing organisation and category trees."""

import pytest
from django.db import IntegrityError
from django.db.models import Count, Sum

from hotline import services
from hotline.models import Category, DeadlineTier, DivisionType, Unit, UnitKind

pytestmark = pytest.mark.django_db


def test_org_load_is_exact(beijing):
    # Given the shipped org data loaded (fixture)
    # Then the tree matches the official 2022 division codes and the 2020 census
    districts = Unit.objects.filter(kind=UnitKind.DISTRICT)
    assert districts.count() == 16
    assert Unit.objects.filter(kind=UnitKind.STREET).count() == 343
    assert Unit.objects.filter(kind=UnitKind.FUNCTIONAL_ZONE).count() == 6
    assert districts.aggregate(total=Sum("population"))["total"] == 21_893_095
    assert Unit.objects.get(name="朝阳区").population == 3_452_460
    by_type = dict(Unit.objects.filter(kind=UnitKind.STREET).values_list("division_type").annotate(n=Count("id")))
    assert by_type == {
        DivisionType.SUBDISTRICT: 165,
        DivisionType.TOWN: 107,
        DivisionType.TOWNSHIP: 15,
        DivisionType.AREA_OFFICE: 56,
    }


def test_streets_sit_under_their_district_by_code(beijing):
    streets = Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE]).select_related("parent")
    for street in streets:
        assert street.parent.kind == UnitKind.DISTRICT
        assert street.code[:6] == street.parent.code[:6], street.name
    assert Unit.objects.get(name="新村街道").parent.name == "丰台区"
    assert Unit.objects.get(name="北京经济技术开发区", kind=UnitKind.FUNCTIONAL_ZONE).parent.name == "大兴区"


def test_codes_are_unique_and_twelve_digits(beijing):
    codes = list(Unit.objects.exclude(code=None).values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 1 + 16 + 343 + 6
    assert all(len(code) == 12 and code.isdigit() for code in codes)


def test_departments_and_enterprises_named_by_the_seeds_are_there(beijing):
    for name in ["市公安局", "市人力社保局", "市住房城乡建设委", "市规划自然资源委", "市水务局", "市交通委"]:
        assert Unit.objects.get(name=name).kind == UnitKind.CITY_DEPARTMENT
    for name in ["北京公交集团", "北京热力集团", "北京自来水集团", "国网北京市电力公司", "北京燃气集团"]:
        assert Unit.objects.get(name=name).kind == UnitKind.STATE_ENTERPRISE


def test_loading_twice_changes_nothing(beijing):
    # Given the data loaded once (fixture)
    before = list(Unit.objects.order_by("pk").values())
    categories_before = list(Category.objects.order_by("pk").values())
    # When it is loaded again
    units = services.load_units(rows=services.read_unit_rows())
    categories = services.load_categories(tree=services.read_category_tree())
    # Then nothing is created or updated
    assert (units.created, units.updated) == (0, 0)
    assert (categories.created, categories.updated) == (0, 0)
    assert list(Unit.objects.order_by("pk").values()) == before
    assert list(Category.objects.order_by("pk").values()) == categories_before


def test_every_unit_has_an_english_name(beijing):
    # Given the shipped org data loaded (fixture)
    # Then every unit has an English name: official for the districts, pinyin and kind for the streets
    assert not Unit.objects.filter(name_en="").exists()
    assert Unit.objects.get(name="丰台区").name_en == "Fengtai District"
    assert Unit.objects.get(name="新村街道").name_en == "Xincun Subdistrict"
    assert Unit.objects.get(name="市水务局").name_en == "Beijing Water Authority"
    districts = set(Unit.objects.filter(kind=UnitKind.DISTRICT).values_list("name_en", flat=True))
    assert len(districts) == 16
    assert all(name.endswith(" District") for name in districts)


def test_reload_fills_the_english_names_of_existing_units(beijing):
    # Given units loaded before they had English names
    Unit.objects.update(name_en="")
    # When the org is loaded again
    result = services.load_units(rows=services.read_unit_rows())
    # Then every existing unit gets its English name, and none is created
    assert result.created == 0
    assert result.updated == Unit.objects.count()
    assert Unit.objects.get(name="新村街道").name_en == "Xincun Subdistrict"


def test_reload_repairs_an_edited_fact(beijing):
    Unit.objects.filter(name="东城区").update(population=1)
    result = services.load_units(rows=services.read_unit_rows())
    assert result.updated == 1
    assert Unit.objects.get(name="东城区").population == 708_829


def test_category_tree_has_three_levels_and_every_leaf_a_tier(beijing):
    assert Category.objects.filter(level=1).count() >= 16
    leaves = Category.objects.filter(level=3)
    assert leaves.count() > 200
    assert not leaves.exclude(default_tier__in=DeadlineTier.values).exists()
    assert not Category.objects.filter(level__lt=3, children=None).exists(), "every branch ends in leaves"
    heating = Category.objects.get(code="010101")
    assert (heating.parent.name, heating.parent.parent.name) == ("供暖", "公共服务")
    assert heating.default_tier == DeadlineTier.UTILITY
    assert heating.is_functional


def test_seed_categories_are_named_as_published(beijing):
    published = {
        "公共服务": ["供暖", "公交", "供水", "网络与通讯", "供电"],
        "住房": ["房产中介", "小区配套", "房屋修缮", "房屋权属", "非法出租房屋"],
        "交通管理": ["停车管理", "交通设施", "道路拥堵", "缓堵措施", "违章处理"],
    }
    for top, subs in published.items():
        children = set(Category.objects.filter(parent__name=top, level=2).values_list("name", flat=True))
        assert set(subs) <= children, top


def test_database_rejects_a_malformed_code(db):
    with pytest.raises(IntegrityError):
        Unit.objects.create(name="坏代码", kind=UnitKind.CITY, code="12345")
