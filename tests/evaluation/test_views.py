"""The evaluation pages: callback queue and form, the citizen survey, rankings, trends, drill-downs."""

import json
import re
from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from dispatch.models import Assignment
from evaluation import callbacks as callback_services
from evaluation import rankings as ranking_services
from evaluation import views
from evaluation.models import (
    Callback,
    CallbackAttempt,
    CallbackStatus,
    EvaluationScheme,
    MonthlyRanking,
    RankingAudit,
    Satisfaction,
)
from hotline.models import Role
from intake.lifecycle import Status
from intake.models import Channel, PersonalDataAccess, Ticket, TicketEvent
from tests.evaluation.conftest import OCTOBER, pending_callback
from tests.factories import (
    CallbackFactory,
    LeadAssignmentFactory,
    StreetFactory,
    TicketFactory,
    allow_small_samples,
    at,
    published,
)

pytestmark = pytest.mark.django_db

QUEUE = reverse("evaluation:callback_queue")
RANKING = reverse("evaluation:ranking")


def page_messages(response) -> str:
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


def rows_of(content: str, table_class: str) -> list[str]:
    """The text of each body row of the first table with this class."""
    table = content.split(f'class="grid {table_class}', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>")[:-1]]


def detail_url(callback: Callback) -> str:
    return reverse("evaluation:callback_detail", args=[callback.pk])


# --- Callback queue -----------------------------------------------------------------------------


def test_queue_lists_pending_callbacks_overdue_first_in_bounded_queries(
    client, callback_agent, street, django_assert_max_num_queries
):
    # Given callbacks due later, one overdue, and one already done
    later = pending_callback(unit=street, due_in=timedelta(days=2))
    overdue = pending_callback(unit=street, due_in=-timedelta(hours=3))
    for _ in range(8):
        pending_callback(unit=street, due_in=timedelta(days=1))
    done = pending_callback(unit=street)
    Callback.objects.filter(pk=done.pk).update(
        status=CallbackStatus.DONE, resolution="resolved", satisfaction="satisfied", completed_at=later.due_at
    )
    client.force_login(callback_agent)
    # When the callback agent opens the queue
    with django_assert_max_num_queries(8):
        response = client.get(QUEUE)
    # Then the pending ones are listed by due time, the overdue one first and highlighted,
    # each with its ticket, category, unit and the unit's reply
    assert response.status_code == 200
    rows = rows_of(response.content.decode(), "callback-queue")
    assert len(rows) == 10
    assert overdue.ticket.number in rows[0]
    assert "超期" in rows[0]
    assert later.ticket.number in rows[-1]
    assert done.ticket.number not in response.content.decode()
    assert "东华门街道" in rows[0]
    assert "已安排电工更换灯泡" in rows[0]
    assert overdue.ticket.category.name in rows[0]


def test_queue_filters_on_overdue_page_by_page_in_bounded_queries(
    client, callback_agent, street, monkeypatch, django_assert_max_num_queries
):
    # Given three callbacks past their window and two not yet due, two to a page
    monkeypatch.setattr(views, "CALLBACKS_PER_PAGE", 2)
    overdue = [pending_callback(unit=street, due_in=-timedelta(hours=hours)) for hours in (3, 2, 1)]
    later = [pending_callback(unit=street, due_in=timedelta(days=days)) for days in (1, 2)]
    client.force_login(callback_agent)
    # When the agent filters the queue on overdue (one query more: the navigation's pending count)
    with django_assert_max_num_queries(7):
        response = client.get(QUEUE, {"overdue": "true"})
    # Then the first page lists the two most overdue, all three are counted, and the form shows the choice
    content = response.content.decode()
    rows = rows_of(content, "callback-queue")
    assert len(rows) == 2
    assert overdue[0].ticket.number in rows[0]
    assert overdue[1].ticket.number in rows[1]
    assert "(3)" in content
    assert '<select name="overdue" id="id_overdue">' in content
    assert '<option value="true" selected>是</option>' in content
    assert '<option value="unknown">全部</option>' in content
    # And the next page keeps the filter and lists the last overdue one only
    next_page = re.search(r'href="([^"]+)" rel="next"', content).group(1).replace("&amp;", "&")
    assert next_page == "?overdue=true&page=2"
    rows = rows_of(client.get(QUEUE + next_page).content.decode(), "callback-queue")
    assert len(rows) == 1
    assert overdue[2].ticket.number in rows[0]
    # And "not overdue" lists the callbacks still within their window, "all" every pending one
    rows = rows_of(client.get(QUEUE, {"overdue": "false"}).content.decode(), "callback-queue")
    assert len(rows) == 2
    assert later[0].ticket.number in rows[0]
    assert later[1].ticket.number in rows[1]
    assert "(5)" in client.get(QUEUE, {"overdue": "unknown"}).content.decode()


def test_queue_filtered_to_nothing_says_so(client, callback_agent, street):
    # Given only a callback not yet due
    pending_callback(unit=street, due_in=timedelta(days=1))
    client.force_login(callback_agent)
    # When the agent filters on overdue
    content = client.get(QUEUE, {"overdue": "true"}).content.decode()
    # Then the empty queue says no callback matches the filter
    assert "没有符合条件的回访。" in content
    assert "暂无待回访工单。" not in content


@pytest.mark.parametrize("role", [Role.UNIT_OFFICER, Role.AGENT, Role.DISTRICT_SUPERVISOR])
def test_queue_and_callback_page_do_not_exist_for_other_roles(client, make_user, street, role):
    callback = pending_callback(unit=street)
    client.force_login(make_user(role, unit=street))
    assert client.get(QUEUE).status_code == 404
    assert client.get(detail_url(callback)).status_code == 404


def test_callback_page_shows_the_full_phone_and_records_the_view(client, callback_agent, street):
    # Given a callback of a caller with a known phone
    callback = pending_callback(unit=street, phone="13812345678")
    client.force_login(callback_agent)
    # When the agent opens it
    response = client.get(detail_url(callback))
    # Then the whole phone number is shown with the unit's reply, and the view is recorded
    content = response.content.decode()
    assert "13812345678" in content
    assert "已安排电工更换灯泡" in content
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.caller, access.ticket, access.purpose) == (
        callback_agent,
        callback.caller,
        callback.ticket,
        "callback",
    )


def test_reached_with_answers_closes_the_ticket(client, callback_agent, street):
    # Given a ticket awaiting its callback
    callback = pending_callback(unit=street)
    client.force_login(callback_agent)
    # When the agent records that the caller was reached, resolved and satisfied
    response = client.post(
        detail_url(callback),
        {"reached": "yes", "resolution": "resolved", "satisfaction": "satisfied", "comment": "很满意"},
    )
    # Then the callback is done, the ticket and its assignments closed, and the agent is back at the queue
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    assert callback.ticket.number in page_messages(response)
    callback.refresh_from_db()
    assert (callback.status, callback.resolution, callback.satisfaction, callback.attempts) == (
        CallbackStatus.DONE,
        "resolved",
        "satisfied",
        1,
    )
    assert callback.completed_by == callback_agent
    assert Ticket.objects.get(pk=callback.ticket_id).status == Status.CLOSED
    assert not Assignment.objects.filter(ticket_id=callback.ticket_id, ended_at__isnull=True).exists()


def test_double_submit_is_refused_and_changes_nothing(client, callback_agent, street):
    # Given a callback already recorded as resolved and satisfied
    callback = pending_callback(unit=street)
    client.force_login(callback_agent)
    answer = {"reached": "yes", "resolution": "resolved", "satisfaction": "satisfied"}
    client.post(detail_url(callback), answer)
    events = TicketEvent.objects.filter(ticket_id=callback.ticket_id).count()
    # When the same form is submitted again, with other answers
    response = client.post(
        detail_url(callback), {"reached": "yes", "resolution": "unresolved", "satisfaction": "unsatisfied"}
    )
    # Then the page says it is already completed, and nothing changed
    assert response.status_code == 200
    assert "该回访已完成" in response.content.decode()
    callback.refresh_from_db()
    assert (callback.resolution, callback.satisfaction, callback.attempts) == ("resolved", "satisfied", 1)
    assert CallbackAttempt.objects.filter(callback=callback).count() == 1
    assert TicketEvent.objects.filter(ticket_id=callback.ticket_id).count() == events


def test_invalid_form_shows_field_errors(client, callback_agent, street):
    callback = pending_callback(unit=street)
    client.force_login(callback_agent)
    # When "reached" is posted without the answers
    response = client.post(detail_url(callback), {"reached": "yes"})
    # Then both answers are marked as missing and nothing is recorded
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"resolution", "satisfaction"}
    assert 'class="errorlist"' in response.content.decode()
    callback.refresh_from_db()
    assert (callback.status, callback.attempts) == (CallbackStatus.PENDING, 0)
    # And without any choice at all, "reached" is required
    assert "reached" in client.post(detail_url(callback), {}).context["form"].errors


def test_not_reached_counts_an_attempt_and_keeps_the_callback_pending(client, callback_agent, street):
    callback = pending_callback(unit=street)
    client.force_login(callback_agent)
    response = client.post(detail_url(callback), {"reached": "no", "comment": "无人接听"})
    assert response.status_code == 302
    callback.refresh_from_db()
    assert (callback.status, callback.attempts) == (CallbackStatus.PENDING, 1)
    assert Ticket.objects.get(pk=callback.ticket_id).status == Status.AWAITING_CALLBACK


# --- Online survey --------------------------------------------------------------------------------


def test_survey_link_shows_the_form_and_records_the_answer(client, street):
    # Given a callback and the link sent to the citizen (no login)
    callback = pending_callback(unit=street, phone="13812345678")
    url = reverse("evaluation:survey", args=[callback_services.survey_token(callback_id=callback.pk)])
    # When the citizen opens it
    page = client.get(url)
    # Then the ticket number and the public reply are shown, no personal data
    content = page.content.decode()
    assert page.status_code == 200
    assert callback.ticket.number in content
    assert "路灯已于昨日修复" in content
    assert "13812345678" not in content
    # And the answer is recorded as an online callback
    response = client.post(url, {"resolution": "resolved", "satisfaction": "basically", "comment": "还行"})
    assert response.status_code == 200
    assert "谢谢" in response.content.decode()
    callback.refresh_from_db()
    assert (callback.status, callback.answered_online, callback.satisfaction) == (
        CallbackStatus.DONE,
        True,
        Satisfaction.BASICALLY,
    )
    assert Ticket.objects.get(pk=callback.ticket_id).status == Status.CLOSED
    # And the used link only shows the neutral page
    again = client.get(url)
    assert again.status_code == 404
    assert callback.ticket.number not in again.content.decode()


def test_forged_survey_link_shows_a_neutral_page(client, street):
    callback = pending_callback(unit=street)
    token = callback_services.survey_token(callback_id=callback.pk)
    for forged in (token + "x", f"{callback.pk}:abc:def", "nonsense"):
        response = client.get(reverse("evaluation:survey", args=[forged]))
        content = response.content.decode()
        assert response.status_code == 404
        assert "链接无效" in content
        assert callback.ticket.number not in content
        assert client.post(reverse("evaluation:survey", args=[forged]), {"resolution": "resolved"}).status_code == 404
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.PENDING


# --- Rankings ---------------------------------------------------------------------------------------


def ranking_url(**params) -> str:
    query = {"month": "2026-10", "kind": "street", **params}
    return RANKING + "?" + "&".join(f"{key}={value}" for key, value in query.items())


def test_ranking_page_shows_the_table_with_classes_and_the_formula(client, city_admin, ranked_october):
    client.force_login(city_admin)
    response = client.get(ranking_url())
    content = response.content.decode()
    assert response.status_code == 200
    # The lines in rank order with rates as percentages and composite scores
    rows = rows_of(content, "sortable ranking-table")
    assert [row.split(" ")[:2] for row in rows] == [["1", "甲街道"], ["2", "乙街道"], ["3", "丁街道"], ["4", "丙街道"]]
    assert "100.00% 100.00% 100.00%" in rows[0]
    assert "75.00% 75.00% 75.00%" in rows[1]
    assert "25.00" in rows[3]
    # The classes: the best advanced, the worst must rectify (top 1 / bottom 1 in this scheme)
    assert "先进" in rows[0]
    assert "整改" in rows[3]
    assert "先进" not in rows[1]
    assert "整改" not in rows[1]
    # The formula with the parameters the snapshot used, the version and the audit trail
    assert "综合得分 = 100 × (0.1 × 响应率 + 0.45 × 解决率 + 0.45 × 满意率)" in content
    assert "0.8 × 基本满意" in content
    assert "版本 1" in content
    assert "月度任务" in content


def test_district_supervisor_sees_only_their_district(client, make_user, district, ranked_october):
    client.force_login(make_user(Role.DISTRICT_SUPERVISOR, unit=district))
    response = client.get(ranking_url())
    rows = rows_of(response.content.decode(), "sortable ranking-table")
    assert [row.split(" ")[1] for row in rows] == ["甲街道", "乙街道", "丙街道"]
    assert "丁街道" not in response.content.decode()
    # The other district's street has no page for them either
    assert client.get(reverse("evaluation:unit_detail", args=[ranked_october["other"].pk])).status_code == 404
    assert client.get(reverse("evaluation:unit_detail", args=[ranked_october["fair"].pk])).status_code == 200


@pytest.mark.parametrize("role", [Role.UNIT_OFFICER, Role.AGENT, Role.CALLBACK_AGENT, Role.DISPATCHER])
def test_ranking_pages_do_not_exist_for_other_roles(client, make_user, ranked_october, role):
    client.force_login(make_user(role, unit=ranked_october["fair"]))
    assert client.get(ranking_url()).status_code == 404
    assert client.get(reverse("evaluation:unit_detail", args=[ranked_october["fair"].pk])).status_code == 404
    assert client.get(reverse("evaluation:ranking_csv") + "?month=2026-10").status_code == 404


def test_unit_leader_sees_the_ranking_with_their_unit_highlighted(client, make_user, ranked_october):
    client.force_login(make_user(Role.UNIT_LEADER, unit=ranked_october["fair"]))
    response = client.get(ranking_url())
    content = response.content.decode()
    assert len(rows_of(content, "sortable ranking-table")) == 4
    own = re.search(r'<tr class="own">(.*?)</tr>', content, re.S).group(1)
    assert "乙街道" in own
    assert reverse("evaluation:unit_detail", args=[ranked_october["fair"].pk]) in own
    # Other units' pages and tickets stay closed to them
    assert client.get(reverse("evaluation:unit_detail", args=[ranked_october["good"].pk])).status_code == 404


def test_ranking_page_is_a_bounded_number_of_queries(client, city_admin, ranked_october, django_assert_max_num_queries):
    client.force_login(city_admin)
    with django_assert_max_num_queries(12):
        response = client.get(ranking_url())
    assert len(response.context["lines"]) == 4


def test_ranking_page_without_a_published_month_offers_to_compute(client, city_admin):
    client.force_login(city_admin)
    response = client.get(RANKING)
    assert response.status_code == 200
    assert response.context["ranking"] is None
    assert 'action="{}"'.format(reverse("evaluation:ranking_compute")) in response.content.decode()


def test_unit_page_shows_the_trend_and_the_tickets_behind_each_number(client, city_admin, ranked_october):
    client.force_login(city_admin)
    poor = ranked_october["poor"]
    # Given September too, so the trend has two months
    ranking_services.compute_month(month=date(2026, 9, 1), unit_kind="street")
    response = client.get(reverse("evaluation:unit_detail", args=[poor.pk]) + "?month=2026-10")
    chart = json.loads(re.search(r'id="trend-chart-data"[^>]*>(.*?)</script>', response.content.decode()).group(1))
    assert chart["labels"] == ["2026-10"]  # no September line: the street had no work then
    assert chart["series"][0]["data"] == [25.0]
    assert chart["series"][1]["data"] == [25.0]
    # The numbers link to the tickets behind them
    tickets = reverse("evaluation:unit_tickets", args=[poor.pk])
    failed = client.get(tickets + "?month=2026-10&metric=response_failed")
    assert failed.context["page"].paginator.count == 3
    late = [a for a in Assignment.objects.filter(unit=poor) if a.signed_at > a.sign_due_at]
    assert len(late) == 3
    assert all(reverse("intake:ticket_detail", args=[a.ticket_id]) in failed.content.decode() for a in late)
    assert client.get(tickets + "?month=2026-10&metric=response_required").context["page"].paginator.count == 4
    assert client.get(tickets + "?month=2026-10&metric=not_satisfied").context["page"].paginator.count == 3
    assert client.get(tickets + "?month=2026-10&metric=callbacks_answered").context["page"].paginator.count == 4
    assert client.get(tickets + "?month=2026-10&metric=bogus").status_code == 404


def test_drill_down_counts_match_the_ranking(client, city_admin, ranked_october):
    client.force_login(city_admin)
    for name in ("good", "fair", "poor"):
        unit = ranked_october[name]
        result = ranked_october["ranking"].results.get(unit=unit)
        tickets = reverse("evaluation:unit_tickets", args=[unit.pk]) + "?month=2026-10&metric="
        counts = {
            metric: client.get(tickets + metric).context["page"].paginator.count
            for metric in ("response_required", "response_failed", "callbacks_answered", "not_resolved")
        }
        assert counts == {
            "response_required": result.required_response,
            "response_failed": result.required_response - result.responded_in_time,
            "callbacks_answered": result.callbacks_answered,
            "not_resolved": result.callbacks_answered - result.resolved,
        }


def test_district_view_shows_the_district_line_and_its_streets(client, city_admin, district, ranked_october):
    client.force_login(city_admin)
    response = client.get(reverse("evaluation:district_detail", args=[district.pk]) + "?month=2026-10")
    content = response.content.decode()
    assert response.context["line"].result.unit == district
    rows = rows_of(content, "sortable ranking-table")
    assert [row.split(" ")[1] for row in rows] == ["甲街道", "乙街道", "丙街道"]
    # Streets keep their city-wide rank
    assert [row.split(" ")[0] for row in rows] == ["1", "2", "4"]


# --- Recompute and compute now ---------------------------------------------------------------------


def test_recompute_through_the_page_makes_a_draft_which_publishing_makes_current(
    client, supervisor, make_user, ranked_october
):
    client.force_login(supervisor)
    # When the supervisor computes the published month again, with a reason
    response = client.post(
        reverse("evaluation:ranking_recompute"),
        {"month": "2026-10-01", "unit_kind": "street", "reason": "申诉复核后重算"},
    )
    # Then a draft version 2 waits for review, shown to them with a publish button
    draft = MonthlyRanking.objects.get(month=OCTOBER, unit_kind="street", published_at__isnull=True)
    assert response["Location"].endswith("version=2")
    assert (draft.version, draft.computed_by, draft.reason) == (2, supervisor, "申诉复核后重算")
    page = client.get(response["Location"]).content.decode()
    assert "草稿" in page
    assert 'action="{}"'.format(reverse("evaluation:ranking_publish")) in page
    # And units still see version 1, with no trace of the draft
    leader = make_user(Role.UNIT_LEADER, unit=ranked_october["fair"])
    client.force_login(leader)
    seen = client.get(ranking_url())
    assert seen.context["ranking"].version == 1
    assert client.get(ranking_url() + "&version=2").context["ranking"] is None
    assert "申诉复核后重算" not in seen.content.decode()
    assert client.post(reverse("evaluation:ranking_publish"), {"ranking": draft.pk}).status_code == 404
    # When the supervisor publishes it
    client.force_login(supervisor)
    published = client.post(reverse("evaluation:ranking_publish"), {"ranking": draft.pk})
    # Then it is current, with the trail of both versions on the page
    assert published.status_code == 302
    current = MonthlyRanking.objects.get(month=OCTOBER, unit_kind="street", is_current=True)
    assert (current.pk, current.published_by) == (draft.pk, supervisor)
    assert list(RankingAudit.objects.filter(ranking=current).values_list("action", "actor", "reason")) == [
        ("computed", supervisor.pk, "申诉复核后重算"),
        ("published", supervisor.pk, "申诉复核后重算"),
    ]
    page = client.get(ranking_url()).content.decode()
    assert "版本 2" in page
    assert "申诉复核后重算" in page


def test_the_ranking_page_shows_small_samples_the_class_rules_and_the_meetings_lists(client, supervisor, district):
    # Given (with the default minimum sample of 5) four streets of one district with full samples
    # and one with a single ticket
    for responded in (10, 9, 8, 7):
        street = StreetFactory(parent=district)
        for index in range(10):
            signed = at(2026, 10, 3) + timedelta(minutes=20 if index < responded else 240)
            LeadAssignmentFactory(unit=street, dispatched_at=at(2026, 10, 3), signed_at=signed)
        for _ in range(5):
            CallbackFactory(unit=street)
    tiny = StreetFactory(name="小样本街道", parent=district)
    LeadAssignmentFactory(unit=tiny)
    CallbackFactory(unit=tiny)
    published(month=OCTOBER, unit_kind="street")
    # When the supervisor opens the month
    client.force_login(supervisor)
    response = client.get(ranking_url())
    page = response.content.decode()
    # Then the small sample is listed as such, after the ranked lines
    lines = response.context["lines"]
    assert [line.result.rank for line in lines] == [1, 2, 3, 4, None]
    assert lines[-1].badges == [("muted", "样本不足")]
    assert "样本不足" in page
    # And the rules of the minimum sample and of every class are stated with their parameters
    assert "少于5件" in page
    assert "上升至少20位" in page
    assert "治理类" in page
    # And the meeting's lists: the top streets of the city and the top 3 of the district
    publication = response.context["publication"]
    assert len(publication.top) == 4
    [district_top] = publication.district_tops
    assert (district_top.district, [r.rank for r in district_top.results]) == (district, [1, 2, 3])


def test_recompute_without_a_reason_is_a_form_error(client, supervisor, ranked_october):
    client.force_login(supervisor)
    response = client.post(reverse("evaluation:ranking_recompute"), {"month": "2026-10", "unit_kind": "street"})
    assert response.status_code == 400
    assert "reason" in response.context["recompute_form"].errors
    assert MonthlyRanking.objects.filter(month=OCTOBER, unit_kind="street").count() == 1


def test_recompute_is_not_for_district_supervisors(client, make_user, district, ranked_october):
    client.force_login(make_user(Role.DISTRICT_SUPERVISOR, unit=district))
    response = client.post(
        reverse("evaluation:ranking_recompute"), {"month": "2026-10", "unit_kind": "street", "reason": "x"}
    )
    assert response.status_code == 404
    assert MonthlyRanking.objects.filter(month=OCTOBER, unit_kind="street").count() == 1


def test_compute_now_publishes_an_ended_month_once(client, city_admin, ranked_october):
    client.force_login(city_admin)
    url = reverse("evaluation:ranking_compute")
    response = client.post(url, {"month": "2026-09", "unit_kind": ""})
    assert response.status_code == 302
    assert MonthlyRanking.objects.filter(month=date(2026, 9, 1)).count() == len(ranking_services.RANKED_KINDS)
    # A published month is left as it is
    client.post(url, {"month": "2026-10", "unit_kind": "street"})
    assert MonthlyRanking.objects.filter(month=OCTOBER, unit_kind="street").count() == 1
    # The running month cannot be computed yet
    running = client.post(url, {"month": f"{timezone.localdate():%Y-%m}"})
    assert running.status_code == 400
    assert "month" in running.context["compute_form"].errors


# --- Navigation and admin ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "links"),
    [
        (Role.CALLBACK_AGENT, {"evaluation:callback_queue"}),
        (Role.HOTLINE_SUPERVISOR, {"evaluation:callback_queue", "evaluation:ranking", "evaluation:appeal_review"}),
        (Role.UNIT_LEADER, {"evaluation:ranking", "evaluation:appeal_list"}),
        (Role.UNIT_OFFICER, {"evaluation:appeal_list"}),
        (Role.AGENT, set()),
    ],
)
def test_navigation_shows_each_role_its_pages(client, make_user, role, links):
    client.force_login(make_user(role))
    content = client.get(reverse("home"), follow=True).content.decode()
    names = ["callback_queue", "ranking", "appeal_review", "appeal_list"]
    shown = {f"evaluation:{name}" for name in names if f'href="{reverse(f"evaluation:{name}")}"' in content}
    assert shown == links


@pytest.mark.parametrize(
    "model",
    [
        "evaluationscheme",
        "scoreadjustment",
        "monthlyranking",
        "unitresult",
        "rankingaudit",
        "callback",
        "appeal",
    ],
)
def test_admin_lists_evaluation_models(admin_client, ranked_october, model):
    assert admin_client.get(reverse(f"admin:evaluation_{model}_changelist")).status_code == 200


def test_admin_keeps_rankings_read_only_and_callbacks_but_their_comment(admin_client, ranked_october, street):
    ranking = ranked_october["ranking"]
    assert admin_client.get(reverse("admin:evaluation_monthlyranking_add")).status_code == 403
    page = admin_client.get(reverse("admin:evaluation_monthlyranking_change", args=[ranking.pk]))
    assert page.status_code == 200
    assert 'name="reason"' not in page.content.decode()
    callback = pending_callback(unit=street)
    form = admin_client.get(reverse("admin:evaluation_callback_change", args=[callback.pk])).content.decode()
    assert 'name="comment"' in form
    assert 'name="status"' not in form
    assert 'name="satisfaction"' not in form
    # Schemes are editable
    scheme = EvaluationScheme.objects.filter(unit_kind="street").first()
    assert admin_client.get(reverse("admin:evaluation_evaluationscheme_change", args=[scheme.pk])).status_code == 200


def test_the_ranking_can_be_read_by_source(client, supervisor, district):
    # Given a street whose October tickets came by phone (all in time) and from the media (all late)
    allow_small_samples()
    street = StreetFactory(name="来源街道", parent=district)
    for channel, late in ((Channel.PHONE, False), (Channel.MEDIA, True)):
        for _ in range(2):
            signed = at(2026, 10, 3) + timedelta(hours=3 if late else 0, minutes=20)
            ticket = TicketFactory(channel=channel)
            LeadAssignmentFactory(ticket=ticket, unit=street, dispatched_at=at(2026, 10, 3), signed_at=signed)
            CallbackFactory(ticket=ticket, unit=street)
    published(month=OCTOBER, unit_kind="street")
    client.force_login(supervisor)
    # When the ranking is read for all sources, then for media reports only
    together = client.get(ranking_url()).context["lines"][0].result
    media = client.get(ranking_url(source="media"))
    # Then the ranking counts both sources, the media view only the media's tickets
    assert (together.required_response, together.responded_in_time) == (4, 2)
    line = media.context["lines"][0].result
    assert (line.unit, line.required_response, line.responded_in_time, line.response_rate) == (street, 2, 0, 0)
    assert "媒体" in media.content.decode()
    # And an unknown source shows the ranking
    assert client.get(ranking_url(source="x")).context["query"].source is None
