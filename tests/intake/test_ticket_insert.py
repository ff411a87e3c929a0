"""The intake's write: on PostgreSQL one statement, holding to the rows the ORM writes."""

from decimal import Decimal

import pytest
from django.db import DataError, connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hotline.models import Community
from intake.lifecycle import Action, Status
from intake.models import Caller, Channel, Kind, Ticket, TicketEvent
from intake.ticket_insert import CallerInput, insert_in_one_statement, insert_through_orm
from tests.factories import CategoryFactory, StreetFactory, UserFactory

pytestmark = pytest.mark.django_db

WRITERS = {"one statement": insert_in_one_statement, "orm": insert_through_orm}
# What differs between any two writes of the same ticket.
OWN = {"id", "number", "caller", "created_at", "updated_at"}


def unsaved(**fields) -> tuple[Ticket, list[TicketEvent]]:
    street = fields.pop("street")
    actor = fields.pop("actor")
    ticket = Ticket(
        channel=Channel.PHONE,
        kind=Kind.COMPLAINT,
        category=fields.pop("category"),
        district=street.parent,
        street=street,
        title="楼道灯坏了",
        description="小区楼道灯坏了一个多月，晚上出行不便。",
        deadline_tier="d7",
        status=Status.AWAITING_DISPATCH,
        created_by=actor,
        **fields,
    )
    events = [
        TicketEvent(ticket=ticket, action=Action.CREATE, to_status=Status.RECEIVED, actor=actor, payload={"a": [1]}),
        TicketEvent(
            ticket=ticket,
            action=Action.QUEUE_FOR_DISPATCH,
            from_status=Status.RECEIVED,
            to_status=Status.AWAITING_DISPATCH,
            actor=actor,
            note="转派",
        ),
    ]
    return ticket, events


def stored(ticket: Ticket) -> tuple[dict, list[dict]]:
    row = model_to_dict(Ticket.objects.get(pk=ticket.pk))
    events = [
        {key: value for key, value in model_to_dict(event).items() if key not in {"id", "ticket", "created_at"}}
        for event in TicketEvent.objects.filter(ticket=ticket).order_by("pk")
    ]
    return {key: value for key, value in row.items() if key not in OWN}, events


def test_one_statement_writes_the_rows_the_orm_writes():
    # Given the same ticket, with coordinates, a community, a caller and two events, twice
    street = StreetFactory()
    category = CategoryFactory()
    actor = UserFactory()
    community = Community.objects.create(code="110101001001", name="多福巷社区居委会", street=street)
    fields = {
        "street": street,
        "category": category,
        "actor": actor,
        "latitude": Decimal("39.904200"),
        "longitude": Decimal("116.407400"),
        "community_id": community.code,
        "address": "东城区某小区3号楼",
        "confidential": True,
    }
    written = {}
    for name, writer in WRITERS.items():
        ticket, events = unsaved(**fields)

        # When each writer writes it
        writer(ticket=ticket, events=events, caller=CallerInput(phone="138 0013 8000", name="张三", sms_opt_out=True))
        written[name] = (ticket, events)

    # Then both stored the same ticket and events, and set the same on the objects
    (one, _), (orm, _) = written.values()
    assert stored(one) == stored(orm)
    # And each numbered its ticket with the day's next tracking number
    today = timezone.localdate().strftime("%Y%m%d")
    assert one.number.startswith(today)
    assert int(orm.number) == int(one.number) + 1
    assert [one.number, orm.number] == [Ticket.objects.get(pk=t.pk).number for t in (one, orm)]
    assert one.caller.pk == orm.caller.pk == Caller.objects.get(phone="13800138000").pk
    assert one.caller.name == "张三"
    assert (one.caller.sms_opt_out, orm.caller.sms_opt_out, Caller.objects.get().sms_opt_out) == (True, True, True)
    assert [event.action for event in TicketEvent.objects.filter(ticket=one).order_by("pk")] == [
        Action.CREATE,
        Action.QUEUE_FOR_DISPATCH,
    ]
    for ticket, events in written.values():
        assert ticket.pk is not None
        assert not ticket._state.adding
        assert [event.pk for event in events] == sorted(event.pk for event in events)
        assert all(event.ticket is ticket and not event._state.adding for event in events)


@pytest.mark.django_db(transaction=True)
def test_one_statement_is_prepared_once_per_connection_and_a_ticket_without_caller_has_none():
    # Given a connection that has not written a ticket yet, and tickets nobody's phone came with
    connection.close()
    street, category = StreetFactory(), CategoryFactory()
    first, first_events = unsaved(street=street, category=category, actor=None)
    second, second_events = unsaved(street=street, category=category, actor=None)

    # When two are written
    with CaptureQueriesContext(connection) as preparing:
        insert_in_one_statement(ticket=first, events=first_events, caller=None)
    with CaptureQueriesContext(connection) as prepared:
        insert_in_one_statement(ticket=second, events=second_events, caller=None)

    # Then the first prepared the statement and ran it, the second only ran it
    assert [query["sql"].split()[0] for query in preparing] == ["PREPARE", "EXECUTE"]
    assert [query["sql"].split()[0] for query in prepared] == ["EXECUTE"]
    for ticket in (first, second):
        assert Ticket.objects.get(pk=ticket.pk).caller_id is None
        assert TicketEvent.objects.filter(ticket=ticket).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again_and_a_rollback_keeps_the_statement():
    # Given the statement prepared inside a transaction that rolled back
    street, category = StreetFactory(), CategoryFactory()
    connection.close()

    def write_then_fail() -> None:
        with transaction.atomic():
            ticket, events = unsaved(street=street, category=category, actor=None)
            insert_in_one_statement(ticket=ticket, events=events, caller=None)
            raise RuntimeError("the caller's transaction fails")

    with pytest.raises(RuntimeError):
        write_then_fail()

    # When the same connection writes another ticket, and then a new connection does
    after_rollback, events = unsaved(street=street, category=category, actor=None)
    with CaptureQueriesContext(connection) as same_connection:
        insert_in_one_statement(ticket=after_rollback, events=events, caller=None)
    connection.close()
    reconnected, events = unsaved(street=street, category=category, actor=None)
    insert_in_one_statement(ticket=reconnected, events=events, caller=None)

    # Then the rolled-back ticket is gone, the statement was not, and the new connection has its own
    assert [query["sql"].split()[0] for query in same_connection] == ["EXECUTE"]
    assert list(Ticket.objects.order_by("pk").values_list("pk", flat=True)) == [after_rollback.pk, reconnected.pk]


def test_a_repeat_callers_new_name_wins_and_an_empty_one_keeps_the_old():
    street, category = StreetFactory(), CategoryFactory()
    first, events = unsaved(street=street, category=category, actor=None)
    insert_in_one_statement(ticket=first, events=events, caller=CallerInput(phone="13800138000", name="张三"))

    second, events = unsaved(street=street, category=category, actor=None)
    insert_in_one_statement(ticket=second, events=events, caller=CallerInput(phone="13800138000"))

    assert second.caller.pk == first.caller.pk
    assert Caller.objects.get().name == "张三"


@pytest.mark.parametrize("writer", WRITERS.values(), ids=WRITERS.keys())
def test_a_callers_request_for_no_sms_is_kept_by_later_contacts_that_do_not_repeat_it(writer):
    # Given a caller who asked for no SMS on a first contact
    street, category = StreetFactory(), CategoryFactory()
    first, events = unsaved(street=street, category=category, actor=None)
    writer(ticket=first, events=events, caller=CallerInput(phone="13800138000", sms_opt_out=True))

    # When they call again and nobody ticks it this time
    second, events = unsaved(street=street, category=category, actor=None)
    writer(ticket=second, events=events, caller=CallerInput(phone="13800138000"))

    # Then they still get no SMS, and the caller on the new ticket says so
    assert second.caller.sms_opt_out
    assert Caller.objects.get().sms_opt_out


def test_a_value_too_long_for_its_column_is_refused_not_cut_and_nothing_is_written():
    # Given a title longer than its column (the serializers refuse it first; the database too)
    ticket, events = unsaved(street=StreetFactory(), category=CategoryFactory(), actor=None)
    ticket.title = "长" * 101

    # When it is written, then the database refuses it
    with pytest.raises(DataError), transaction.atomic():
        insert_in_one_statement(ticket=ticket, events=events, caller=CallerInput(phone="13800138001"))

    # And neither the ticket, its events nor its caller were written
    assert not Ticket.objects.exists()
    assert not Caller.objects.filter(phone="13800138001").exists()
