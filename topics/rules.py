"""Which tickets belong to a topic, as one SQL condition on the ticket table.

A ticket belongs when it is a citizen's request (not proactive work) received since the topic is
tracked, of one of its categories (or a category below one) or naming one of its keywords in its
summary or description, and, when the topic names places, located in one of them (its district,
street or community). The condition is built from the topic's rule (a handful of ids and words),
never from its tickets: PostgreSQL evaluates it over the ticket table.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from intake.models import Channel, Ticket
from topics.models import Topic


@dataclass(frozen=True)
class Rule:
    category_ids: frozenset[int]
    keywords: tuple[str, ...]
    place_ids: frozenset[int]  # districts, streets and functional zones
    community_codes: frozenset[str]
    tracked_from: date

    @property
    def is_empty(self) -> bool:
        """A rule with neither a category nor a keyword matches nothing (never the whole city)."""
        return not self.category_ids and not self.keywords


def rule_of(topic: Topic) -> Rule:
    """The topic's rule: three small queries over its own rows."""
    return Rule(
        category_ids=frozenset(topic.categories.values_list("pk", flat=True)),
        keywords=tuple(topic.keyword_list),
        place_ids=frozenset(topic.places.values_list("pk", flat=True)),
        community_codes=frozenset(topic.communities.values_list("code", flat=True)),
        tracked_from=topic.tracked_from,
    )


def start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.get_default_timezone())


def condition(rule: Rule) -> Q:
    """The rule as a condition on Ticket rows."""
    if rule.is_empty:
        return Q(pk__in=[])
    subject = Q()
    if rule.category_ids:
        ids = sorted(rule.category_ids)
        subject |= Q(category_id__in=ids) | Q(category__parent_id__in=ids) | Q(category__parent__parent_id__in=ids)
    for word in rule.keywords:
        subject |= Q(title__icontains=word) | Q(description__icontains=word)
    where = Q()
    if rule.place_ids or rule.community_codes:
        ids = sorted(rule.place_ids)
        where = Q(district_id__in=ids) | Q(street_id__in=ids) | Q(community_id__in=sorted(rule.community_codes))
    return subject & where & ~Q(channel=Channel.PROACTIVE) & Q(created_at__gte=start_of(rule.tracked_from))


def matching_tickets(rule: Rule) -> QuerySet[Ticket]:
    return Ticket.objects.filter(condition(rule))
