"""Assignments and what units add to them, and dispatch rules."""

import itertools

import factory
from django.utils import timezone

from dispatch.models import Assignment, AssignmentRole, Attachment, ProgressNote, RoutingRule
from hotline.models import DeadlineTier, Unit, UnitKind
from intake.lifecycle import Status
from intake.models import Channel, Kind, Ticket
from tests.factories.hotline import CategoryFactory, StreetFactory, UserFactory
from tests.factories.intake import TicketFactory


class AssignmentFactory(factory.django.DjangoModelFactory):
    """A live lead assignment awaiting sign, with the deadlines the services would set."""

    class Meta:
        model = Assignment

    ticket = factory.SubFactory(TicketFactory, filled_in=True, status=Status.DISPATCHED)
    unit = factory.SubFactory(StreetFactory)
    role = AssignmentRole.LEAD
    dispatched_at = factory.LazyFunction(timezone.now)
    sign_due_at = factory.LazyAttribute(lambda o: o.dispatched_at + timezone.timedelta(hours=1))
    due_at = factory.LazyAttribute(lambda o: o.dispatched_at + timezone.timedelta(days=7))


class ProgressNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressNote

    assignment = factory.SubFactory(AssignmentFactory)
    author = factory.SubFactory(UserFactory)
    text = "已到现场查看。"


class AttachmentFactory(factory.django.DjangoModelFactory):
    """A stored photo (in MEDIA_ROOT: point it at a temporary folder)."""

    class Meta:
        model = Attachment

    note = factory.SubFactory(ProgressNoteFactory)
    file = factory.django.FileField(filename="现场.png", data=b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    name = "现场.png"
    size = 24
    content_type = "image/png"


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingRule

    category = factory.SubFactory(CategoryFactory)
    unit = factory.SubFactory(StreetFactory)
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - timezone.timedelta(days=30))


_bulk_numbers = itertools.count(1)


def assign_many(unit: Unit, count: int) -> list[Assignment]:
    """`count` tickets awaiting the unit's signature, bulk-created (for query-count tests)."""
    category = CategoryFactory()
    street = unit if unit.kind == UnitKind.STREET else None
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                number=f"2025{next(_bulk_numbers):012d}",
                channel=Channel.PHONE,
                kind=Kind.COMPLAINT,
                category=category,
                street=street,
                district=street.parent if street else None,
                title=f"批量工单{index}",
                description="批量生成的测试工单。",
                deadline_tier=DeadlineTier.GENERAL,
                status=Status.DISPATCHED,
            )
            for index in range(count)
        ]
    )
    return Assignment.objects.bulk_create(
        [
            Assignment(
                ticket=ticket,
                unit=unit,
                role=AssignmentRole.LEAD,
                dispatched_at=now,
                sign_due_at=now + timezone.timedelta(hours=1),
                due_at=now + timezone.timedelta(days=7, minutes=index),
            )
            for index, ticket in enumerate(tickets)
        ]
    )
