"""The shipped dispatch catalogue: every leaf category in every street/township gets a suggestion,
functional matters a department, street matters their street; loading it twice creates nothing."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from dispatch import selectors, services
from dispatch.models import STREET_KINDS, RoutingRule
from hotline.errors import DomainError
from hotline.models import Category, Unit, UnitKind
from tests.factories import RoutingRuleFactory


@pytest.fixture
def catalogue(beijing) -> services.CatalogueLoadResult:
    return services.load_catalogue(rows=services.read_catalogue_rows(), valid_from=timezone.localdate())


def test_every_leaf_in_every_street_gets_a_suggestion(catalogue):
    # given the shipped units, categories and catalogue, read once into memory
    categories = {c.pk: c for c in Category.objects.select_related("parent__parent")}
    leaves = [c for c in categories.values() if c.level == 3]
    places = list(Unit.objects.filter(kind__in=STREET_KINDS))
    city = Unit.objects.get(kind=UnitKind.CITY)
    rules = selectors.rule_index()
    assert (len(leaves), len(places)) == (434, 349)
    # when every leaf category is suggested for every street/township, through the real ranking
    failures = []
    for leaf in leaves:
        chain = selectors.category_chain(leaf)
        for place in places:
            found = selectors.rank_suggestions(chain=chain, district_id=place.parent_id, street=place, rules=rules)
            first = found[0].unit if found else None
            if leaf.is_functional:
                ok = (
                    first is not None
                    and first.parent_id in (place.parent_id, city.pk)
                    and not any(s.unit.kind in STREET_KINDS for s in found)
                )
            else:
                ok = first == place
            if not ok:
                failures.append((leaf.code, leaf.name, place.name, [s.unit.name for s in found]))
    # then functional matters go to a department of the street's district or the city, street matters home
    assert failures == []


def test_a_ticket_without_a_district_still_gets_the_city_department(catalogue):
    street_light = Category.objects.get(name="路灯不亮")
    found = selectors.suggest_units(category_id=street_light.pk, district_id=None, street_id=None)
    assert [s.unit.name for s in found] == ["市城市管理委"]


def test_a_street_light_in_xincun_goes_to_fengtai_city_management_first(catalogue):
    # given the brief's example: 市政 › 路灯照明 › 路灯不亮 (functional) in 新村街道 (丰台区)
    street_light = Category.objects.get(name="路灯不亮", parent__name="路灯照明")
    xincun = Unit.objects.get(name="新村街道", parent__name="丰台区")
    # when suggested without a ticket
    found = selectors.suggest_units(category_id=street_light.pk, district_id=xincun.parent_id, street_id=xincun.pk)
    # then the district's department first, the city department as the fallback, with the rule's category
    assert [s.unit.name for s in found] == ["丰台区城市管理委", "市城市管理委"]
    assert found[0].reason == "派单目录：路灯照明"


def test_a_street_matter_reads_as_local(catalogue):
    noise = Category.objects.get(name="夜间施工扰民")
    xincun = Unit.objects.get(name="新村街道", parent__name="丰台区")
    found = selectors.suggest_units(category_id=noise.pk, district_id=None, street_id=xincun.pk)
    assert [(s.unit, s.reason) for s in found] == [(xincun, "属地：新村街道")]


def test_a_leaf_line_comes_before_its_level_2_line(catalogue):
    # 网络与通讯 → 市通信管理局; 信号差 → the three operators, who come first
    signal = Category.objects.get(name="信号差")
    xincun = Unit.objects.get(name="新村街道", parent__name="丰台区")
    found = selectors.suggest_units(category_id=signal.pk, district_id=xincun.parent_id, street_id=xincun.pk)
    operators = ["中国移动北京公司", "中国联通北京市分公司", "中国电信北京分公司"]
    assert [s.unit.name for s in found] == [*operators, "市通信管理局"]


class TestLoad:
    def test_it_creates_one_rule_per_district_and_a_city_fallback(self, catalogue):
        street_lights = Category.objects.get(name="路灯照明")
        rules = RoutingRule.objects.filter(category=street_lights)
        assert rules.filter(district__isnull=True).get().unit.name == "市城市管理委"
        assert rules.filter(district__isnull=False).count() == 16
        assert (catalogue.created, catalogue.unchanged) == (RoutingRule.objects.count(), 0)

    def test_a_second_load_creates_nothing(self, catalogue):
        again = services.load_catalogue(rows=services.read_catalogue_rows(), valid_from=timezone.localdate())
        assert (again.created, again.unchanged) == (0, catalogue.created)

    def test_it_leaves_the_supervisors_rules_alone(self, catalogue):
        # given a supervisor's own rule beside the shipped ones
        rule = RoutingRule.objects.filter(district__name="丰台区", category__name="路灯照明").get()
        enforcement = Unit.objects.get(name="丰台区城管执法局")
        own = RoutingRuleFactory(category=rule.category, district=rule.district, unit=enforcement)
        # when the catalogue is loaded again
        again = services.load_catalogue(rows=services.read_catalogue_rows(), valid_from=timezone.localdate())
        # then their rule stays in effect
        assert again.created == 0
        assert selectors.rules_in_effect().filter(pk=own.pk).exists()

    def test_an_unknown_unit_loads_nothing(self, beijing):
        rows = [
            {"category_code": "1603", "target": "district:城市管理委", "fallback": "市城市管理委", "note": ""},
            {"category_code": "1603", "target": "city:北京路灯公司", "fallback": "", "note": ""},
        ]
        with pytest.raises(DomainError) as refused:
            services.load_catalogue(rows=rows, valid_from=timezone.localdate())
        assert (refused.value.code, RoutingRule.objects.count()) == ("invalid_catalogue", 0)

    def test_the_command_prints_the_counts(self, beijing, capsys):
        call_command("load_catalogue")
        call_command("load_catalogue")
        out = capsys.readouterr().out.splitlines()
        assert out[1] == f"dispatch catalogue: 0 rules created, {RoutingRule.objects.count()} unchanged"
