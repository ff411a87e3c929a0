"""Writes of the monthly-topic register (每月一题): adopt and edit a topic, its reform measures and
progress updates, relink its tickets in SQL, and create proactive tickets (未诉先办) for its places.

City admins adopt and edit topics and add measures; the staff of the lead unit and the co-units
post progress (a city admin may too). Whoever may not act on a topic gets "not found".
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.errors import DomainError, ErrorCode
from hotline.models import Category, Community, Unit, UnitKind, User
from hotline.months import add_months
from hotline.permissions import require
from hotline.roles import PROACTIVE_ROLES, TOPIC_ADMIN_ROLES, holds
from hotline.uploads import check_upload
from intake import services as intake_services
from intake.models import Ticket
from topics import rules, selectors
from topics.models import (
    STATUS_MOVES,
    LinkVia,
    Topic,
    TopicAttachment,
    TopicMeasure,
    TopicProgress,
    TopicSource,
    TopicStatus,
    TopicTicket,
    split_keywords,
)

# Kinds of unit a topic's places may be: the places tickets are located in.
PLACE_KINDS = frozenset({UnitKind.DISTRICT, UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE})
# The months tracked before the topic's month by default: its "before" volume.
DEFAULT_MONTHS_BEFORE = 6
# Proactive tickets created from a topic at once: one per place, at most this many places.
MAX_PROACTIVE_PLACES = 50


def _invalid(fields: dict[str, list[str]]) -> DomainError:
    return DomainError(ErrorCode.INVALID, _("The input is not valid."), status=400, fields=fields)


@dataclass
class TopicInput:
    """What a city admin enters to adopt or edit a topic."""

    title: str
    problem: str
    lead_unit: Unit
    month: date
    categories: Sequence[Category] = ()
    keywords: str = ""
    places: Sequence[Unit] = ()
    communities: Sequence[Community] = ()
    co_units: Sequence[Unit] = ()
    tracked_from: date | None = None
    source: str = TopicSource.MANUAL


def _checked(data: TopicInput) -> TopicInput:
    errors: dict[str, list[str]] = {}
    data.title = data.title.strip()
    data.problem = data.problem.strip()
    if not data.title:
        errors["title"] = [_("Give the topic a title.")]
    if not data.problem:
        errors["problem"] = [_("Describe the problem.")]
    data.keywords = "\n".join(split_keywords(data.keywords))
    if not data.categories and not data.keywords:
        errors["categories"] = [_("Choose at least one category or give at least one keyword.")]
    if any(unit.kind not in PLACE_KINDS for unit in data.places):
        errors["places"] = [_("Places are districts, streets/townships or functional zones.")]
    if data.lead_unit in data.co_units:
        errors["co_units"] = [_("The lead unit is not also a co-unit.")]
    data.month = data.month.replace(day=1)
    tracked_from = (data.tracked_from or add_months(data.month, -DEFAULT_MONTHS_BEFORE)).replace(day=1)
    if tracked_from > data.month:
        errors["tracked_from"] = [_("Track the tickets from the topic's month or earlier.")]
    data.tracked_from = tracked_from
    if data.source not in TopicSource.values:
        data.source = TopicSource.MANUAL
    if errors:
        raise _invalid(errors)
    return data


def _save_rule(topic: Topic, data: TopicInput) -> None:
    topic.categories.set(data.categories)
    topic.places.set(data.places)
    topic.communities.set(data.communities)
    topic.co_units.set(data.co_units)


def adopt_topic(*, actor: User, data: TopicInput) -> Topic:
    """A city admin adopts a topic (from a candidate line or a hot spot, or by hand); its tickets
    are linked by its rule at once."""
    require(holds(user=actor, roles=TOPIC_ADMIN_ROLES))
    data = _checked(data)
    assert data.tracked_from is not None
    with transaction.atomic():
        topic = Topic.objects.create(
            title=data.title,
            problem=data.problem,
            keywords=data.keywords,
            lead_unit=data.lead_unit,
            month=data.month,
            tracked_from=data.tracked_from,
            source=data.source,
            adopted_by=actor,
        )
        _save_rule(topic, data)
        relink_topic(topic_id=topic.pk)
    return topic


def update_topic(*, actor: User, topic_id: int, data: TopicInput) -> Topic:
    """A city admin edits a topic; its tickets are relinked by the edited rule at once."""
    require(holds(user=actor, roles=TOPIC_ADMIN_ROLES))
    data = _checked(data)
    with transaction.atomic():
        topic = Topic.objects.select_for_update().filter(pk=topic_id).first()
        require(topic is not None)
        assert topic is not None
        assert data.tracked_from is not None
        topic.title, topic.problem, topic.keywords = data.title, data.problem, data.keywords
        topic.lead_unit, topic.month, topic.tracked_from = data.lead_unit, data.month, data.tracked_from
        topic.save()
        _save_rule(topic, data)
        relink_topic(topic_id=topic.pk)
    return topic


def change_status(*, actor: User, topic_id: int, status: str) -> Topic:
    """adopted → in progress → resolved or continuing (a city admin decides)."""
    require(holds(user=actor, roles=TOPIC_ADMIN_ROLES))
    with transaction.atomic():
        topic = Topic.objects.select_for_update().filter(pk=topic_id).first()
        require(topic is not None)
        assert topic is not None
        if status not in STATUS_MOVES.get(TopicStatus(topic.status), frozenset()):
            raise DomainError(
                ErrorCode.TOPIC_STATUS,
                _("A topic that is “%(from)s” cannot become “%(to)s”.")
                % {
                    "from": TopicStatus(topic.status).label,
                    "to": TopicStatus(status).label if status in TopicStatus.values else status,
                },
            )
        topic.status = status
        topic.save(update_fields=["status", "updated_at"])
    return topic


def add_measure(*, actor: User, topic_id: int, text: str, owner: Unit, due_date: date) -> TopicMeasure:
    """A reform measure with its owner unit and due date (a city admin adds them)."""
    require(holds(user=actor, roles=TOPIC_ADMIN_ROLES))
    require(Topic.objects.filter(pk=topic_id).exists())
    text = text.strip()
    if not text:
        raise _invalid({"text": [_("Describe the measure.")]})
    return TopicMeasure.objects.create(topic_id=topic_id, text=text[:500], owner=owner, due_date=due_date)


def post_progress(
    *,
    actor: User,
    topic_id: int,
    text: str,
    measure_id: int | None = None,
    measure_done: bool = False,
    files: Sequence[UploadedFile] = (),
) -> TopicProgress:
    """A progress update by the lead unit, a co-unit or a city admin, with optional photos and
    documents; it may report one of the measures done. The first update moves an adopted topic
    to "in progress"."""
    topic = Topic.objects.filter(pk=topic_id).first()
    require(topic is not None and selectors.can_post_progress(user=actor, topic=topic))
    assert topic is not None
    errors: dict[str, list[str]] = {}
    text = text.strip()
    if not text:
        errors["text"] = [_("Describe the progress.")]
    measure = None
    if measure_id is not None:
        measure = TopicMeasure.objects.filter(pk=measure_id, topic_id=topic_id).first()
        if measure is None:
            errors["measure"] = [_("Choose a measure of this topic.")]
    if measure_done and measure_id is None:
        errors["measure"] = [_("Choose the measure that is completed.")]
    checked = []
    for upload in files:
        try:
            checked.append(
                (upload, *check_upload(upload, field_name="files", max_bytes=settings.HOTLINE_ATTACHMENT_MAX_BYTES))
            )
        except DomainError as error:
            for name, texts in error.fields.items():
                errors.setdefault(name, []).extend(texts)
    if errors:
        raise _invalid(errors)
    with transaction.atomic():
        progress = TopicProgress.objects.create(
            topic=topic,
            measure=measure,
            measure_done=measure_done,
            unit=selectors.posting_unit(user=actor, topic=topic),
            author=actor,
            text=text,
        )
        for upload, name, content_type in checked:
            attachment = TopicAttachment(progress=progress, name=name, size=upload.size or 0, content_type=content_type)
            attachment.file.save(name, upload, save=False)
            attachment.save()
        if measure_done and measure is not None:
            TopicMeasure.objects.filter(pk=measure.pk, done_at__isnull=True).update(done_at=timezone.now())
        Topic.objects.filter(pk=topic_id, status=TopicStatus.ADOPTED).update(
            status=TopicStatus.IN_PROGRESS, updated_at=timezone.now()
        )
    return progress


# --- Linking tickets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Relinked:
    added: int
    removed: int


def relink_topic(*, topic_id: int) -> Relinked:
    """Recompute the topic's rule-matched tickets in SQL: one DELETE of the links the rule no longer
    matches and one INSERT … SELECT of the tickets it matches and are not linked yet. Idempotent,
    and serialized per topic (the topic row is locked). Proactive tickets created from the topic
    keep their links."""
    with transaction.atomic():
        topic = Topic.objects.select_for_update().filter(pk=topic_id).first()
        if topic is None:
            return Relinked(0, 0)
        rule = rules.rule_of(topic)
        matching = rules.matching_tickets(rule).values("pk")
        removed, _by_model = (
            TopicTicket.objects.filter(topic_id=topic_id, via=LinkVia.RULE).exclude(ticket_id__in=matching).delete()
        )
        now = timezone.now()
        new = (
            rules.matching_tickets(rule).exclude(topic_links__topic_id=topic_id).order_by().values_list("pk", flat=True)
        )
        select_sql, params = new.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TopicTicket._meta.db_table} (topic_id, ticket_id, via, linked_at) "
                f"SELECT %s, matched.id, %s, %s FROM {Ticket._meta.db_table} AS matched "
                f"WHERE matched.id IN ({select_sql}) "
                "ON CONFLICT (topic_id, ticket_id) DO NOTHING",
                [topic_id, LinkVia.RULE.value, now, *params],
            )
            added = max(cursor.rowcount, 0)
        Topic.objects.filter(pk=topic_id).update(linked_at=now)
    return Relinked(added=added, removed=removed)


def relink_topics() -> int:
    """Every topic relinked, one transaction each (the nightly beat): tickets received or
    re-categorised since the last run join their topics. The number of topics."""
    ids = list(Topic.objects.order_by("pk").values_list("pk", flat=True))
    for topic_id in ids:
        relink_topic(topic_id=topic_id)
    return len(ids)


# --- Proactive work orders from a topic (未诉先办) -------------------------------------------------


def _place_names(topic: Topic) -> list[str]:
    """The topic's places as the gazetteer reads them: "东城区东华门街道", "东城区"; a community
    with its street and district."""
    names = []
    for unit in topic.places.select_related("parent").order_by("kind", "code", "name"):
        if unit.kind == UnitKind.DISTRICT:
            names.append(unit.name)
        else:
            names.append(f"{unit.parent.name if unit.parent else ''}{unit.name}")
    for community in topic.communities.select_related("street__parent").order_by("code"):
        street = community.street
        names.append(f"{street.parent.name if street.parent else ''}{street.name}{community.name}")
    return names


def create_proactive_tickets(*, actor: User, topic_id: int, category: Category, note: str) -> list[Ticket]:
    """One proactive ticket (未诉先办) per place of the topic, queued for dispatch and linked to the
    topic (as proactive, outside its volume). All or nothing."""
    require(holds(user=actor, roles=PROACTIVE_ROLES))
    topic = selectors.topic_for(user=actor, topic_id=topic_id)
    names = _place_names(topic)
    if not names:
        raise _invalid({"places": [_("The topic names no place: add its districts or streets first.")]})
    if len(names) > MAX_PROACTIVE_PLACES:
        raise _invalid(
            {"places": [_("At most %(count)s places at once.") % {"count": MAX_PROACTIVE_PLACES}]},
        )
    if category.level != 3 or not category.is_active:
        raise _invalid({"category": [_("Choose an active third-level category.")]})
    origin = {"proactive": "topic", "topic": topic.pk}
    with transaction.atomic():
        tickets = [
            intake_services.create_proactive_ticket(
                actor=actor,
                point=intake_services.RiskPoint(place=name, category=category, note=note),
                origin=origin,
            )
            for name in names
        ]
        TopicTicket.objects.bulk_create(
            [TopicTicket(topic=topic, ticket=ticket, via=LinkVia.PROACTIVE) for ticket in tickets],
            ignore_conflicts=True,
        )
    return tickets
