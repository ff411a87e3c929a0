"""Callers, tickets and knowledge articles.

Sequences use a ticket-number day and a phone prefix that no test writes out, so a generated
row never meets one a test names (numbers and phones are unique).
"""

import factory
from django.utils import timezone

from hotline.models import DeadlineTier
from intake.lifecycle import CLOSED_STATES, Status
from intake.models import Caller, Channel, Kind, KnowledgeArticle, Ticket
from tests.factories.hotline import CategoryFactory, StreetFactory


class CallerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Caller
        django_get_or_create = ["phone"]

    phone = factory.Sequence(lambda n: f"150{n:08d}")
    name = factory.Faker("name", locale="zh_CN")


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket placed directly in `status` (received by default): tests of what happens from there.

    `filled_in=True`: as the agent desk passes a ticket on (what the dispatch tests start from):
    awaiting dispatch, located in a street (a new one unless given) and its district, with a
    title and a plain description.
    """

    class Meta:
        model = Ticket

    class Params:
        filled_in = factory.Trait(
            status=Status.AWAITING_DISPATCH,
            street=factory.SubFactory(StreetFactory),
            district=factory.LazyAttribute(lambda o: o.street.parent if o.street else None),
            title=factory.Sequence(lambda n: f"小区噪音扰民{n}"),
            description="小区旁工地夜间施工，噪音扰民。",
        )

    number = factory.Sequence(lambda n: f"20250101{n:06d}")
    channel = Channel.PHONE
    kind = Kind.COMPLAINT
    category = factory.SubFactory(CategoryFactory)
    caller = factory.SubFactory(CallerFactory)
    description = factory.Faker("paragraph", locale="zh_CN")
    deadline_tier = DeadlineTier.GENERAL
    status = Status.RECEIVED
    closed_at = factory.LazyAttribute(lambda o: timezone.now() if o.status in CLOSED_STATES else None)
    parent = factory.LazyAttribute(
        lambda o: TicketFactory(status=Status.AWAITING_DISPATCH) if o.status == Status.MERGED else None
    )


class KnowledgeArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KnowledgeArticle

    title = factory.Sequence(lambda n: f"供暖问题解答{n}")
    body = "供暖期为每年11月15日至次年3月15日，室温不低于18℃。"
