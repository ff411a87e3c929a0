"""Bad input is refused up front: 400/413 in the format of the part of the site asked, never a 500."""

import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from rest_framework.test import APIClient

from hotline.models import Role
from intake.models import Ticket
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

OPEN311 = "/open311/v2"


@pytest.fixture
def agent_api(make_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_user(Role.AGENT))
    return client


@pytest.fixture
def agent_browser(make_user) -> Client:
    client = Client()
    client.force_login(make_user(Role.AGENT))
    return client


def api_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()["error"]
    assert body["status"] == status
    return body


def open311_errors(response, status: int) -> list[dict]:
    assert response.status_code == status, response.content
    body = response.json()
    assert [error["code"] for error in body] == [status]
    return body


def ticket_payload() -> dict:
    return {
        "channel": "phone",
        "kind": "complaint",
        "category": CategoryFactory().pk,
        "description": "幸福小区3号楼暖气不热。",
        "phone": "13800138000",
    }


@pytest.mark.parametrize(
    "path",
    [
        f"{OPEN311}/services/a%00b.json",
        f"{OPEN311}/requests.json?service_code=%00",
        f"{OPEN311}/requests.json?service_code=%FF%FE",
    ],
)
def test_open311_refuses_nul_and_invalid_utf8_without_login(path):
    # Given no api_key and no session; when the path or query carries NUL or broken UTF-8
    response = APIClient().get(path)
    # Then the answer is the spec's error list, 400
    open311_errors(response, 400)


def test_invalid_utf8_in_a_path_stays_text_and_finds_nothing():
    # Django keeps the broken bytes as %XX text: no such service, not an error of ours
    open311_errors(APIClient().get(f"{OPEN311}/services/a%C3%28.json"), 404)


def test_open311_xml_paths_answer_in_xml():
    response = APIClient().get(f"{OPEN311}/services/a%00b.xml")
    assert response.status_code == 400
    root = ET.fromstring(response.content)
    assert root.tag == "errors"
    assert root.find("error/code").text == "400"


def test_a_good_open311_request_still_passes():
    assert APIClient().get(f"{OPEN311}/services.json").status_code == 200


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b", "q=%FF", "%00=1"])
def test_html_pages_answer_the_product_400_page(agent_browser, query):
    # Given a logged-in agent; when the knowledge base search carries NUL or broken UTF-8
    response = agent_browser.get(f"/knowledge/?{query}")
    # Then the product's own 400 page answers
    assert response.status_code == 400
    assert "400.html" in [template.name for template in response.templates]


def test_html_form_with_nul_is_refused(agent_browser):
    response = agent_browser.post(
        "/knowledge/new/", "title=a%00b&body=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400


def test_api_path_with_nul_answers_the_json_error(agent_api):
    body = api_error(agent_api.get("/api/v1/tickets/?number=%00"), 400)
    assert (body["code"], list(body["fields"])) == ("invalid_query", ["number"])


def test_a_10_mb_json_body_is_413(agent_api):
    # Given a ticket whose description is 10 MB long
    huge = json.dumps({**ticket_payload(), "description": "x" * 10_000_000})
    # When it is posted
    response = agent_api.post("/api/v1/tickets/", huge, content_type="application/json")
    # Then it is refused as too large, and nothing is stored
    assert api_error(response, 413)["code"] == "too_large"
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("depth", [33, 100_000])
def test_deeply_nested_json_is_400(agent_api, depth):
    body = "[" * depth + "]" * depth
    response = agent_api.post("/api/v1/tickets/", body, content_type="application/json")
    assert api_error(response, 400)["code"] == "parse_error"


def test_json_nested_within_the_limit_reaches_validation(agent_api):
    payload = {**ticket_payload(), "extra": json.loads("[" * 30 + "]" * 30)}
    assert agent_api.post("/api/v1/tickets/", payload, format="json").status_code == 201


@pytest.mark.parametrize("field", ["description", "caller_name"])
def test_nul_in_a_json_string_is_400_not_a_database_error(agent_api, field):
    response = agent_api.post("/api/v1/tickets/", {**ticket_payload(), field: "a\x00b"}, format="json")
    assert api_error(response, 400)["code"] == "parse_error"
    assert not Ticket.objects.exists()


def test_nul_in_a_json_key_is_400(agent_api):
    response = agent_api.post("/api/v1/tickets/", {**ticket_payload(), "a\x00": 1}, format="json")
    api_error(response, 400)


def test_an_open311_form_of_3_mb_is_413():
    body = "description=" + "x" * 3_000_000
    response = APIClient().post(f"{OPEN311}/requests.json", body, content_type="application/x-www-form-urlencoded")
    open311_errors(response, 413)


def test_an_open311_form_with_too_many_fields_is_400():
    body = "&".join(f"attribute[f{index}]=1" for index in range(1_100))
    response = APIClient().post(f"{OPEN311}/requests.json", body, content_type="application/x-www-form-urlencoded")
    open311_errors(response, 400)


def test_an_open311_multipart_form_with_too_many_fields_is_400():
    data = {f"attribute[f{index}]": "1" for index in range(1_100)}
    response = APIClient().post(f"{OPEN311}/requests.json", data, format="multipart")
    open311_errors(response, 400)


def test_an_open311_multipart_form_with_nul_is_400_naming_the_field():
    response = APIClient().post(f"{OPEN311}/requests.json", {"description": "a\x00b"}, format="multipart")
    assert open311_errors(response, 400)[0]["description"].startswith("description: ")


def test_an_html_form_of_3_mb_is_413(agent_browser):
    response = agent_browser.post(
        "/knowledge/new/", "body=" + "x" * 3_000_000, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "400.html" in [template.name for template in response.templates]
