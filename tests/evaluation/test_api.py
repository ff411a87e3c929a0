"""The evaluation API: rankings, unit results, recompute, the callback queue and attempts."""

from datetime import timedelta

import pytest

from evaluation.models import CallbackStatus, MonthlyRanking, RankingAudit
from hotline.models import Role
from intake.lifecycle import Status
from intake.models import Ticket
from tests.evaluation.conftest import OCTOBER, pending_callback

pytestmark = pytest.mark.django_db

RANKINGS = "/api/v1/rankings/"
RESULTS = "/api/v1/ranking-results/"
CALLBACKS = "/api/v1/callbacks/"


def test_rankings_list_the_current_versions_with_their_lines(api_client, city_admin, ranked_october):
    api_client.force_authenticate(city_admin)
    response = api_client.get(RANKINGS, {"month": "2026-10", "unit_kind": "street"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    ranking = body["results"][0]
    assert (ranking["month"], ranking["unit_kind"], ranking["version"], ranking["is_current"]) == (
        "2026-10",
        "street",
        1,
        True,
    )
    assert ranking["scheme"]["response_weight"] == "0.10"
    assert [(line["unit_name"], line["rank"], line["composite"]) for line in ranking["results"]] == [
        ("甲街道", 1, "100.00"),
        ("乙街道", 2, "75.00"),
        ("丁街道", 3, "50.00"),
        ("丙街道", 4, "25.00"),
    ]
    assert ranking["results"][0]["is_advanced"] is True
    assert ranking["results"][3]["is_rectify"] is True
    # Both kinds of October without a filter; the district filter keeps only that district's lines
    assert api_client.get(RANKINGS).json()["count"] == 2
    district = ranked_october["good"].parent
    filtered = api_client.get(RANKINGS, {"unit_kind": "street", "district": district.pk}).json()["results"][0]
    assert [line["unit_name"] for line in filtered["results"]] == ["甲街道", "乙街道", "丙街道"]


def test_an_older_version_is_asked_for_explicitly(api_client, city_admin, ranked_october):
    api_client.force_authenticate(city_admin)
    draft = api_client.post(
        RANKINGS + "recompute/", {"month": "2026-10", "unit_kind": "street", "reason": "复核"}, format="json"
    ).json()
    api_client.post(f"{RANKINGS}{draft['id']}/publish/")
    current = api_client.get(RANKINGS, {"unit_kind": "street"}).json()["results"]
    assert [ranking["version"] for ranking in current] == [2]
    older = api_client.get(RANKINGS, {"unit_kind": "street", "version": 1}).json()["results"]
    assert [(ranking["version"], ranking["is_current"]) for ranking in older] == [(1, False)]


def test_district_supervisor_gets_their_district_and_officers_get_404(api_client, make_user, district, ranked_october):
    api_client.force_authenticate(make_user(Role.DISTRICT_SUPERVISOR, unit=district))
    ranking = api_client.get(RANKINGS, {"unit_kind": "street"}).json()["results"][0]
    assert [line["unit_name"] for line in ranking["results"]] == ["甲街道", "乙街道", "丙街道"]
    lines = api_client.get(RESULTS, {"unit_kind": "street"}).json()["results"]
    assert {line["unit_name"] for line in lines} == {"甲街道", "乙街道", "丙街道"}
    api_client.force_authenticate(make_user(Role.UNIT_OFFICER, unit=ranked_october["fair"]))
    for url in (RANKINGS, RESULTS, RANKINGS + "recompute/"):
        response = api_client.get(url) if not url.endswith("recompute/") else api_client.post(url, {})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_ranking_results_filter_by_unit_and_month(api_client, supervisor, ranked_october):
    api_client.force_authenticate(supervisor)
    fair = ranked_october["fair"]
    body = api_client.get(RESULTS, {"unit": fair.pk, "month": "2026-10"}).json()
    assert body["count"] == 1
    line = body["results"][0]
    assert (line["month"], line["unit_kind"], line["rank"], line["response_rate"]) == ("2026-10", "street", 2, "0.7500")
    assert (line["required_response"], line["responded_in_time"], line["callbacks_answered"]) == (4, 3, 4)
    assert api_client.get(RESULTS, {"unit": fair.pk, "month": "2026-09"}).json()["count"] == 0
    assert api_client.get(RESULTS, {"month": "october"}).status_code == 400


def test_recompute_makes_a_draft_version_2_and_publishing_makes_it_current(
    api_client, supervisor, make_user, ranked_october
):
    # Given a published October
    api_client.force_authenticate(supervisor)
    # When it is computed again with a reason
    response = api_client.post(
        RANKINGS + "recompute/", {"month": "2026-10", "unit_kind": "street", "reason": "数据更正"}, format="json"
    )
    # Then a draft version 2 exists, seen by evaluation admins only, and version 1 is still current
    assert response.status_code == 201
    draft = response.json()
    assert (draft["version"], draft["reason"], draft["is_draft"], draft["is_current"]) == (2, "数据更正", True, False)
    assert MonthlyRanking.objects.get(month=OCTOBER, unit_kind="street", is_current=True).version == 1
    leader = make_user(Role.UNIT_LEADER, unit=ranked_october["fair"])
    api_client.force_authenticate(leader)
    assert [r["version"] for r in api_client.get(RANKINGS, {"unit_kind": "street"}).json()["results"]] == [1]
    assert api_client.post(f"{RANKINGS}{draft['id']}/publish/").status_code == 404
    # When the supervisor publishes it
    api_client.force_authenticate(supervisor)
    published = api_client.post(f"{RANKINGS}{draft['id']}/publish/")
    # Then it is the current version, audited; publishing twice is a conflict
    assert (published.status_code, published.json()["is_current"]) == (200, True)
    current = MonthlyRanking.objects.get(month=OCTOBER, unit_kind="street", is_current=True)
    assert current.version == 2
    assert list(RankingAudit.objects.filter(ranking=current).values_list("action", "actor", "reason")) == [
        ("computed", supervisor.pk, "数据更正"),
        ("published", supervisor.pk, "数据更正"),
    ]
    again = api_client.post(f"{RANKINGS}{draft['id']}/publish/")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_published")


def test_recompute_without_a_reason_is_400_in_the_common_format(api_client, supervisor, ranked_october):
    api_client.force_authenticate(supervisor)
    response = api_client.post(RANKINGS + "recompute/", {"month": "2026-10", "unit_kind": "street"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (400, "invalid")
    assert "reason" in error["fields"]
    blank = api_client.post(
        RANKINGS + "recompute/", {"month": "2026-10", "unit_kind": "street", "reason": "  "}, format="json"
    )
    assert blank.status_code == 400
    not_ranked = api_client.post(
        RANKINGS + "recompute/", {"month": "2026-10", "unit_kind": "city", "reason": "x"}, format="json"
    )
    assert "unit_kind" in not_ranked.json()["error"]["fields"]
    assert MonthlyRanking.objects.filter(month=OCTOBER, unit_kind="street").count() == 1


def test_callback_queue_for_callback_roles(api_client, callback_agent, make_user, street):
    overdue = pending_callback(unit=street, due_in=-timedelta(hours=1))
    later = pending_callback(unit=street, due_in=timedelta(days=1))
    api_client.force_authenticate(callback_agent)
    body = api_client.get(CALLBACKS).json()
    assert [row["id"] for row in body["results"]] == [overdue.pk, later.pk]
    assert body["results"][0]["overdue"] is True
    assert body["results"][0]["reply"].startswith("已安排电工")
    assert "phone" not in str(body)
    assert [row["id"] for row in api_client.get(CALLBACKS, {"overdue": "true"}).json()["results"]] == [overdue.pk]
    api_client.force_authenticate(make_user(Role.UNIT_OFFICER, unit=street))
    assert api_client.get(CALLBACKS).status_code == 404


def test_callback_attempt_closes_the_ticket_and_a_second_one_is_409(api_client, callback_agent, street):
    callback = pending_callback(unit=street)
    api_client.force_authenticate(callback_agent)
    url = f"{CALLBACKS}{callback.pk}/attempt/"
    answer = {"reached": True, "resolution": "resolved", "satisfaction": "satisfied"}
    response = api_client.post(url, answer, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["attempts"]) == (CallbackStatus.DONE, 1)
    assert Ticket.objects.get(pk=callback.ticket_id).status == Status.CLOSED
    again = api_client.post(url, {**answer, "satisfaction": "unsatisfied"}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "callback_done"
    callback.refresh_from_db()
    assert (callback.satisfaction, callback.attempts) == ("satisfied", 1)


def test_callback_attempt_validates_the_answers(api_client, callback_agent, street):
    callback = pending_callback(unit=street)
    api_client.force_authenticate(callback_agent)
    response = api_client.post(f"{CALLBACKS}{callback.pk}/attempt/", {"reached": True}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"resolution", "satisfaction"}
    assert api_client.post(f"{CALLBACKS}999999/attempt/", {"reached": False}, format="json").status_code == 404


def test_lists_are_paginated(api_client, callback_agent, street):
    for _ in range(3):
        pending_callback(unit=street)
    api_client.force_authenticate(callback_agent)
    body = api_client.get(CALLBACKS, {"page_size": 2}).json()
    assert (body["count"], len(body["results"])) == (3, 2)
    assert len(api_client.get(body["next"]).json()["results"]) == 1
