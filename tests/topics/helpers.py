"""A topic as the tests adopt it."""

from datetime import date

from django.utils import timezone

from hotline.models import Category, Unit, User
from hotline.months import add_months
from topics import services
from topics.models import Topic, TopicSource
from topics.services import TopicInput


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def adopt(
    actor: User,
    *,
    category: Category,
    places: list[Unit],
    lead_unit: Unit,
    co_units: tuple[Unit, ...] = (),
    title: str = "老旧小区供暖不热",
    months_before: int = 3,
) -> Topic:
    month = this_month()
    return services.adopt_topic(
        actor=actor,
        data=TopicInput(
            title=title,
            problem="老旧小区管网老化，冬季室温不达标，反复投诉。",
            lead_unit=lead_unit,
            co_units=list(co_units),
            month=month,
            tracked_from=add_months(month, -months_before),
            categories=[category],
            places=places,
            source=TopicSource.CANDIDATE,
        ),
    )
