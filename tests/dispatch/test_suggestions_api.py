"""POST /api/v1/dispatch-suggestions/: category from the words, street from the address, units from the
catalogue, on the real Beijing org, gazetteer and catalogue, with a model trained from the tree alone."""

import pytest
from django.utils import timezone

from dispatch import services as dispatch_services
from hotline.models import Category, Role, Unit
from intake import services as intake_services
from intake.classifier import suggestions
from intake.models import Channel, Kind
from intake.services import NewTicket, Outcome

pytestmark = pytest.mark.django_db

URL = "/api/v1/dispatch-suggestions/"
EXAMPLE = {"text": "小区门口的路灯不亮了，晚上很黑。", "address": "北京市丰台区新村街道怡海花园社区12号楼东侧"}


@pytest.fixture
def catalogue(gazetteer) -> None:
    dispatch_services.load_catalogue(rows=dispatch_services.read_catalogue_rows(), valid_from=timezone.localdate())


@pytest.fixture
def agent_api(api_client, make_user):
    hotline = Unit.objects.get(kind="hotline_center")
    api_client.force_authenticate(make_user(Role.AGENT, hotline))
    return api_client


def test_the_briefs_example_goes_to_the_district_city_management_committee(smart_dispatch, agent_api):
    # When an agent's text about a street light out is sent with the caller's address
    response = agent_api.post(URL, EXAMPLE, format="json")

    # Then the category is 路灯不亮, the place 丰台区 › 新村街道 › 怡海花园社区, and the unit 丰台区城管委 first
    assert response.status_code == 200, response.json()
    body = response.json()
    first = body["categories"][0]
    assert first["path"] == "市政 › 路灯照明 › 路灯不亮"
    assert first["id"] == Category.objects.get(name="路灯不亮").pk
    assert 0 < first["confidence"] <= 1
    assert len(body["categories"]) == 5
    place = body["place"]
    assert place["district"] == {
        "id": Unit.objects.get(name="丰台区").pk,
        "name": "丰台区",
        "label": "丰台区",
        "code": "110106000000",
    }
    assert place["street"] == {
        "id": Unit.objects.get(name="新村街道").pk,
        "name": "新村街道",
        "label": "新村街道",
        "code": "110106010000",
    }
    assert place["community"] == {"code": "110106010015", "name": "怡海花园社区"}
    assert place["confidence"] >= 0.9
    assert [c["street"]["name"] for c in place["candidates"]] == ["新村街道"]
    assert body["units"][0]["name"] == "丰台区城市管理委"
    assert body["units"][0]["kind"] == "district_department"
    assert body["units"][0]["reason"].startswith("派单目录")
    assert all(unit["kind"] not in {"street", "functional_zone"} for unit in body["units"])


def test_the_place_is_read_from_the_text_without_an_address(smart_dispatch, agent_api):
    body = agent_api.post(URL, {"text": "东城区多福巷社区3号楼门口路灯不亮"}, format="json").json()
    assert body["place"]["street"]["name"] == "东华门街道"
    assert body["place"]["community"]["code"] == "110101001001"
    assert body["units"][0]["name"] == "东城区城市管理委"


def test_an_ambiguous_place_lists_every_street_still_possible(smart_dispatch, agent_api):
    body = agent_api.post(URL, {"text": "路灯不亮", "address": "半壁店村"}, format="json").json()
    place = body["place"]
    assert len(place["candidates"]) > 3
    assert place["confidence"] < 0.5
    assert [c["confidence"] for c in place["candidates"]] == sorted(
        (c["confidence"] for c in place["candidates"]), reverse=True
    )


def test_given_category_and_street_are_used_as_given(smart_dispatch, agent_api):
    # Given a street matter and a street chosen by hand
    noise = Category.objects.get(name="夜间施工扰民")
    dahongmen = Unit.objects.get(name="大红门街道")
    body = agent_api.post(
        URL, {"text": "随便说点什么", "category": noise.pk, "street": dahongmen.pk}, format="json"
    ).json()
    assert body["categories"] == [{"id": noise.pk, "path": "城乡建设 › 施工管理 › 夜间施工扰民", "confidence": 1.0}]
    assert body["place"]["street"]["name"] == "大红门街道"
    assert body["place"]["district"]["name"] == "丰台区"
    # Then a street matter goes to that street
    assert body["units"][0] == {
        "id": dahongmen.pk,
        "name": "大红门街道",
        "label": "大红门街道",
        "kind": "street",
        "reason": "属地：大红门街道",
    }


def test_in_english_the_advice_reads_in_english_and_names_stay_chinese(smart_dispatch, agent_api):
    # Given a category and a street chosen by hand, asked for in English
    noise = Category.objects.get(name="夜间施工扰民")
    dahongmen = Unit.objects.get(name="大红门街道")
    body = agent_api.post(
        URL,
        {"text": "随便说点什么", "category": noise.pk, "street": dahongmen.pk},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    ).json()
    # Then the category's path (which the desk matches against its English options) and the
    # labels are English, and the names (the API's stable contract) Chinese
    assert body["categories"][0]["path"] == " › ".join(
        node.name_en for node in (noise.parent.parent, noise.parent, noise)
    )
    street, unit = body["place"]["street"], body["units"][0]
    assert (street["name"], street["label"]) == ("大红门街道", "Dahongmen Subdistrict")
    assert body["place"]["district"]["label"] == "Fengtai District"
    assert (unit["name"], unit["label"]) == ("大红门街道", "Dahongmen Subdistrict")


def test_nothing_recognised_is_null_and_no_model_is_no_category(catalogue, agent_api):
    suggestions.forget_loaded_model()
    body = agent_api.post(URL, {"text": "你好"}, format="json").json()
    assert body == {"categories": [], "place": None, "units": []}


def test_bad_input_is_a_400_with_field_messages(catalogue, agent_api):
    response = agent_api.post(URL, {"text": "", "street": 999999}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"street"}
    empty = agent_api.post(URL, {"text": "  "}, format="json")
    assert empty.status_code == 400
    assert "text" in empty.json()["error"]["fields"]
    chaoyang, xincun = Unit.objects.get(name="朝阳区"), Unit.objects.get(name="新村街道")
    mismatch = agent_api.post(URL, {"text": "路灯", "district": chaoyang.pk, "street": xincun.pk}, format="json")
    assert mismatch.status_code == 400
    assert "street" in mismatch.json()["error"]["fields"]


def test_only_intake_roles_may_ask(catalogue, api_client, make_user):
    assert api_client.post(URL, EXAMPLE, format="json").status_code == 401
    street = Unit.objects.get(name="新村街道")
    api_client.force_authenticate(make_user(Role.UNIT_OFFICER, street))
    assert api_client.post(URL, EXAMPLE, format="json").status_code == 403
    api_client.force_authenticate(make_user(Role.API_CLIENT, Unit.objects.get(kind="hotline_center")))
    assert api_client.post(URL, EXAMPLE, format="json").status_code == 200


def test_the_dispatcher_sees_what_the_model_reads_beside_the_recorded_category(smart_dispatch, client, make_user):
    # Given a ticket about a street light out that the agent recorded under an unrelated category
    ticket = intake_services.submit_intake(
        data=NewTicket(
            channel=Channel.PHONE,
            kind=Kind.COMPLAINT,
            category=Category.objects.get(name="公积金提取"),
            description="小区门口的路灯不亮了，晚上很黑",
            street=Unit.objects.get(name="新村街道"),
        ),
        actor=None,
        outcome=Outcome.DISPATCH,
    ).ticket
    client.force_login(make_user(Role.DISPATCHER, Unit.objects.get(kind="hotline_center")))
    # When the dispatcher opens its dispatch page
    page = client.get(f"/dispatch/tickets/{ticket.pk}/")
    # Then the model's first reading is 路灯不亮, not the recorded category, with the catalogue's unit
    first = page.context["routes"][0]
    assert first.advice.path == "市政 › 路灯照明 › 路灯不亮"
    assert not first.is_recorded
    assert first.units[0].unit.name == "丰台区城市管理委"
    assert "丰台区城市管理委" in page.content.decode()
    # And the queue shows the disagreement
    assert "模型判断：市政 › 路灯照明 › 路灯不亮" in client.get("/dispatch/").content.decode()
