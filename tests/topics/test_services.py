"""Adopting a monthly topic links its tickets by rule; the topic shows its volume before and after,
its rates and its measures' progress."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hotline.errors import DomainError
from hotline.months import add_months
from intake.models import Channel, Ticket
from tests.factories import CallbackFactory, CategoryFactory, LeadAssignmentFactory
from tests.topics.conftest import local
from topics import selectors, services
from topics.models import LinkVia, TopicMeasure, TopicProgress, TopicSource, TopicStatus, TopicTicket
from topics.services import TopicInput

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def linked(topic_id: int) -> set[int]:
    return set(TopicTicket.objects.filter(topic_id=topic_id, via=LinkVia.RULE).values_list("ticket_id", flat=True))


def adopt(actor, *, heating, place, lead_unit, co_units=(), keywords="", months_before=3, **extra):
    month = this_month()
    return services.adopt_topic(
        actor=actor,
        data=TopicInput(
            title="老旧小区供暖不热",
            problem="老旧小区管网老化，冬季室温不达标，反复投诉。",
            lead_unit=lead_unit,
            co_units=list(co_units),
            month=month,
            tracked_from=add_months(month, -months_before),
            categories=[heating],
            keywords=keywords,
            places=[place.district],
            source=TopicSource.CANDIDATE,
            **extra,
        ),
    )


def test_a_topic_adopted_from_a_candidate_links_its_tickets_by_rule(city_admin, place, heating, lead_unit, received):
    # Given tickets of the candidate's category (a leaf below it) in the district, one naming the
    # keyword in another category, and tickets the rule must leave out
    month = this_month()
    leaf = heating.children.get()
    in_street = received(add_months(month, -1), category=leaf, street=place.street)
    in_other_street = received(add_months(month, -2), category=leaf, street=place.other_street)
    by_keyword = received(
        add_months(month, -1),
        category=CategoryFactory(),
        street=place.street,
        description="家里暖气片不热，室温只有十四度。",
    )
    received(add_months(month, -1), category=leaf, street=StreetFactoryIn(place.other_district))  # another district
    received(add_months(month, -1), category=leaf, street=place.street, channel=Channel.PROACTIVE)  # not a citizen's
    received(add_months(month, -5), category=leaf, street=place.street)  # before it is tracked
    received(add_months(month, -1), category=CategoryFactory(), street=place.street)  # another matter

    # When a city admin adopts the candidate as a topic with its place and a keyword
    topic = adopt(city_admin, heating=heating, place=place, lead_unit=lead_unit, keywords="暖气，室温")

    # Then exactly the matching tickets are linked, in SQL, and the topic says when
    assert linked(topic.pk) == {in_street.pk, in_other_street.pk, by_keyword.pk}
    topic.refresh_from_db()
    assert topic.linked_at is not None
    assert topic.keywords == "暖气\n室温"
    assert topic.status == TopicStatus.ADOPTED

    # When its rule is edited (no keywords, the street only), the links follow
    services.update_topic(
        actor=city_admin,
        topic_id=topic.pk,
        data=TopicInput(
            title=topic.title,
            problem=topic.problem,
            lead_unit=lead_unit,
            month=topic.month,
            tracked_from=topic.tracked_from,
            categories=[heating],
            places=[place.street],
        ),
    )
    assert linked(topic.pk) == {in_street.pk}

    # And a ticket received later joins at the nightly relink, which is idempotent
    later = received(month, category=leaf, street=place.street)
    assert services.relink_topics() == 1
    assert services.relink_topics() == 1
    assert linked(topic.pk) == {in_street.pk, later.pk}


def StreetFactoryIn(district):  # noqa: N802 - reads as the factory it wraps
    from tests.factories import StreetFactory

    return StreetFactory(parent=district)


def test_only_a_city_admin_adopts_and_a_rule_needs_a_subject(make_user, city_admin, place, heating, lead_unit):
    from hotline.models import Role

    supervisor = make_user(Role.HOTLINE_SUPERVISOR)
    with pytest.raises(DomainError) as refused:
        adopt(supervisor, heating=heating, place=place, lead_unit=lead_unit)
    assert refused.value.code == "not_found"
    with pytest.raises(DomainError) as invalid:
        services.adopt_topic(
            actor=city_admin,
            data=TopicInput(title="无题", problem="无", lead_unit=lead_unit, month=this_month(), places=[place.street]),
        )
    assert invalid.value.code == "invalid"
    assert "categories" in invalid.value.fields


def test_the_topic_shows_its_volume_before_and_after_adoption_per_month_and_place(
    city_admin, place, heating, lead_unit, received
):
    # Given two tickets a month in the three months before the topic's month, one in it
    month = this_month()
    leaf = heating.children.get()
    for back in (1, 2, 3):
        received(add_months(month, -back), category=leaf, street=place.street)
        received(add_months(month, -back) + timedelta(days=2), category=leaf, street=place.other_street)
    received(month, category=leaf, street=place.street)
    topic = adopt(city_admin, heating=heating, place=place, lead_unit=lead_unit)

    # When its volume is read
    volume = selectors.topic_volume(topic=topic, today=timezone.localdate())

    # Then the months before count 2 each, the topic's month 1: half the monthly average
    assert [(m.month, m.count, m.after) for m in volume.months] == [
        (add_months(month, -3), 2, False),
        (add_months(month, -2), 2, False),
        (add_months(month, -1), 2, False),
        (month, 1, True),
    ]
    assert volume.before_average == Decimal(2)
    assert volume.after_average == Decimal(1)
    assert volume.change == Decimal("-0.5")
    # And per place, the busiest first
    assert [(p.label, p.before, p.after) for p in volume.places] == [
        ("丰台区新村街道", 3, 1),
        ("丰台区卢沟桥街道", 3, 0),
    ]


def test_the_topic_shows_the_rates_of_its_tickets_before_and_after(city_admin, place, heating, lead_unit, received):
    # Given a ticket before the topic's month answered late and unresolved, one after in time and resolved
    month = this_month()
    leaf = heating.children.get()
    before = received(add_months(month, -1), category=leaf, street=place.street)
    after = received(month, category=leaf, street=place.street)
    LeadAssignmentFactory(ticket=before, unit=lead_unit, dispatched_at=local(add_months(month, -1)), signed_at=None)
    CallbackFactory(
        ticket=before, unit=lead_unit, completed_at=local(add_months(month, -1), 15), resolution="unresolved"
    )
    LeadAssignmentFactory(ticket=after, unit=lead_unit, dispatched_at=local(month))
    CallbackFactory(ticket=after, unit=lead_unit, completed_at=local(month, 15))
    topic = adopt(city_admin, heating=heating, place=place, lead_unit=lead_unit)

    # When its rates are read
    rates = selectors.topic_rates(topic=topic, today=timezone.localdate())

    # Then they count as the rankings do, split at the topic's month
    assert (rates.before.response, rates.before.resolution) == (Decimal(0), Decimal(0))
    assert (rates.after.response, rates.after.resolution, rates.after.satisfaction) == (1, 1, 1)


def test_units_post_progress_and_complete_measures(
    city_admin, lead_officer, co_officer, outsider, place, heating, lead_unit, co_unit, received, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    # Given an adopted topic with two measures, one owned by the co-unit
    topic = adopt(city_admin, heating=heating, place=place, lead_unit=lead_unit, co_units=[co_unit])
    due = this_month() + timedelta(days=20)
    pipes = services.add_measure(
        actor=city_admin, topic_id=topic.pk, text="更换老旧供热管网", owner=co_unit, due_date=due
    )
    services.add_measure(actor=city_admin, topic_id=topic.pk, text="建立室温监测", owner=lead_unit, due_date=due)

    # When the co-unit reports the pipes replaced, with a photo
    progress = services.post_progress(
        actor=co_officer,
        topic_id=topic.pk,
        text="已完成3个小区管网改造。",
        measure_id=pipes.pk,
        measure_done=True,
        files=[SimpleUploadedFile("现场.png", PNG, content_type="image/png")],
    )

    # Then the measure is done, the topic in progress, the update on its timeline for its unit
    assert TopicMeasure.objects.get(pk=pipes.pk).is_done
    topic.refresh_from_db()
    assert topic.status == TopicStatus.IN_PROGRESS
    assert progress.unit == co_unit
    assert progress.attachments.get().name == "现场.png"
    # And the lead unit posts too; a unit outside the topic may not (not found)
    services.post_progress(actor=lead_officer, topic_id=topic.pk, text="已约谈热力公司。")
    with pytest.raises(DomainError) as refused:
        services.post_progress(actor=outsider, topic_id=topic.pk, text="与我无关")
    assert refused.value.code == "not_found"
    assert TopicProgress.objects.filter(topic=topic).count() == 2

    # And the reports' selector reads the measures done of all
    line = next(
        line
        for line in selectors.topic_progress(start=this_month(), end=add_months(this_month(), 1))
        if line.topic_id == topic.pk
    )
    assert (line.title, line.status, line.lead_unit, line.measures_done, line.measures_total) == (
        "老旧小区供暖不热",
        TopicStatus.IN_PROGRESS,
        "市城市管理委",
        1,
        2,
    )


def test_topic_progress_counts_tickets_in_the_period_against_the_previous(
    city_admin, place, heating, lead_unit, received
):
    month = this_month()
    leaf = heating.children.get()
    for _ in range(4):
        received(add_months(month, -1), category=leaf, street=place.street)
    received(month, category=leaf, street=place.street)
    topic = adopt(city_admin, heating=heating, place=place, lead_unit=lead_unit)

    [line] = selectors.topic_progress(start=month, end=add_months(month, 1))

    assert (line.topic_id, line.tickets, line.previous_tickets) == (topic.pk, 1, 4)
    assert line.change == Decimal("-0.75")
    # A topic adopted after the period is not listed
    assert selectors.topic_progress(start=add_months(month, -3), end=add_months(month, -2)) == []


def test_status_moves_adopted_in_progress_then_resolved_or_continuing(city_admin, place, heating, lead_unit):
    topic = adopt(city_admin, heating=heating, place=place, lead_unit=lead_unit)
    with pytest.raises(DomainError) as refused:
        services.change_status(actor=city_admin, topic_id=topic.pk, status=TopicStatus.RESOLVED)
    assert refused.value.code == "topic_status"
    services.change_status(actor=city_admin, topic_id=topic.pk, status=TopicStatus.IN_PROGRESS)
    services.change_status(actor=city_admin, topic_id=topic.pk, status=TopicStatus.CONTINUING)
    assert services.change_status(actor=city_admin, topic_id=topic.pk, status=TopicStatus.RESOLVED).status == "resolved"


def test_proactive_work_orders_from_a_topic_for_its_places(gazetteer, make_user):
    from hotline.models import Category, Role, Unit, UnitKind

    # Given a topic on heating in one real street of Fengtai
    admin = make_user(Role.CITY_ADMIN)
    street = Unit.objects.get(kind=UnitKind.STREET, name="新村街道", parent__name="丰台区")
    heating = Category.objects.get(code="010101")
    month = this_month()
    topic = services.adopt_topic(
        actor=admin,
        data=TopicInput(
            title="供暖不热",
            problem="入冬后室温不达标。",
            lead_unit=street,
            month=month,
            categories=[heating.parent],
            places=[street],
        ),
    )

    # When the admin creates proactive work orders from it
    [ticket] = services.create_proactive_tickets(
        actor=admin, topic_id=topic.pk, category=heating, note="入户检查室温，排查管网。"
    )

    # Then one proactive ticket per place is queued for dispatch, located there and linked to the
    # topic as proactive work: outside its citizens' volume
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.channel, ticket.street_id, ticket.category_id) == (Channel.PROACTIVE, street.pk, heating.pk)
    assert TopicTicket.objects.get(ticket=ticket).via == LinkVia.PROACTIVE
    assert ticket.events.get(action="create").payload.get("topic") == topic.pk
    services.relink_topic(topic_id=topic.pk)
    assert TopicTicket.objects.filter(topic=topic, ticket=ticket).exists()
    assert selectors.topic_volume(topic=topic, today=timezone.localdate()).after_total == 0
