"""Smart dispatch's acceptance rate: each ticket records where its category stood among the
model's suggestions, ranked in a worker by a beat task every 30 s, never twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hotline.models import Category
from intake import services
from intake.classifier import suggestions
from intake.classifier.training import train_from_tickets
from intake.models import Channel, Kind, Ticket
from intake.services import NewTicket, Outcome
from intake.tasks import rank_recent_suggestions
from tests.conftest import wait_until


@pytest.fixture
def model(beijing):
    suggestions.forget_loaded_model()
    yield train_from_tickets()
    suggestions.forget_loaded_model()


def take_in(category: str, text: str) -> Ticket:
    return services.submit_intake(
        data=NewTicket(
            channel=Channel.PHONE, kind=Kind.COMPLAINT, category=Category.objects.get(name=category), description=text
        ),
        actor=None,
        outcome=Outcome.DISPATCH,
    ).ticket


@pytest.mark.django_db
def test_the_rank_is_the_categorys_place_among_the_suggestions_and_is_recorded_once(model):
    # Given two tickets about a street light: one recorded as such, one under an unrelated category
    taken = take_in("路灯不亮", "小区门口的路灯不亮了，晚上很黑")
    other = take_in("公积金提取", "小区门口的路灯不亮了，晚上很黑")
    # When they are ranked
    assert services.record_suggestion_ranks(ticket_ids=[taken.pk, other.pk]) == 2
    taken.refresh_from_db()
    other.refresh_from_db()
    # Then the first suggestion was taken for one and none of the five for the other, by this model
    assert (taken.suggestion_rank, taken.suggestion_model_version) == (1, model.version)
    assert (other.suggestion_rank, other.suggestion_model_version) == (0, model.version)
    # And ranking again changes nothing
    assert services.record_suggestion_ranks(ticket_ids=[taken.pk, other.pk]) == 0


@pytest.mark.django_db
def test_without_a_model_nothing_is_ranked(beijing):
    suggestions.forget_loaded_model()
    ticket = take_in("路灯不亮", "路灯不亮")
    assert services.record_suggestion_ranks(ticket_ids=[ticket.pk]) == 0
    ticket.refresh_from_db()
    assert ticket.suggestion_rank is None


@pytest.mark.django_db
def test_the_sweep_catches_up_tickets_taken_in_since_the_model(model):
    # Given a ticket from before the model and one after it, neither ranked (their tasks were lost)
    before = take_in("路灯不亮", "路灯不亮")
    Ticket.objects.filter(pk=before.pk).update(created_at=model.trained_at - timedelta(minutes=1))
    after = take_in("路灯不亮", "路灯不亮")
    # When the sweep runs
    assert services.rank_recent_suggestions(now=timezone.now()) == 1
    # Then only the later one is ranked: the earlier one was taken in while no model was active
    assert Ticket.objects.get(pk=after.pk).suggestion_rank == 1
    assert Ticket.objects.get(pk=before.pk).suggestion_rank is None


@pytest.mark.slow
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_ranks_the_tickets_taken_in_since_its_last_run(model, celery_worker):
    # Given a ticket taken in: the request itself ranks nothing
    ticket = take_in("路灯不亮", "小区门口的路灯不亮了")
    assert Ticket.objects.get(pk=ticket.pk).suggestion_rank is None
    # When beat's task runs on a real worker on the Redis broker, then it ranks the ticket
    rank_recent_suggestions.delay()
    wait_until(lambda: Ticket.objects.get(pk=ticket.pk).suggestion_rank == 1, timeout=60)
