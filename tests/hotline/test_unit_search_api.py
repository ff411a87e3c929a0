"""GET /api/v1/units/search/: the unit pickers' search, for any signed-in user or API client."""

import pytest
from rest_framework.authtoken.models import Token

from hotline.models import Role, UnitKind
from tests.factories import DistrictFactory, StreetFactory, UnitFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/units/search/"


@pytest.fixture
def fengtai():
    district = DistrictFactory(name="丰台区", name_en="Fengtai District")
    StreetFactory(name="新村街道", name_en="Xincun Subdistrict", parent=district)
    UnitFactory(name="丰台区城市管理委", kind=UnitKind.DISTRICT_DEPARTMENT, parent=district)
    UnitFactory(name="市城市管理委", kind=UnitKind.CITY_DEPARTMENT)
    return district


def test_anonymous_callers_are_refused(api_client, fengtai):
    response = api_client.get(URL, {"q": "xcjd"})
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


def test_unit_staff_search_with_their_session_and_get_units_with_kind_and_district(
    client, make_user, fengtai, django_assert_max_num_queries
):
    officer = make_user(Role.UNIT_OFFICER, username="xincun")
    client.force_login(officer)
    client.get(URL, {"q": "x"})  # warms the process's index
    with django_assert_max_num_queries(2):
        response = client.get(URL, {"q": "xcjd"})
    assert response.status_code == 200
    street = response.json()[0]
    assert street == {
        "id": street["id"],
        "name": "新村街道",
        "label": "新村街道",
        "kind": "street",
        "kind_label": "街乡镇",
        "district": {"id": fengtai.pk, "name": "丰台区", "label": "丰台区"},
        "code": street["code"],
    }


def test_the_label_is_in_the_readers_language_and_the_name_stays_chinese(api_client, make_user, fengtai):
    # Given a dispatcher reading the English interface
    api_client.force_login(make_user(Role.DISPATCHER))
    # When the picker searches
    street = api_client.get(URL, {"q": "xcjd"}, HTTP_ACCEPT_LANGUAGE="en").json()[0]
    # Then the label is English, the name (the API's stable contract) Chinese
    assert (street["name"], street["label"]) == ("新村街道", "Xincun Subdistrict")
    assert street["district"] == {"id": fengtai.pk, "name": "丰台区", "label": "Fengtai District"}


def test_api_clients_search_with_their_token(api_client, make_user, fengtai):
    user = make_user(Role.API_CLIENT)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    found = api_client.get(URL, {"q": "市城市管理委"}).json()
    assert (found[0]["name"], found[0]["district"]) == ("市城市管理委", None)


def test_kind_may_be_repeated_and_within_restricts_to_a_district(api_client, make_user, fengtai):
    api_client.force_login(make_user(Role.DISPATCHER))
    both = api_client.get(f"{URL}?q=cgw&kind=city_department&kind=district_department").json()
    assert [unit["name"] for unit in both] == ["市城市管理委", "丰台区城市管理委"]
    city = api_client.get(URL, {"q": "cgw", "kind": "city_department"}).json()
    assert [unit["name"] for unit in city] == ["市城市管理委"]
    local = api_client.get(URL, {"q": "cgw", "within": fengtai.pk}).json()
    assert [unit["name"] for unit in local] == ["丰台区城市管理委"]


def test_an_empty_query_answers_an_empty_list(api_client, make_user, fengtai):
    api_client.force_login(make_user(Role.DISPATCHER))
    response = api_client.get(URL, {"q": ""})
    assert (response.status_code, response.json()) == (200, [])
    assert api_client.get(URL).json() == []


def test_an_unknown_kind_is_a_field_error(api_client, make_user, fengtai):
    api_client.force_login(make_user(Role.DISPATCHER))
    response = api_client.get(URL, {"q": "cgw", "kind": "planet"})
    assert response.status_code == 400
    assert "kind" in response.json()["error"]["fields"]
