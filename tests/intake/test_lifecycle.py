"""The transition table, exhaustively: every allowed move works, every other one is refused."""

import pytest
from django.db import DatabaseError, transaction

from hotline.errors import DomainError
from intake import services
from intake.lifecycle import TRANSITIONS, Action, Status, allowed_actions, target_of
from intake.models import Ticket, TicketEvent
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

ALLOWED = [(action, source) for action, rule in TRANSITIONS.items() for source in sorted(rule.sources)]
FORBIDDEN = [
    (action, source) for action, rule in TRANSITIONS.items() for source in Status if source not in rule.sources
]


def _changes_for(action: Action) -> dict:
    """Field changes some moves need to satisfy the database constraints."""
    if action == Action.MERGE:
        return {"parent": TicketFactory(status=Status.AWAITING_DISPATCH)}
    if action == Action.ANSWER_DIRECTLY:
        return {"answer": "已解答"}
    return {}


@pytest.mark.parametrize(("action", "source"), ALLOWED)
def test_every_allowed_transition_moves_and_writes_one_event(action, source, admin_user):
    # Given a ticket in the source state
    ticket = TicketFactory(status=source)
    events_before = TicketEvent.objects.count()
    # When the action is applied
    moved, event = services.transition(
        ticket_id=ticket.pk, action=action, actor=admin_user, changes=_changes_for(action)
    )
    # Then it is in the target state, with exactly one event recording the move
    expected = target_of(action, source)
    assert Ticket.objects.get(pk=ticket.pk).status == expected
    assert TicketEvent.objects.count() == events_before + 1
    assert (event.action, event.from_status, event.to_status, event.actor) == (action, source, expected, admin_user)
    assert (moved.closed_at is not None) == (expected in (Status.CLOSED, Status.MERGED))


@pytest.mark.parametrize(("action", "source"), FORBIDDEN)
def test_every_other_pair_is_refused_and_changes_nothing(action, source, admin_user):
    ticket = TicketFactory(status=source)
    before = Ticket.objects.filter(pk=ticket.pk).values().get()
    with pytest.raises(DomainError) as error:
        services.transition(ticket_id=ticket.pk, action=action, actor=admin_user)
    assert error.value.code == "invalid_transition"
    assert error.value.status == 409
    assert Ticket.objects.filter(pk=ticket.pk).values().get() == before
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_the_table_covers_every_action_but_creation():
    assert set(TRANSITIONS) == set(Action) - {Action.CREATE}


def test_closed_and_merged_tickets_accept_no_state_change():
    for action in allowed_actions(Status.CLOSED):
        assert TRANSITIONS[action].target is None, action
    assert allowed_actions(Status.MERGED) == []


def test_a_failed_check_rolls_back_the_whole_move(admin_user):
    ticket = TicketFactory(status=Status.AWAITING_DISPATCH)

    def refuse(_ticket: Ticket) -> None:
        raise DomainError("invalid_state", "no")

    with pytest.raises(DomainError):
        services.transition(ticket_id=ticket.pk, action=Action.DISPATCH, actor=admin_user, check=refuse)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.AWAITING_DISPATCH
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_the_event_log_is_append_only(admin_user):
    ticket = TicketFactory(status=Status.RECEIVED)
    _ticket, event = services.transition(ticket_id=ticket.pk, action=Action.QUEUE_FOR_DISPATCH, actor=admin_user)
    with pytest.raises(DatabaseError), transaction.atomic():
        TicketEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        TicketEvent.objects.filter(pk=event.pk).delete()
    assert TicketEvent.objects.get(pk=event.pk).note == ""


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["status", "closed_at"])
def test_changes_cannot_write_what_the_table_decides(field, admin_user):
    # Given a ticket awaiting dispatch
    ticket = TicketFactory(status=Status.AWAITING_DISPATCH)
    # When a transition is asked to write its status or closing time through `changes`
    with pytest.raises(ValueError, match="may not set status or closed_at"):
        services.transition(
            ticket_id=ticket.pk, action=Action.DISPATCH, actor=admin_user, changes={field: Status.CLOSED}
        )
    # Then nothing moved and no event was written
    ticket.refresh_from_db()
    assert ticket.status == Status.AWAITING_DISPATCH
    assert not TicketEvent.objects.filter(ticket=ticket).exists()
