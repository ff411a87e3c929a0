"""Which product events are announced, as what, written with the event (the outbox)."""

from datetime import date

import pytest
from django.db import transaction

from dispatch import services as dispatch_services
from evaluation.models import EvaluationScheme
from hotline.models import Role, UnitKind
from intake import services as intake_services
from intake.lifecycle import Action, Status
from tests.evaluation.conftest import month_of_work, scheme_presets  # noqa: F401 (fixture)
from tests.factories import StreetFactory, TicketFactory, UnitFactory, allow_small_samples, published
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db


def types() -> list[str]:
    return list(Delivery.objects.order_by("pk").values_list("event_type", flat=True))


def test_a_tickets_way_through_the_units_is_announced_step_by_step(subscribe, make_user):
    # Given a subscription to every event type
    subscribe()
    street = StreetFactory()
    dispatcher = make_user(Role.DISPATCHER, UnitFactory(kind=UnitKind.HOTLINE_CENTER))
    officer = make_user(Role.UNIT_OFFICER, street)
    ticket = TicketFactory(filled_in=True, street=street)
    # When the ticket is dispatched, signed and replied to
    lead = dispatch_services.dispatch_ticket(ticket_id=ticket.pk, lead_unit_id=street.pk, actor=dispatcher)
    dispatch_services.sign(assignment_id=lead.pk, actor=officer)
    dispatch_services.reply(assignment_id=lead.pk, actor=officer, text="已处理。", outcome="resolved")
    # Then each step has its delivery, with the lead unit named from the dispatch on
    assert types() == ["ticket.dispatched", "ticket.signed", "ticket.replied"]
    for delivery in Delivery.objects.all():
        assert delivery.payload["ticket"]["lead_unit"] == {"id": street.pk, "name": street.name}
    assert Delivery.objects.last().payload["ticket"]["status"] == Status.AWAITING_CALLBACK


def test_a_rolled_back_event_leaves_no_delivery(subscribe):
    subscribe()
    ticket = TicketFactory(filled_in=True)

    def dispatch_then_fail() -> None:
        with transaction.atomic():
            intake_services.transition(ticket_id=ticket.pk, action=Action.DISPATCH, actor=None)
            raise RuntimeError("the caller's transaction fails after the event")

    with pytest.raises(RuntimeError):
        dispatch_then_fail()
    assert not Delivery.objects.exists()


def test_the_overdue_sweeps_marks_are_announced(subscribe):
    subscribe(event_types=["ticket.overdue"])
    ticket = TicketFactory(status=Status.IN_PROGRESS)
    with transaction.atomic():
        intake_services.record_overlay_events(
            action=Action.MARK_OVERDUE,
            entries=[intake_services.OverlayEntry(ticket_id=ticket.pk, unit_id=None, payload={"assignment": 1})],
        )
    assert types() == ["ticket.overdue"]
    assert Delivery.objects.get().ticket_id == ticket.pk


def test_a_published_ranking_is_announced(subscribe, scheme_presets):  # noqa: F811 (fixture)
    # Given a subscription to rankings only, filtered by a street (ticket filters do not apply to rankings)
    street = StreetFactory()
    subscribe(event_types=["ranking.published"], units=[street.pk])
    EvaluationScheme.objects.update(minimum_responses=1, minimum_callbacks=1)
    allow_small_samples()
    month_of_work(street=street, in_time=2, late=0, satisfied=2, unsatisfied=0)
    # When October's street ranking is published
    ranking = published(month=date(2026, 10, 1), unit_kind="street")
    # Then it is announced
    delivery = Delivery.objects.get()
    assert delivery.event_type == "ranking.published"
    assert delivery.ticket_id is None
    assert delivery.payload["ranking"] == {
        "id": ranking.pk,
        "month": "2026-10",
        "unit_kind": "street",
        "version": ranking.version,
        "published_at": ranking.published_at.isoformat(),
    }
