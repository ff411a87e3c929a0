from datetime import datetime, timedelta

import factory
from django.utils import timezone

from dispatch.models import Assignment, AssignmentRole, AssignmentStatus
from evaluation.models import Callback, CallbackStatus, Resolution, Satisfaction
from intake.lifecycle import Status
from tests.intake.factories import TicketFactory

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
