"""The intake HTML pages: agent desk and its panels, ticket list and detail, knowledge base, admin."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from dispatch.models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    ExtensionRequest,
    ReplyOutcome,
    ReturnReason,
    ReturnRequest,
    ReviewStatus,
)
from evaluation.models import CallbackStatus, Resolution, Satisfaction
from hotline.models import Category, DeadlineTier, Role, Unit
from intake import services
from intake.lifecycle import Action, Status
from intake.models import (
    Caller,
    Channel,
    Disposition,
    Kind,
    KnowledgeArticle,
    PersonalDataAccess,
    SmsPreferenceChange,
    Ticket,
)
from intake.services import NewTicket, Outcome
from tests.factories import (
    AssignmentFactory,
    CallbackFactory,
    CategoryFactory,
    KnowledgeArticleFactory,
    StreetFactory,
    TicketFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db

DESK = reverse("intake:desk")


def success_message(response) -> str:
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


def taken_in(*, category, street=None, phone="13911112222", name="李四", description="楼道灯坏了一个月") -> Ticket:
    """An open ticket as the desk leaves it: taken in and queued for dispatch."""
    data = NewTicket(
        channel=Channel.PHONE,
        kind=Kind.COMPLAINT,
        category=category,
        description=description,
        phone=phone,
        caller_name=name,
        street=street,
    )
    return services.submit_intake(data=data, actor=None, outcome=Outcome.DISPATCH).ticket


# --- Desk access ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENT, Role.DISPATCHER, Role.HOTLINE_SUPERVISOR, Role.CITY_ADMIN])
def test_desk_opens_for_hotline_intake_roles_in_chinese(client, make_user, role):
    client.force_login(make_user(role))
    response = client.get(DESK)
    assert response.status_code == 200
    content = response.content.decode()
    assert "坐席" in content
    assert 'name="idempotency_key"' in content


@pytest.mark.parametrize("role", [Role.UNIT_OFFICER, Role.CALLBACK_AGENT, Role.DISTRICT_SUPERVISOR])
def test_desk_does_not_exist_for_other_roles(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(DESK).status_code == 404
    assert client.get(reverse("intake:desk_candidates")).status_code == 404


def test_each_desk_rendering_carries_a_new_idempotency_key(agent_client):
    first = agent_client.get(DESK).context["form"]["idempotency_key"].value()
    second = agent_client.get(DESK).context["form"]["idempotency_key"].value()
    assert first
    assert second
    assert first != second


# --- Desk outcomes -------------------------------------------------------------------------


def test_queue_for_dispatch_creates_the_ticket_and_shows_its_number(agent_client, agent, desk_data, street):
    # Given a complete desk form
    # When the agent queues it for dispatch
    response = agent_client.post(DESK, desk_data(outcome="dispatch"))
    # Then the desk redirects back (PRG) and says which tracking number the ticket got
    assert response.status_code == 302
    assert response["Location"] == DESK
    ticket = Ticket.objects.get()
    assert ticket.status == Status.AWAITING_DISPATCH
    assert ticket.disposition == Disposition.DISPATCHED
    assert ticket.caller.phone == "13800138000"
    assert ticket.street == street
    assert ticket.created_by == agent
    assert ticket.deadline_tier == DeadlineTier.GENERAL
    assert ticket.number in success_message(response)
    page = agent_client.get(DESK)
    assert ticket.number in page.content.decode()


def test_the_desk_records_that_the_caller_wants_no_sms(agent_client, desk_data):
    # When the agent ticks the caller's wish for no SMS as they take in the call
    agent_client.post(DESK, desk_data(outcome="dispatch", sms_opt_out="on"))
    # Then the caller is texted nothing (reply results, callback surveys)
    assert Ticket.objects.get().caller.sms_opt_out
    # And the next contact of theirs without the box ticked leaves it so
    agent_client.post(DESK, desk_data(outcome="dispatch"))
    assert Caller.objects.get().sms_opt_out


def test_answer_directly_with_an_article_records_it_and_closes(agent_client, desk_data):
    article = KnowledgeArticleFactory()
    # When the agent presses the article's "answer directly" button
    response = agent_client.post(DESK, desk_data(answer_with=article.pk))
    # Then the ticket is closed as answered directly with that article
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.status == Status.CLOSED
    assert ticket.disposition == Disposition.ANSWERED_DIRECTLY
    assert ticket.article == article
    assert ticket.closed_at is not None
    assert ticket.number in success_message(response)


def test_answer_directly_with_written_text(agent_client, desk_data):
    agent_client.post(DESK, desk_data(outcome="answer", answer="供暖期为11月15日起。"))
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.answer, ticket.article) == (Status.CLOSED, "供暖期为11月15日起。", None)


def test_answer_directly_without_article_or_text_is_a_field_error(agent_client, desk_data):
    response = agent_client.post(DESK, desk_data(outcome="answer"))
    assert response.status_code == 200
    assert response.context["form"].errors["answer"]
    assert not Ticket.objects.exists()


def test_answer_directly_with_an_expired_article_is_a_form_error(agent_client, desk_data):
    # Given an article that expired yesterday, still on a knowledge-base panel opened before midnight
    article = KnowledgeArticleFactory(valid_until=timezone.localdate() - timedelta(days=1))
    # When the agent presses its "answer directly" button
    response = agent_client.post(DESK, desk_data(answer_with=article.pk))
    # Then the desk shows the form again with the refusal, and nothing is taken in
    assert response.status_code == 200
    with translation.override("zh-hans"):
        message = translation.gettext("This knowledge-base article is not valid today.")
    assert response.context["form"].non_field_errors() == [message]
    assert message in response.content.decode()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("disposition", [Disposition.TRANSFERRED_110, Disposition.LEGAL_ROUTE])
def test_close_with_a_closing_outcome(agent_client, desk_data, disposition):
    response = agent_client.post(DESK, desk_data(outcome="close", disposition=disposition, answer="已转接"))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.status == Status.CLOSED
    assert ticket.disposition == disposition
    assert not ticket.assignments.exists()
    assert ticket.number in success_message(response)


def test_close_without_choosing_how_is_a_field_error(agent_client, desk_data):
    response = agent_client.post(DESK, desk_data(outcome="close"))
    assert response.context["form"].errors["disposition"]
    assert not Ticket.objects.exists()


def test_merge_into_a_candidate_keeps_both_callers(agent_client, desk_data, category, street):
    # Given an open ticket of another caller about the same matter
    parent = taken_in(category=category, street=street, phone="13911112222", name="李四")
    # When the agent merges the new contact into it
    response = agent_client.post(DESK, desk_data(merge_into=parent.pk))
    # Then the new ticket is merged into the parent, which stays open
    assert response.status_code == 302
    child = Ticket.objects.exclude(pk=parent.pk).get()
    assert child.status == Status.MERGED
    assert child.parent == parent
    assert parent.number in success_message(response)
    parent.refresh_from_db()
    assert parent.status == Status.AWAITING_DISPATCH
    # And the parent's page lists both callers
    detail = agent_client.get(reverse("intake:ticket_detail", args=[parent.pk]))
    contacts = detail.context["contacts"]
    assert [(contact.ticket, contact.phone) for contact in contacts] == [
        (parent, "13911112222"),
        (child, "13800138000"),
    ]
    assert "13800138000" in detail.content.decode()


def test_merge_into_a_closed_ticket_is_refused_without_writing(agent_client, desk_data, category):
    closed = TicketFactory(status=Status.CLOSED, category=category)
    response = agent_client.post(DESK, desk_data(merge_into=closed.pk))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert Ticket.objects.count() == 1


def test_merge_into_an_unknown_ticket_is_a_form_error(agent_client, desk_data):
    response = agent_client.post(DESK, desk_data(merge_into=987654))
    assert response.context["form"].errors["merge_into"]
    assert not Ticket.objects.exists()


def test_double_submit_with_the_same_key_creates_one_ticket(agent_client, desk_data):
    data = desk_data(idempotency_key="same-key-1", outcome="dispatch")
    first = agent_client.post(DESK, data)
    second = agent_client.post(DESK, data)
    assert first.status_code == second.status_code == 302
    ticket = Ticket.objects.get()
    # The repeat reports the same ticket rather than an error
    assert ticket.number in success_message(second)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": ""}, "description"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "1380013800a"}, "phone"),
        ({"description": "长" * 10_000}, "description"),
        ({"category": 99_999_999}, "category"),
        ({"kind": "gossip"}, "kind"),
        ({"is_enterprise": "on", "enterprise_name": ""}, "enterprise_name"),
        ({"deadline_tier": DeadlineTier.COMPLEX}, "tier_override_reason"),
    ],
)
def test_bad_input_re_renders_with_the_field_error_and_writes_nothing(agent_client, desk_data, overrides, field):
    # When the agent submits a form with one bad field
    data = desk_data(**overrides)
    response = agent_client.post(DESK, data)
    # Then the desk shows the form again with that field's error, and nothing is stored
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[field]
    assert 'class="field invalid"' in response.content.decode()
    assert not Ticket.objects.exists()
    assert not Caller.objects.exists()
    # The form keeps its key, so fixing and resubmitting still creates at most one ticket
    assert form["idempotency_key"].value() == data["idempotency_key"]


def test_a_street_outside_the_district_is_a_field_error(agent_client, desk_data):
    other = StreetFactory()
    response = agent_client.post(DESK, desk_data(street=other.pk))
    assert response.context["form"].errors["street"]
    assert not Ticket.objects.exists()


def test_changing_the_tier_with_a_reason_is_kept(agent_client, desk_data):
    agent_client.post(DESK, desk_data(deadline_tier=DeadlineTier.COMPLEX, tier_override_reason="涉及多个部门"))
    ticket = Ticket.objects.get()
    assert (ticket.deadline_tier, ticket.tier_override_reason) == (DeadlineTier.COMPLEX, "涉及多个部门")


def test_desk_category_options_show_the_path_and_default_tier(agent_client, category):
    content = agent_client.get(DESK).content.decode()
    assert f"{category.parent.parent.name} › {category.parent.name} › {category.name}" in content
    assert f'data-tier="{category.default_tier}"' in content


# --- Desk panels ---------------------------------------------------------------------------


def test_repeat_candidates_endpoint_returns_matching_open_tickets(agent_client, category, street):
    # Given open tickets of the same caller, of the same place and category, and unrelated ones
    same_caller = taken_in(category=CategoryFactory(), phone="13800138000", description="噪音扰民")
    same_place = taken_in(category=category, street=street, phone="13922223333", description="路灯不亮")
    taken_in(category=category, street=StreetFactory(), phone="13944445555", description="垃圾没清运")
    TicketFactory(status=Status.CLOSED, category=category, caller__phone="13800138000")
    # When the desk asks for candidates of a contact by that caller in that place and category
    response = agent_client.get(
        reverse("intake:desk_candidates"),
        {"phone": "138 0013 8000", "category": category.pk, "street": street.pk, "description": ""},
    )
    # Then exactly the two open matches come back, each with its reason and a merge button
    assert response.status_code == 200
    candidates = response.context["candidates"]
    assert {candidate.ticket for candidate in candidates} == {same_caller, same_place}
    reasons = {candidate.ticket: candidate.reasons for candidate in candidates}
    assert reasons[same_caller] == ["same_caller"]
    assert reasons[same_place] == ["same_place"]
    content = response.content.decode()
    assert f'name="merge_into" value="{same_place.pk}"' in content
    assert str(candidates[0].reason_labels[0]) in content


def test_repeat_candidates_ignore_half_typed_input(agent_client):
    response = agent_client.get(reverse("intake:desk_candidates"), {"phone": "138", "category": "x"})
    assert response.status_code == 200
    assert response.context["candidates"] == []


def test_caller_lookup_shows_previous_tickets_and_records_the_read(agent_client, agent, category):
    previous = taken_in(category=category, phone="13800138000", name="王五")
    response = agent_client.get(reverse("intake:desk_caller"), {"phone": "13800138000"})
    content = response.content.decode()
    assert "王五" in content
    assert previous.number in content
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.caller, access.purpose) == (agent, previous.caller, "desk_lookup")


def test_caller_lookup_for_a_new_number(agent_client):
    response = agent_client.get(reverse("intake:desk_caller"), {"phone": "13800000000"})
    assert response.context["caller"] is None
    assert not PersonalDataAccess.objects.exists()


def test_knowledge_search_panel_finds_valid_articles(agent_client):
    KnowledgeArticleFactory(title="供暖时间说明")
    KnowledgeArticleFactory(title="供暖旧规定", valid_until=date(2000, 1, 1))
    KnowledgeArticleFactory(title="公交线路调整", body="10路公交改线。")
    response = agent_client.get(reverse("intake:desk_articles"), {"q": "供暖"})
    assert [article.title for article in response.context["articles"]] == ["供暖时间说明"]
    assert 'name="answer_with"' in response.content.decode()


def test_knowledge_panel_follows_category_and_description_in_few_queries(
    agent_client, category, django_assert_max_num_queries
):
    # Given articles of the category, articles sharing the description's words, and others
    for n in range(5):
        KnowledgeArticleFactory(title=f"供暖口径{n}").categories.add(category)
        KnowledgeArticleFactory(title=f"暖气不热处理{n}")
        KnowledgeArticleFactory(title=f"公交线路{n}", body="10路公交改线。")
    url = reverse("intake:desk_articles")
    params = {"q": "", "category": category.pk, "description": "家里暖气不热" * 100}
    # When the panel asks with the category and a long description: the session, the user, the
    # roles, then the articles and their categories, however many articles there are
    with django_assert_max_num_queries(5):
        response = agent_client.get(url, params)
    titles = [article.title for article in response.context["articles"]]
    # Then the category's articles come first, then those sharing the description's words
    assert [title[:4] for title in titles] == ["供暖口径"] * 5 + ["暖气不热"] * 5
    # A bad category is left out, not an error
    response = agent_client.get(url, {"category": "x", "description": "暖气不热"})
    assert response.status_code == 200
    assert {article.title[:4] for article in response.context["articles"]} == {"暖气不热"}


def test_a_refused_desk_form_focuses_its_error_not_the_phone(agent_client, desk_data):
    # The phone field has autofocus only on a fresh form: after a refusal the script focuses the error
    assert "autofocus" in agent_client.get(reverse("intake:desk")).content.decode()
    response = agent_client.post(reverse("intake:desk"), desk_data(outcome="close"))
    content = response.content.decode()
    assert 'id="id_disposition_error"' in content
    assert "autofocus" not in content


# --- Ticket list ---------------------------------------------------------------------------


def test_ticket_list_filters_and_pages_by_id(agent_client, category):
    queued = [taken_in(category=category, phone=f"1390000{n:04d}") for n in range(3)]
    other = TicketFactory(status=Status.CLOSED)
    response = agent_client.get(reverse("intake:ticket_list"), {"status": Status.AWAITING_DISPATCH})
    rows = response.context["page"].rows
    assert rows == sorted(queued, key=lambda ticket: -ticket.pk)
    assert other not in rows
    by_number = agent_client.get(reverse("intake:ticket_list"), {"q": queued[1].number})
    assert by_number.context["page"].rows == [queued[1]]


def test_ticket_list_filters_by_date_range_category_branch_and_place(agent_client, category, street):
    # Given tickets received on different days, in different categories and places
    in_march = TicketFactory(category=category, district=street.parent, street=street)
    in_april = TicketFactory(category=category)
    elsewhere = TicketFactory(category=CategoryFactory(), district=street.parent)
    Ticket.objects.filter(pk=in_march.pk).update(created_at=datetime(2024, 3, 10, 9, tzinfo=UTC))
    Ticket.objects.filter(pk__in=[in_april.pk, elsewhere.pk]).update(created_at=datetime(2024, 4, 1, 9, tzinfo=UTC))

    def rows(**params) -> set[Ticket]:
        return set(agent_client.get(reverse("intake:ticket_list"), params).context["page"].rows)

    # Then the received-between range includes both end days
    assert rows(created_after="2024-03-10", created_before="2024-03-31") == {in_march}
    assert rows(created_after="2024-03-11", created_before="2024-04-01") == {in_april, elsewhere}
    # a top-level category matches the tickets of every leaf below it
    assert rows(category=category.parent.parent_id) == {in_march, in_april}
    assert rows(category=category.parent_id, district=street.parent_id) == {in_march}
    assert rows(street=street.pk) == {in_march}


def test_ticket_list_keyset_pages(agent_client, monkeypatch):
    monkeypatch.setattr("intake.views.TICKETS_PER_PAGE", 2)
    tickets = sorted(TicketFactory.create_batch(5), key=lambda ticket: -ticket.pk)
    first = agent_client.get(reverse("intake:ticket_list")).context["page"]
    assert first.rows == tickets[:2]
    assert first.newer is None
    second = agent_client.get(reverse("intake:ticket_list"), {"before": first.older}).context["page"]
    assert second.rows == tickets[2:4]
    last = agent_client.get(reverse("intake:ticket_list"), {"before": second.older}).context["page"]
    assert last.rows == tickets[4:]
    assert last.older is None
    back = agent_client.get(reverse("intake:ticket_list"), {"after": second.newer}).context["page"]
    assert back.rows == tickets[:2]


def test_ticket_list_queries_do_not_grow_with_tickets(agent_client, django_assert_max_num_queries):
    TicketFactory.create_batch(3)
    with django_assert_max_num_queries(10) as few:
        agent_client.get(reverse("intake:ticket_list"), {"status": Status.RECEIVED})
    TicketFactory.create_batch(30, street=StreetFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = agent_client.get(reverse("intake:ticket_list"), {"status": Status.RECEIVED})
    assert len(response.context["page"].rows) == 33


def test_unit_staff_list_only_their_units_tickets(client, make_user):
    unit = UnitFactory()
    officer = make_user(Role.UNIT_OFFICER, unit=unit)
    mine, _theirs = TicketFactory(status=Status.DISPATCHED), TicketFactory(status=Status.DISPATCHED)
    Assignment.objects.create(ticket=mine, unit=unit, role="lead")
    client.force_login(officer)
    assert client.get(reverse("intake:ticket_list")).context["page"].rows == [mine]


# --- Ticket detail -------------------------------------------------------------------------


def test_hotline_role_sees_the_full_phone_and_the_read_is_recorded(agent_client, agent):
    ticket = TicketFactory(caller__phone="13812345678", caller__name="张三", confidential=True)
    response = agent_client.get(reverse("intake:ticket_detail", args=[ticket.pk]))
    content = response.content.decode()
    assert "13812345678" in content
    assert "张三" in content
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.caller, access.ticket, access.purpose) == (
        agent,
        ticket.caller,
        ticket,
        "ticket_detail",
    )


def test_unit_officer_of_an_assigned_unit_sees_only_the_masked_phone(client, make_user):
    unit = UnitFactory()
    officer = make_user(Role.UNIT_OFFICER, unit=unit)
    ticket = TicketFactory(status=Status.DISPATCHED, caller__phone="13812345678", caller__name="张三丰")
    Assignment.objects.create(ticket=ticket, unit=unit, role="lead")
    client.force_login(officer)
    response = client.get(reverse("intake:ticket_detail", args=[ticket.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "13812345678" not in content
    assert "138****5678" in content
    assert "张三丰" not in content
    assert "张**" in content
    assert not PersonalDataAccess.objects.exists()


def test_user_without_access_gets_404(client, make_user):
    ticket = TicketFactory(status=Status.DISPATCHED)
    Assignment.objects.create(ticket=ticket, unit=UnitFactory(), role="lead")
    client.force_login(make_user(Role.UNIT_OFFICER))
    assert client.get(reverse("intake:ticket_detail", args=[ticket.pk])).status_code == 404
    assert client.get(reverse("intake:ticket_detail", args=[987654])).status_code == 404


def test_ticket_detail_shows_the_timeline(agent_client, desk_data):
    agent_client.post(DESK, desk_data(outcome="close", disposition=Disposition.EXPLAINED, answer="已解释政策"))
    ticket = Ticket.objects.get()
    content = agent_client.get(reverse("intake:ticket_detail", args=[ticket.pk])).content.decode()
    timeline = content[content.index('class="timeline"') :]
    with translation.override("zh-hans"):
        created, closed = str(Action.CREATE.label), str(Action.CLOSE_AT_INTAKE.label)
    assert created in timeline
    assert closed in timeline
    assert timeline.index(created) < timeline.index(closed)
    assert "已解释政策" in timeline


def test_ticket_detail_queries_do_not_grow_with_events_and_contacts(
    agent_client, category, django_assert_max_num_queries
):
    parent = taken_in(category=category)

    def merge_contacts(count: int, start: int) -> None:
        for n in range(count):
            child = taken_in(category=category, phone=f"1370000{start + n:04d}")
            # a repeat contact is received then merged, adding events to both tickets
            services.merge_into(ticket_id=child.pk, parent_id=parent.pk, actor=None)

    merge_contacts(1, 0)
    with django_assert_max_num_queries(12) as few:
        agent_client.get(reverse("intake:ticket_detail", args=[parent.pk]))
    merge_contacts(10, 100)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = agent_client.get(reverse("intake:ticket_detail", args=[parent.pk]))
    assert len(response.context["contacts"]) == 12
    assert PersonalDataAccess.objects.filter(ticket__in=[parent, *parent.merged.all()]).count() == 2 + 12


def test_a_caller_who_wants_no_sms_is_switched_off_on_the_ticket_page_and_on_again(agent_client, agent):
    # Given a ticket whose caller is texted, and a repeat contact merged into it by another caller
    ticket = TicketFactory(caller__phone="13812345678")
    merged = TicketFactory(caller__phone="13912345678", parent=ticket, status=Status.MERGED, closed_at=timezone.now())
    page = reverse("intake:ticket_detail", args=[ticket.pk])
    switch = reverse("intake:caller_sms", args=[ticket.pk, merged.caller_id])
    assert f'action="{switch}"' in agent_client.get(page).content.decode()

    # When the agent records that the merged contact's caller wants no SMS
    response = agent_client.post(switch, {"sms_opt_out": "1"})

    # Then that caller gets none (the other still does), and the agent is back on the ticket's page, told so
    assert Caller.objects.get(pk=merged.caller_id).sms_opt_out
    assert not Caller.objects.get(pk=ticket.caller_id).sms_opt_out
    assert response.status_code == 302
    assert response.url == page
    with translation.override("zh-hans"):
        assert [str(message) for message in get_messages(response.wsgi_request)] == [
            translation.gettext("The caller gets no more SMS.")
        ]
    # And the page offers to text that caller again, the other to stop, and says who switched it when
    content = agent_client.get(page).content.decode()
    assert (content.count('name="sms_opt_out" value="0"'), content.count('name="sms_opt_out" value="1"')) == (1, 1)
    change = SmsPreferenceChange.objects.get()
    assert (change.user, change.ticket_id, change.caller_id, change.sms_opt_out) == (
        agent,
        ticket.pk,
        merged.caller_id,
        True,
    )
    with translation.override("zh-hans"):
        shown = translation.gettext("switched by %(user)s, %(at)s") % {
            "user": agent,
            "at": timezone.localtime(change.created_at).strftime("%Y-%m-%d %H:%M"),
        }
    assert content.count(shown) == 1

    # And the same form submitted again changes and records nothing, and says so
    response = agent_client.post(switch, {"sms_opt_out": "1"})
    with translation.override("zh-hans"):
        assert [str(message) for message in get_messages(response.wsgi_request)] == [
            translation.gettext("The caller already gets no SMS.")
        ]
    assert SmsPreferenceChange.objects.count() == 1

    # And switched on again, they are texted again
    agent_client.post(switch, {"sms_opt_out": "0"})
    assert not Caller.objects.get(pk=merged.caller_id).sms_opt_out
    assert SmsPreferenceChange.objects.latest("id").sms_opt_out is False


def test_only_hotline_staff_switch_a_callers_sms_and_only_for_the_tickets_callers(agent_client, client, make_user):
    # Given a ticket assigned to a unit, and a caller of another ticket
    unit = UnitFactory()
    ticket = TicketFactory(status=Status.DISPATCHED, caller__phone="13812345678")
    Assignment.objects.create(ticket=ticket, unit=unit, role="lead")
    stranger = TicketFactory(caller__phone="13700000000").caller

    # When the unit's officer tries to switch the caller's SMS off, then it is not found
    client.force_login(make_user(Role.UNIT_OFFICER, unit=unit))
    assert (
        client.post(reverse("intake:caller_sms", args=[ticket.pk, ticket.caller_id]), {"sms_opt_out": "1"}).status_code
        == 404
    )
    # And hotline staff cannot reach a caller through a ticket they did not call about, nor by GET
    assert (
        agent_client.post(reverse("intake:caller_sms", args=[ticket.pk, stranger.pk]), {"sms_opt_out": "1"}).status_code
        == 404
    )
    assert agent_client.get(reverse("intake:caller_sms", args=[ticket.pk, ticket.caller_id])).status_code == 405
    # And nobody's SMS changed, and no change is recorded
    assert not Caller.objects.filter(sms_opt_out=True).exists()
    assert not SmsPreferenceChange.objects.exists()


# --- Ticket detail: how the ticket is being handled ----------------------------------------


@dataclass
class Handled:
    """A ticket returned by its first lead street, now led by a second one that summoned a department."""

    ticket: Ticket
    returned: Assignment  # street A, the first lead: returned after a late sign
    lead: Assignment  # street B, the lead now: signed, caller not contacted in time, extension asked
    assist: Assignment  # the department B summoned: replied
    street_b: Unit
    department: Unit


def handled_ticket(make_user) -> Handled:
    now = timezone.now()
    street_a, street_b = StreetFactory(name="新村街道"), StreetFactory(name="大红门街道")
    department = UnitFactory(name="市水务局")
    ticket = TicketFactory(status=Status.IN_PROGRESS, caller__phone="13812345678")
    returned = AssignmentFactory(
        ticket=ticket,
        unit=street_a,
        dispatched_at=now - timedelta(days=2),
        status=AssignmentStatus.RETURNED,
        returned=True,
        ended_at=now - timedelta(days=1, hours=20),
        late_sign_marked_at=now - timedelta(days=1, hours=23),
    )
    ReturnRequest.objects.create(
        assignment=returned,
        reason=ReturnReason.OUTSIDE_AREA,
        legal_basis="不在本街道辖区",
        requested_by=make_user(Role.UNIT_OFFICER, street_a),
        status=ReviewStatus.APPROVED,
        decided_at=returned.ended_at,
    )
    lead = AssignmentFactory(
        ticket=ticket,
        unit=street_b,
        dispatched_at=now - timedelta(days=1, hours=20),
        status=AssignmentStatus.SIGNED,
        signed_at=now - timedelta(days=1, hours=19),
        first_contact_due_at=now - timedelta(days=1, hours=17),
        late_contact_marked_at=now - timedelta(days=1, hours=17),
    )
    ExtensionRequest.objects.create(
        assignment=lead,
        extra_days=3,
        reason="需协调管网改造",
        requested_by=make_user(Role.UNIT_OFFICER, street_b),
        previous_due_at=lead.due_at,
    )
    assist = AssignmentFactory(
        ticket=ticket,
        unit=department,
        role=AssignmentRole.ASSIST,
        whistled_by=lead,
        dispatched_at=now - timedelta(days=1),
        status=AssignmentStatus.REPLIED,
        signed_at=now - timedelta(hours=23),
        replied_at=now - timedelta(hours=3),
        reply="已完成管网检修",
        outcome=ReplyOutcome.RESOLVED,
    )
    return Handled(ticket, returned, lead, assist, street_b, department)


def section(content: str, section_id: str) -> str:
    """The HTML of the page's <section id=…>; empty when the page has none."""
    found = re.search(rf'<section class="card" id="{section_id}">.*?</section>', content, re.S)
    return found.group(0) if found else ""


def row(content: str, attribute: str, pk: int) -> str:
    """The HTML of the table row marked attribute="pk"; empty when there is none."""
    found = re.search(rf'<tr {attribute}="{pk}"[^>]*>.*?</tr>', content, re.S)
    return found.group(0) if found else ""


def test_an_agent_sees_every_unit_handling_the_ticket_with_deadlines_and_links(agent_client, make_user):
    # Given a ticket returned by one street, now led by another that summoned a department
    handled = handled_ticket(make_user)
    # When an agent opens the ticket page
    response = agent_client.get(reverse("intake:ticket_detail", args=[handled.ticket.pk]))
    # Then every assignment is listed, each linking to its assignment page
    handling = section(response.content.decode(), "handling")
    for assignment in (handled.returned, handled.lead, handled.assist):
        line = row(handling, "data-assignment", assignment.pk)
        assert assignment.unit.name in line
        assert f'href="{reverse("dispatch:assignment", args=[assignment.pk])}"' in line
    # And the returned lead shows that it was returned after a late sign, without a countdown
    returned = row(handling, "data-assignment", handled.returned.pk)
    assert 'data-status="returned"' in returned
    assert 'data-marker="late_sign"' in returned
    assert "countdown" not in returned
    # And the live lead counts down its handling deadline, with its mark and the extension it asked for
    lead = row(handling, "data-assignment", handled.lead.pk)
    assert f'data-due="{timezone.localtime(handled.lead.due_at).isoformat()}"' in lead
    assert 'data-marker="late_contact"' in lead
    assert 'data-pending="extension"' in lead
    # And the summoned department shows who summoned it, its reply and outcome
    assist = row(handling, "data-assignment", handled.assist.pk)
    assert handled.street_b.name in assist
    assert "已完成管网检修" in assist
    assert 'data-status="replied"' in assist
    assert "countdown" not in assist


def test_a_pending_return_and_an_overdue_mark_are_shown(agent_client, make_user):
    # Given a lead that asked to return late, and was marked overdue
    lead = AssignmentFactory(overdue_at=timezone.now())
    ReturnRequest.objects.create(
        assignment=lead,
        reason=ReturnReason.NOT_RESPONSIBLE,
        legal_basis="职责清单第3条",
        requested_by=make_user(Role.UNIT_OFFICER, lead.unit),
        needs_supervisor=True,
    )
    # When an agent opens the ticket
    content = agent_client.get(reverse("intake:ticket_detail", args=[lead.ticket_id])).content.decode()
    # Then the return awaiting review and the overdue mark are on the lead's line
    line = row(section(content, "handling"), "data-assignment", lead.pk)
    assert 'data-pending="return"' in line
    assert 'data-marker="overdue"' in line
    with translation.override("zh-hans"):
        assert str(ReturnReason.NOT_RESPONSIBLE.label) in line


def test_a_supervisor_sees_the_callback_results_linked_to_the_callback_page(client, make_user):
    # Given a handled ticket called back twice: unsatisfied with the unit at fault, then due again
    handled = handled_ticket(make_user)
    first = CallbackFactory(
        ticket=handled.ticket,
        unit=handled.street_b,
        resolution=Resolution.UNRESOLVED,
        satisfaction=Satisfaction.UNSATISFIED,
        unit_at_fault=True,
        attempts=2,
    )
    second = CallbackFactory(
        ticket=handled.ticket,
        unit=handled.street_b,
        round=2,
        status=CallbackStatus.PENDING,
        resolution="",
        satisfaction="",
        completed_at=None,
        attempts=0,
    )
    # When a hotline supervisor opens the ticket page
    client.force_login(make_user(Role.HOTLINE_SUPERVISOR))
    content = client.get(reverse("intake:ticket_detail", args=[handled.ticket.pk])).content.decode()
    # Then each round shows its results, linked to the callback agents' page
    callbacks = section(content, "callbacks")
    done, pending = row(callbacks, "data-callback", first.pk), row(callbacks, "data-callback", second.pk)
    with translation.override("zh-hans"):
        assert str(Resolution.UNRESOLVED.label) in done
        assert str(Satisfaction.UNSATISFIED.label) in done
    assert 'data-status="done"' in done
    assert f"{timezone.localtime(first.completed_at):%Y-%m-%d %H:%M}" in done
    assert 'data-status="pending"' in pending
    for callback, line in ((first, done), (second, pending)):
        assert f'href="{reverse("evaluation:callback_detail", args=[callback.pk])}"' in line
    # And the results never show the caller's phone, which only the callers' card has
    assert "13812345678" not in callbacks
    assert "13812345678" in content
    # And the supervisor sees how the ticket is handled too
    assert row(section(content, "handling"), "data-assignment", handled.lead.pk)


def test_an_agent_sees_callback_results_without_the_callback_page_link(agent_client, make_user):
    handled = handled_ticket(make_user)
    callback = CallbackFactory(ticket=handled.ticket, unit=handled.street_b)
    content = agent_client.get(reverse("intake:ticket_detail", args=[handled.ticket.pk])).content.decode()
    assert row(section(content, "callbacks"), "data-callback", callback.pk)
    assert reverse("evaluation:callback_detail", args=[callback.pk]) not in content


def test_a_summoned_departments_officer_sees_only_its_own_assignment(client, make_user):
    # Given a handled ticket with a callback evaluating the lead street
    handled = handled_ticket(make_user)
    CallbackFactory(ticket=handled.ticket, unit=handled.street_b)
    # When an officer of the summoned department opens the ticket page
    client.force_login(make_user(Role.UNIT_OFFICER, handled.department))
    content = client.get(reverse("intake:ticket_detail", args=[handled.ticket.pk])).content.decode()
    # Then the department's own assignment is there, linked to its page
    handling = section(content, "handling")
    assert f'href="{reverse("dispatch:assignment", args=[handled.assist.pk])}"' in row(
        handling, "data-assignment", handled.assist.pk
    )
    # And nothing of the streets' assignments, nor the callback that evaluates the lead street
    assert not row(handling, "data-assignment", handled.lead.pk)
    assert not row(handling, "data-assignment", handled.returned.pk)
    assert "新村街道" not in handling
    assert not section(content, "callbacks")
    # And for an officer of a unit not on the ticket, the ticket does not exist
    client.force_login(make_user(Role.UNIT_OFFICER, StreetFactory()))
    assert client.get(reverse("intake:ticket_detail", args=[handled.ticket.pk])).status_code == 404


def test_the_lead_streets_officer_sees_its_assignment_and_its_callback_results(client, make_user):
    # Given a handled ticket with a callback evaluating the lead street
    handled = handled_ticket(make_user)
    callback = CallbackFactory(ticket=handled.ticket, unit=handled.street_b)
    # When an officer of the lead street opens the ticket page
    client.force_login(make_user(Role.UNIT_OFFICER, handled.street_b))
    content = client.get(reverse("intake:ticket_detail", args=[handled.ticket.pk])).content.decode()
    # Then the street's assignment is there, not the department's reply
    handling = section(content, "handling")
    assert row(handling, "data-assignment", handled.lead.pk)
    assert not row(handling, "data-assignment", handled.assist.pk)
    assert "已完成管网检修" not in handling
    # And the result of the callback that counts for the street, without the callback agents' page
    assert row(section(content, "callbacks"), "data-callback", callback.pk)
    assert reverse("evaluation:callback_detail", args=[callback.pk]) not in content


def test_ticket_detail_queries_do_not_grow_with_assignments_and_callbacks(
    client, make_user, django_assert_max_num_queries
):
    # Given a handled ticket called back once, read by a hotline supervisor
    handled = handled_ticket(make_user)
    CallbackFactory(ticket=handled.ticket, unit=handled.street_b)
    supervisor = make_user(Role.HOTLINE_SUPERVISOR)
    client.force_login(supervisor)
    url = reverse("intake:ticket_detail", args=[handled.ticket.pk])
    with django_assert_max_num_queries(16) as few:
        client.get(url)
    # When more departments are summoned, each asking for an extension, and more rounds are called back
    for index in range(5):
        summoned = AssignmentFactory(
            ticket=handled.ticket, unit=UnitFactory(), role=AssignmentRole.ASSIST, whistled_by=handled.lead
        )
        ExtensionRequest.objects.create(
            assignment=summoned,
            extra_days=1,
            reason="等待配件",
            requested_by=supervisor,
            previous_due_at=summoned.due_at,
        )
        CallbackFactory(ticket=handled.ticket, unit=handled.street_b, round=index + 2)
    # Then the page costs no more queries
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    content = response.content.decode()
    assert len(re.findall(r"<tr data-assignment=", content)) == 3 + 5
    assert len(re.findall(r"<tr data-callback=", content)) == 1 + 5


# --- Knowledge base ------------------------------------------------------------------------


def test_knowledge_base_list_for_hotline_roles_only(client, agent_client, make_user):
    KnowledgeArticleFactory(title="供暖时间说明")
    KnowledgeArticleFactory(title="过期的说明", valid_until=date(2000, 1, 1))
    response = agent_client.get(reverse("intake:article_list"), {"q": "说明"})
    assert {article.title for article in response.context["page"]} == {"供暖时间说明", "过期的说明"}
    assert not response.context["can_edit"]
    client.force_login(make_user(Role.UNIT_OFFICER))
    assert client.get(reverse("intake:article_list")).status_code == 404


def test_supervisor_creates_and_edits_an_article(client, make_user, category):
    supervisor = make_user(Role.HOTLINE_SUPERVISOR)
    client.force_login(supervisor)
    response = client.post(
        reverse("intake:article_create"),
        {
            "title": "供暖时间",
            "body": "每年11月15日开始供暖。",
            "categories": [category.pk],
            "valid_from": "2024-01-01",
            "is_public": "on",
        },
    )
    assert response.status_code == 302
    article = KnowledgeArticle.objects.get()
    assert (article.updated_by, list(article.categories.all()), article.is_public) == (supervisor, [category], True)
    edit = reverse("intake:article_edit", args=[article.pk])
    assert client.get(edit).context["form"]["title"].value() == "供暖时间"
    client.post(edit, {"title": "供暖时间（新）", "body": "正文", "valid_from": "2024-01-01"})
    article.refresh_from_db()
    assert (article.title, article.is_public, list(article.categories.all())) == ("供暖时间（新）", False, [])


def test_article_validity_must_be_ordered(client, make_user):
    client.force_login(make_user(Role.CITY_ADMIN))
    response = client.post(
        reverse("intake:article_create"),
        {"title": "t", "body": "b", "valid_from": "2024-02-01", "valid_until": "2024-01-01"},
    )
    assert response.context["form"].errors["valid_until"]
    assert not KnowledgeArticle.objects.exists()


def test_agents_cannot_write_articles(agent_client):
    article = KnowledgeArticleFactory()
    assert agent_client.get(reverse("intake:article_create")).status_code == 404
    assert agent_client.post(reverse("intake:article_edit", args=[article.pk]), {"title": "x"}).status_code == 404


# --- Navigation and admin ------------------------------------------------------------------


def test_navigation_links_follow_roles(client, agent_client, make_user):
    content = agent_client.get("/", follow=True).content.decode()
    assert reverse("intake:desk") in content
    assert reverse("intake:article_list") in content
    client.force_login(make_user(Role.UNIT_OFFICER))
    content = client.get("/", follow=True).content.decode()
    assert reverse("intake:desk") not in content


@pytest.mark.parametrize("model", ["ticket", "caller", "ticketevent", "knowledgearticle", "personaldataaccess"])
def test_admin_lists_intake_models(admin_client, model):
    TicketFactory()
    assert admin_client.get(reverse(f"admin:intake_{model}_changelist")).status_code == 200


def test_admin_never_changes_status_or_events(admin_client):
    ticket = TicketFactory()
    page = admin_client.get(reverse("admin:intake_ticket_change", args=[ticket.pk]))
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    assert admin_client.get(reverse("admin:intake_ticket_add")).status_code == 403
    assert admin_client.get(reverse("admin:intake_ticketevent_add")).status_code == 403


def test_the_english_ui_shows_categories_by_their_english_names(agent_client, category):
    # Given a category tree with English names
    Category.objects.filter(pk=category.pk).update(name_en="Not warm enough")
    Category.objects.filter(pk=category.parent_id).update(name_en="Heating")
    ticket = TicketFactory(category=category)
    # When the agent reads a ticket in English, then the path is in English
    english = agent_client.get(reverse("intake:ticket_detail", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Heating › Not warm enough" in english.content.decode()
    # And in Chinese (the default) it is in Chinese
    chinese = agent_client.get(reverse("intake:ticket_detail", args=[ticket.pk]))
    assert f"{category.parent.name} › 不热" in chinese.content.decode()
