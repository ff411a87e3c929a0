"""Intake services: creation, numbering, callers, outcomes, merge, repeat detection, KB search."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from hotline.errors import DomainError
from hotline.models import Category, DeadlineTier, Role, User
from intake import selectors, services, ticket_insert
from intake.lifecycle import Action, Status
from intake.models import (
    Caller,
    Channel,
    Disposition,
    Kind,
    SmsPreferenceChange,
    Ticket,
    TicketEvent,
    Urgency,
)
from intake.services import NewTicket, Outcome
from intake.ticket_insert import CallerInput
from tests.conftest import run_at_once
from tests.factories import CategoryFactory, KnowledgeArticleFactory, StreetFactory, TicketFactory

pytestmark = pytest.mark.django_db


def new(**overrides) -> NewTicket:
    values = {
        "channel": Channel.PHONE,
        "kind": Kind.COMPLAINT,
        "category": overrides.pop("category", None) or CategoryFactory(),
        "description": "小区暖气不热，室温只有十四度。",
        "phone": "13800138000",
        "caller_name": "张三",
    }
    return NewTicket(**{**values, **overrides})


def test_create_writes_the_ticket_its_caller_and_one_event(admin_user):
    ticket = services.create_ticket(data=new(), actor=admin_user)
    assert ticket.status == Status.RECEIVED
    assert ticket.caller.phone == "13800138000"
    assert ticket.title == "小区暖气不热，室温只有十四度。"
    assert list(ticket.events.values_list("action", "to_status")) == [(Action.CREATE, Status.RECEIVED)]


def test_callers_are_stored_once_per_phone(admin_user):
    services.create_ticket(data=new(phone="138-0013-8000"), actor=admin_user)
    services.create_ticket(data=new(phone="+86 13800138000", caller_name="张三丰"), actor=admin_user)
    assert Caller.objects.count() == 1
    assert Caller.objects.get().name == "张三丰"


def test_a_repeat_callers_given_details_win_and_missing_ones_keep_what_is_known():
    # Given a caller known by name as an enterprise
    first = ticket_insert.upsert_caller(
        caller=CallerInput(phone="13800138000", name="张三", is_enterprise=True, enterprise_name="某公司")
    )
    # When the number calls again without a name, then with a new name
    again = ticket_insert.upsert_caller(caller=CallerInput(phone="138 0013 8000"))
    renamed = ticket_insert.upsert_caller(caller=CallerInput(phone="13800138000", name="张三丰"))
    # Then it is the same caller; nothing given is nothing lost, and a new name wins
    assert first.pk == again.pk == renamed.pk
    assert (again.name, again.is_enterprise, again.enterprise_name) == ("张三", True, "某公司")
    stored = Caller.objects.get()
    assert (stored.name, stored.is_enterprise, stored.enterprise_name) == ("张三丰", True, "某公司")
    assert renamed.created_at == stored.created_at  # deferred, read on demand


def test_tier_defaults_from_category_and_urgency(admin_user):
    heating = CategoryFactory(default_tier=DeadlineTier.UTILITY)
    assert services.create_ticket(data=new(category=heating), actor=admin_user).deadline_tier == DeadlineTier.UTILITY
    emergency = services.create_ticket(data=new(category=heating, urgency=Urgency.EMERGENCY), actor=admin_user)
    assert emergency.deadline_tier == DeadlineTier.EMERGENCY


def test_overriding_the_tier_needs_a_reason(admin_user):
    with pytest.raises(DomainError) as error:
        services.create_ticket(data=new(deadline_tier=DeadlineTier.COMPLEX), actor=admin_user)
    assert "tier_override_reason" in error.value.fields
    assert not Ticket.objects.exists()
    ticket = services.create_ticket(
        data=new(deadline_tier=DeadlineTier.COMPLEX, tier_override_reason="涉及多个部门"), actor=admin_user
    )
    assert ticket.deadline_tier == DeadlineTier.COMPLEX


def test_street_must_lie_in_the_district(admin_user):
    street, other_street = StreetFactory(), StreetFactory()
    with pytest.raises(DomainError) as error:
        services.create_ticket(data=new(district=other_street.parent, street=street), actor=admin_user)
    assert "street" in error.value.fields
    ticket = services.create_ticket(data=new(street=street), actor=admin_user)
    assert ticket.district == street.parent


def test_only_leaf_categories(admin_user):
    leaf = CategoryFactory()
    with pytest.raises(DomainError) as error:
        services.create_ticket(data=new(category=leaf.parent), actor=admin_user)
    assert "category" in error.value.fields


@pytest.mark.parametrize(
    ("outcome", "extra", "status", "disposition"),
    [
        (Outcome.DISPATCH, {}, Status.AWAITING_DISPATCH, Disposition.DISPATCHED),
        (Outcome.ANSWER, {"answer": "供暖热线已解答"}, Status.CLOSED, Disposition.ANSWERED_DIRECTLY),
        (Outcome.CLOSE, {"disposition": Disposition.TRANSFERRED_119}, Status.CLOSED, Disposition.TRANSFERRED_119),
    ],
)
def test_submit_intake_applies_the_outcome(admin_user, outcome, extra, status, disposition):
    ticket = services.submit_intake(data=new(), actor=admin_user, outcome=outcome, **extra).ticket
    assert (ticket.status, ticket.disposition) == (status, disposition)
    assert ticket.events.count() == 2


def test_answer_directly_records_the_article(admin_user):
    article = KnowledgeArticleFactory()
    ticket = services.submit_intake(data=new(), actor=admin_user, outcome=Outcome.ANSWER, article=article).ticket
    assert ticket.article == article
    assert ticket.closed_at is not None
    assert ticket.events.last().payload == {"article": article.pk}


@pytest.mark.parametrize(("bound", "days"), [("valid_until", -1), ("valid_from", 1)])
def test_answering_with_an_article_not_valid_today_is_refused_and_writes_nothing(admin_user, bound, days):
    # Given an article that expired yesterday, or one that starts tomorrow
    article = KnowledgeArticleFactory(**{bound: timezone.localdate() + timedelta(days=days)})
    received = TicketFactory(status=Status.RECEIVED)
    # When a new contact, and a received ticket, are answered with it
    with pytest.raises(DomainError) as on_intake:
        services.submit_intake(data=new(), actor=admin_user, outcome=Outcome.ANSWER, article=article)
    with pytest.raises(DomainError) as on_ticket:
        services.answer_directly(ticket_id=received.pk, actor=admin_user, article=article)
    # Then both are refused on the article field, and nothing is written
    for error in (on_intake.value, on_ticket.value):
        assert (error.status, list(error.fields)) == (400, ["article"])
    assert list(Ticket.objects.all()) == [received]
    received.refresh_from_db()
    assert (received.status, received.article) == (Status.RECEIVED, None)
    # And an article valid from today until today answers
    today = timezone.localdate()
    valid = KnowledgeArticleFactory(valid_from=today, valid_until=today)
    answered = services.answer_directly(ticket_id=received.pk, actor=admin_user, article=valid)
    assert (answered.status, answered.article) == (Status.CLOSED, valid)


@pytest.mark.parametrize("role", [Role.API_CLIENT, Role.UNIT_OFFICER])
def test_an_internal_article_answers_for_hotline_staff_only(make_user, role):
    # Given an internal article (not to be read out to citizens)
    internal = KnowledgeArticleFactory(is_public=False)
    # When a client system (or anyone outside the hotline) answers with it, it is refused on the article
    with pytest.raises(DomainError) as refused:
        services.submit_intake(data=new(), actor=make_user(role), outcome=Outcome.ANSWER, article=internal)
    assert (refused.value.status, list(refused.value.fields)) == (400, ["article"])
    assert not Ticket.objects.exists()
    # And an agent answers with it
    ticket = services.submit_intake(
        data=new(), actor=make_user(Role.AGENT), outcome=Outcome.ANSWER, article=internal
    ).ticket
    assert ticket.article == internal


def test_a_failing_outcome_writes_nothing(admin_user):
    with pytest.raises(DomainError):
        services.submit_intake(data=new(), actor=admin_user, outcome=Outcome.ANSWER)
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()


def test_same_idempotency_key_creates_one_ticket(admin_user):
    first = services.submit_intake(data=new(), actor=admin_user, idempotency_key="key-1")
    second = services.submit_intake(data=new(), actor=admin_user, idempotency_key="key-1")
    assert first.ticket.pk == second.ticket.pk
    assert (first.created, second.created) == (True, False)
    assert Ticket.objects.count() == 1
    assert TicketEvent.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_with_one_key_create_one_ticket(admin_user):
    # Given two requests with the same idempotency key arriving at once on two connections
    category = CategoryFactory()

    def submit() -> services.Submission:
        return services.submit_intake(data=new(category=category), actor=admin_user, idempotency_key="k")

    results = run_at_once(submit, submit)
    # Then both get the same ticket, only one exists, and only one submission says it made it
    assert len({result.ticket.pk for result in results}) == 1
    assert sorted(result.created for result in results) == [False, True]
    assert Ticket.objects.count() == 1


def test_merge_keeps_both_callers(admin_user):
    parent = services.submit_intake(data=new(), actor=admin_user).ticket
    child = services.submit_intake(
        data=new(phone="13900139000", caller_name="李四"),
        actor=admin_user,
        outcome=Outcome.MERGE,
        merge_into_id=parent.pk,
    ).ticket
    assert (child.status, child.parent) == (Status.MERGED, parent)
    parent.refresh_from_db()
    assert parent.status == Status.AWAITING_DISPATCH
    callers = {parent.caller.phone, *parent.merged.values_list("caller__phone", flat=True)}
    assert callers == {"13800138000", "13900139000"}
    assert parent.events.last().action == Action.ADD_CONTACT


def test_merge_refuses_a_closed_parent(admin_user):
    closed = TicketFactory(status=Status.CLOSED)
    ticket = services.create_ticket(data=new(), actor=admin_user)
    with pytest.raises(DomainError):
        services.merge_into(ticket_id=ticket.pk, parent_id=closed.pk, actor=admin_user)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RECEIVED


def test_repeat_candidates_by_caller_place_and_text(admin_user):
    # Given open tickets: one of the same caller, one in the same street and category, one similar text,
    street = StreetFactory()
    category = CategoryFactory()
    same_caller = services.submit_intake(data=new(description="楼道灯坏了"), actor=admin_user).ticket
    same_place = services.submit_intake(
        data=new(phone="13700000001", street=street, category=category, description="路灯不亮"), actor=admin_user
    ).ticket
    similar = services.submit_intake(
        data=new(phone="13700000002", description="幸福小区3号楼暖气不热已经一周了"), actor=admin_user
    ).ticket
    # and a closed one and an old one that must not be offered
    services.submit_intake(data=new(), actor=admin_user, outcome=Outcome.ANSWER, answer="已答复")
    old = services.submit_intake(
        data=new(phone="13700000003", street=street, category=category, description="旧事"), actor=admin_user
    ).ticket
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    # When a new contact is typed
    candidates = selectors.repeat_candidates(
        phone="13800138000", category_id=category.pk, street_id=street.pk, text="幸福小区3号楼暖气不热"
    )
    # Then each expected ticket is offered with its reason, and nothing else
    reasons = {c.ticket.pk: c.reasons for c in candidates}
    assert set(reasons) == {same_caller.pk, same_place.pk, similar.pk}
    assert reasons[same_caller.pk] == ["same_caller"]
    assert reasons[same_place.pk] == ["same_place"]
    assert reasons[similar.pk] == ["similar_text"]


def test_knowledge_base_search_finds_chinese_substrings_and_respects_validity():
    today = timezone.localdate()
    heating = KnowledgeArticleFactory(title="供暖期时间", body="本市供暖期为11月15日至3月15日")
    KnowledgeArticleFactory(title="过期的供暖通知", valid_until=today - timedelta(days=1))
    KnowledgeArticleFactory(title="垃圾分类指南", body="厨余垃圾投放到绿色桶")
    internal = KnowledgeArticleFactory(title="供暖内部口径", body="仅供坐席参考", is_public=False)
    assert set(selectors.search_articles(query="供暖")) == {heating, internal}
    assert list(selectors.search_articles(query="供暖 3月15日")) == [heating]
    assert list(selectors.search_articles(query="供暖", include_internal=False)) == [heating]


def test_desk_articles_rank_the_category_then_its_siblings_then_the_descriptions_words():
    # Given a leaf category, a sibling under the same parent, and articles tagged with each or neither
    leak = CategoryFactory(name="暖气漏水")
    sibling = Category.objects.create(code="sib", name="暖气不热", level=3, parent=leak.parent)
    tagged = KnowledgeArticleFactory(title="供暖报修流程", body="联系供热单位。")
    tagged.categories.add(leak)
    tagged_and_worded = KnowledgeArticleFactory(title="暖气管道漏水处置", body="先关阀门。")
    tagged_and_worded.categories.add(leak)
    of_sibling = KnowledgeArticleFactory(title="室温不达标", body="测温标准。")
    of_sibling.categories.add(sibling)
    worded = KnowledgeArticleFactory(title="管道漏水怎么办", body="报物业。")
    in_body_once = KnowledgeArticleFactory(title="物业服务", body="地下室管道。")  # one shared word: chance
    KnowledgeArticleFactory(title="公交线路查询", body="请拨打公交热线。")
    KnowledgeArticleFactory(title="暖气管道漏水旧规", valid_until=timezone.localdate() - timedelta(days=1))
    description = "家里暖气管道漏水了，地板湿了"

    # When the desk asks with the category and the description
    found = selectors.desk_articles(query="", category_id=leak.pk, description=description)
    # Then the category's articles come first (the one sharing the words leading), then the
    # sibling's, then the others sharing enough words; never expired ones, nor chance matches
    assert found == [tagged_and_worded, tagged, of_sibling, worded]
    # With the description alone, only the articles sharing its words
    assert selectors.desk_articles(query="", category_id=None, description=description) == [
        tagged_and_worded,
        worded,
    ]
    # The search box narrows to its terms, in the same order, words shared or not
    assert selectors.desk_articles(query="漏水", category_id=leak.pk, description=description) == [
        tagged_and_worded,
        worded,
    ]
    assert selectors.desk_articles(query="物业", category_id=leak.pk, description=description) == [
        worded,
        in_body_once,
    ]
    # With neither category nor description, as the plain search
    assert selectors.desk_articles(query="公交", category_id=None, description="") == list(
        selectors.search_articles(query="公交", limit=10)
    )


def test_text_terms_are_the_chinese_pairs_and_the_ascii_words():
    assert selectors.text_terms("暖气不热，5G信号差 ok") == ["暖气", "气不", "不热", "5g", "信号", "号差", "ok"]
    assert len(selectors.text_terms("供暖" * 200)) == 2  # each pair once
    assert len(selectors.text_terms("".join(chr(0x4E00 + n) for n in range(500)))) == selectors.ARTICLE_TEXT_TERMS


def test_roles_fixture_sanity(make_user):
    assert make_user(Role.AGENT).memberships.get().role == Role.AGENT


def test_switching_a_callers_sms_records_each_change_and_who_made_it(make_user):
    # Given a ticket whose caller is texted, and an agent
    ticket = TicketFactory(caller__phone="13812345678")
    agent = make_user(Role.AGENT)

    # When the agent switches the caller's SMS off, off again (a double submit), then on
    switched = [
        services.set_sms_opt_out(actor=agent, ticket_id=ticket.pk, caller_id=ticket.caller_id, opt_out=opt_out)
        for opt_out in (True, True, False)
    ]

    # Then the first and the last changed it, and only those two are recorded: who, where, to what
    assert switched == [True, False, True]
    changes = list(SmsPreferenceChange.objects.order_by("id"))
    assert [(c.user, c.ticket_id, c.caller_id, c.sms_opt_out) for c in changes] == [
        (agent, ticket.pk, ticket.caller_id, True),
        (agent, ticket.pk, ticket.caller_id, False),
    ]
    assert not Caller.objects.get(pk=ticket.caller_id).sms_opt_out
    # And the latest change is the one the ticket page shows
    assert selectors.last_sms_preference_changes(caller_ids=[ticket.caller_id]) == {ticket.caller_id: changes[-1]}


@pytest.mark.django_db(transaction=True)
def test_two_agents_switching_a_callers_sms_off_at_once_record_one_change(make_user):
    # Given a texted caller and two agents who both heard the caller ask for no SMS
    ticket = TicketFactory(caller__phone="13812345678")
    agents = [make_user(Role.AGENT), make_user(Role.AGENT)]

    def switch_off(agent: User) -> Callable[[], bool]:
        return lambda: services.set_sms_opt_out(
            actor=agent, ticket_id=ticket.pk, caller_id=ticket.caller_id, opt_out=True
        )

    # When both switch it off at the same moment
    results = run_at_once(*(switch_off(agent) for agent in agents))

    # Then one of them changed it, the other found it done, and one change is recorded
    assert sorted(results) == [False, True]
    assert SmsPreferenceChange.objects.count() == 1
    assert Caller.objects.get(pk=ticket.caller_id).sms_opt_out
