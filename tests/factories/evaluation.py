"""Assignments, callbacks and rankings as the evaluation tests need them, and their dates."""

from datetime import date, datetime, timedelta

import factory
from django.utils import timezone

from dispatch.models import Assignment, AssignmentRole, AssignmentStatus
from evaluation import rankings as ranking_services
from evaluation.models import Callback, CallbackStatus, EvaluationScheme, MonthlyRanking, Resolution, Satisfaction
from intake.lifecycle import Status
from tests.factories.intake import TicketFactory

TZ = timezone.get_default_timezone()


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=TZ)


class LeadAssignmentFactory(factory.django.DjangoModelFactory):
    """A lead assignment signed at `signed_at` (None: still awaiting sign)."""

    class Meta:
        model = Assignment

    ticket = factory.SubFactory(TicketFactory, status=Status.IN_PROGRESS)
    role = AssignmentRole.LEAD
    dispatched_at = factory.LazyFunction(lambda: at(2026, 10, 5))
    sign_due_at = factory.LazyAttribute(lambda o: o.dispatched_at + timedelta(hours=1))
    signed_at = factory.LazyAttribute(lambda o: o.dispatched_at + timedelta(minutes=20))
    first_contact_due_at = factory.LazyAttribute(lambda o: o.signed_at and o.signed_at + timedelta(hours=2))
    first_contacted_at = factory.LazyAttribute(lambda o: o.signed_at and o.signed_at + timedelta(hours=1))
    due_at = factory.LazyAttribute(lambda o: o.dispatched_at + timedelta(days=7))
    status = factory.LazyAttribute(lambda o: AssignmentStatus.SIGNED if o.signed_at else AssignmentStatus.DISPATCHED)


class CallbackFactory(factory.django.DjangoModelFactory):
    """A completed, reached, primary callback."""

    class Meta:
        model = Callback

    ticket = factory.SubFactory(TicketFactory, status=Status.CLOSED)
    caller = factory.LazyAttribute(lambda o: o.ticket.caller)
    due_at = factory.LazyFunction(lambda: at(2026, 10, 12))
    status = CallbackStatus.DONE
    resolution = Resolution.RESOLVED
    satisfaction = Satisfaction.SATISFIED
    completed_at = factory.LazyFunction(lambda: at(2026, 10, 11))
    attempts = 1


def published(*, month: date, unit_kind: str, reason: str = "") -> MonthlyRanking:
    """A month's ranking of one kind, computed and published (what units see)."""
    draft = ranking_services.compute_month(month=month, unit_kind=unit_kind, reason=reason)
    return ranking_services.publish_ranking(ranking_id=draft.pk, actor=None)


def allow_small_samples() -> None:
    """Rank units of any sample size (the tests' months are a handful of tickets)."""
    EvaluationScheme.objects.update(minimum_responses=1, minimum_callbacks=1)
