"""The city's zones: Beijing's official assignment loaded with the org tree, configurable per district."""

import pytest
from django.db import IntegrityError
from django.urls import reverse

from hotline import services
from hotline.errors import DomainError
from hotline.models import Unit, UnitKind, Zone

pytestmark = pytest.mark.django_db

OFFICIAL = {
    Zone.CENTRAL: {"东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区"},
    Zone.SUB_CENTRE: {"通州区"},
    Zone.PLAIN: {"顺义区", "大兴区", "昌平区", "房山区"},
    Zone.ECOLOGICAL: {"门头沟区", "平谷区", "怀柔区", "密云区", "延庆区"},
}


def zones() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name, zone in Unit.objects.filter(kind=UnitKind.DISTRICT).values_list("name", "zone"):
        found.setdefault(zone, set()).add(name)
    return found


def test_every_district_gets_its_official_zone(beijing):
    # Given the shipped org data and zones loaded (fixture)
    # Then the 16 districts sit in the four zones of the master plan, and no other unit has a zone
    assert zones() == OFFICIAL
    assert not Unit.objects.exclude(kind=UnitKind.DISTRICT).exclude(zone="").exists()
    # The Economic-Technological Development Area is a functional zone in Daxing, not a district
    assert Unit.objects.get(name="北京经济技术开发区").zone == ""


def test_reload_keeps_an_admins_choice_and_fills_a_missing_zone(beijing):
    # Given an admin moved Changping to the ecological zone, and Tongzhou lost its zone
    Unit.objects.filter(name="昌平区").update(zone=Zone.ECOLOGICAL)
    Unit.objects.filter(name="通州区").update(zone="")
    # When the zones are loaded again
    result = services.load_zones(rows=services.read_zone_rows())
    # Then only Tongzhou gets the file's zone; Changping keeps the admin's
    assert (result.assigned, result.kept) == (1, 15)
    assert Unit.objects.get(name="通州区").zone == Zone.SUB_CENTRE
    assert Unit.objects.get(name="昌平区").zone == Zone.ECOLOGICAL
    # And loading once more changes nothing
    again = services.load_zones(rows=services.read_zone_rows())
    assert (again.assigned, again.kept) == (0, 16)


def test_a_zone_file_naming_an_unknown_district_is_refused(beijing):
    with pytest.raises(DomainError) as error:
        services.load_zones(rows=[{"code": "110199000000", "name": "某区", "zone": "central"}])
    assert error.value.code == "unknown_district"


def test_only_a_district_carries_a_zone(beijing):
    street = Unit.objects.get(name="东华门街道")
    street.zone = Zone.CENTRAL
    with pytest.raises(IntegrityError):
        street.save()


def test_an_admin_sets_a_districts_zone(beijing, admin_client):
    # Given Fangshan in the plain new towns
    fangshan = Unit.objects.get(name="房山区")
    url = reverse("admin:hotline_unit_change", args=[fangshan.pk])
    # When an admin opens the district and moves it to the ecological conservation area
    assert 'name="zone"' in admin_client.get(url).content.decode()
    form = {
        "name": fangshan.name,
        "name_en": fangshan.name_en,
        "kind": fangshan.kind,
        "division_type": "",
        "parent": fangshan.parent_id,
        "code": fangshan.code,
        "population": fangshan.population,
        "zone": Zone.ECOLOGICAL,
        "is_active": "on",
    }
    response = admin_client.post(url, form)
    # Then it is saved
    assert response.status_code == 302
    assert Unit.objects.get(pk=fangshan.pk).zone == Zone.ECOLOGICAL
    # And a street cannot be given one
    street = Unit.objects.get(name="东华门街道")
    street_form = {**form, "name": street.name, "name_en": street.name_en, "kind": street.kind}
    street_form |= {"division_type": street.division_type, "parent": street.parent_id, "code": street.code}
    street_form |= {"population": "", "zone": Zone.CENTRAL}
    refused = admin_client.post(reverse("admin:hotline_unit_change", args=[street.pk]), street_form)
    assert refused.status_code == 200
    assert Unit.objects.get(pk=street.pk).zone == ""
