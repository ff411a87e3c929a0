"""The gazetteer's communities: shipped with their provenance, loaded idempotently, admin."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.urls import reverse

from hotline import services
from hotline.errors import DomainError
from hotline.models import Community, Unit, UnitKind

pytestmark = pytest.mark.django_db


def test_the_data_file_states_its_source():
    header = services.COMMUNITIES_FILE.read_text(encoding="utf-8").splitlines()[:3]
    assert all(line.startswith("#") for line in header)
    assert "国家统计局 2023年统计用区划代码和城乡划分代码" in " ".join(header)


def test_every_committee_is_loaded_under_its_street(gazetteer):
    assert Community.objects.count() == 7535
    community = Community.objects.select_related("street__parent").get(code="110101001001")
    assert (community.name, community.street.name, community.street.parent.name) == (
        "多福巷社区居委会",
        "东华门街道",
        "东城区",
    )
    for community in Community.objects.select_related("street")[:500]:
        assert community.code[:9] == community.street.code[:9]


def test_communities_of_functional_zones_point_at_the_zone(gazetteer):
    in_zones = Community.objects.filter(street__kind=UnitKind.FUNCTIONAL_ZONE)
    assert in_zones.count() == 10
    assert set(in_zones.values_list("street__parent__name", flat=True)) <= {"大兴区", "怀柔区", "密云区"}


def test_loading_twice_changes_nothing(gazetteer):
    before = list(Community.objects.order_by("pk").values())
    result = services.load_communities(rows=services.read_community_rows())
    assert (result.created, result.updated, result.unchanged) == (0, 0, 7535)
    assert list(Community.objects.order_by("pk").values()) == before


def test_reload_repairs_an_edited_name(gazetteer):
    Community.objects.filter(code="110101001001").update(name="改过的名字")
    result = services.load_communities(rows=services.read_community_rows())
    assert (result.created, result.updated) == (0, 1)
    assert Community.objects.get(code="110101001001").name == "多福巷社区居委会"


def test_a_row_naming_an_unknown_street_is_refused(beijing):
    rows = [{"code": "110101999001", "name": "无名社区居委会", "street_code": "110101999", "district_code": "110101"}]
    with pytest.raises(DomainError):
        services.load_communities(rows=rows)
    assert not Community.objects.exists()


@pytest.mark.parametrize("code", ["123", "11010100100A", "11010100100"])
def test_the_code_has_twelve_digits(beijing, code):
    street = Unit.objects.get(name="东华门街道")
    with pytest.raises(IntegrityError):
        Community.objects.create(code=code, name="测试社区", street=street)


def test_load_org_loads_units_then_communities(db, capsys):
    call_command("load_org")
    out = capsys.readouterr().out
    assert "communities: 7535 created, 0 updated, 0 unchanged" in out
    assert "zones: 16 assigned, 0 kept" in out
    call_command("load_org")
    out = capsys.readouterr().out
    assert "communities: 0 created, 0 updated, 7535 unchanged" in out
    assert "zones: 0 assigned, 16 kept" in out


def test_admin_finds_communities_by_name_and_filters_by_district(gazetteer, admin_client):
    url = reverse("admin:hotline_community_changelist")
    response = admin_client.get(url, {"q": "多福巷"})
    assert response.status_code == 200
    assert [c.name for c in response.context["cl"].result_list] == ["多福巷社区居委会"]
    chaoyang = Unit.objects.get(name="朝阳区")
    response = admin_client.get(url, {"district": chaoyang.pk, "q": "黄寺"})
    assert [c.street.name for c in response.context["cl"].result_list] == ["安贞街道"]
