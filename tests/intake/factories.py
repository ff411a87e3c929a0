import factory
from django.utils import timezone

from hotline.models import DeadlineTier
from intake.lifecycle import CLOSED_STATES, Status
from intake.models import Caller, Channel, Kind, KnowledgeArticle, Ticket
from tests.factories import CategoryFactory


class CallerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Caller
        django_get_or_create = ["phone"]

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    name = factory.Faker("name", locale="zh_CN")


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket placed directly in `status` (tests of what happens from there)."""

    class Meta:
        model = Ticket

    number = factory.Sequence(lambda n: f"20260101{n:06d}")
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
