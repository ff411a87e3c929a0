"""The data generator: a large load drops the secondary indexes and always builds them again."""

from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from dispatch.models import Assignment
from hotline import generator
from hotline import services as hotline_services
from hotline.generator import database_dsn
from hotline.models import Category, Unit, UnitKind
from intake import numbers
from intake.models import Ticket, TicketEvent
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 11, 1, 8, tzinfo=UTC)


def indexes() -> set[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
            [list(generator.BULK_TABLES)],
        )
        return set(cursor.fetchall())


def key_constraints() -> set[tuple[str, str, str, str]]:
    """The primary and unique keys with the index backing each (a load drops those nothing references)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), conindid::regclass::text "
            "FROM pg_constraint WHERE contype IN ('p', 'u') AND conrelid = ANY(%s::regclass[])",
            [list(generator.BULK_TABLES)],
        )
        return set(cursor.fetchall())


def pending_table_exists() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [generator.PENDING_TABLE])
        return cursor.fetchone()[0]


@pytest.fixture
def org() -> None:
    hotline_services.load_units(rows=hotline_services.read_unit_rows())
    hotline_services.load_categories(tree=hotline_services.read_category_tree())


def test_a_load_into_an_empty_database_ends_with_every_index_and_consistent_rows(org):
    # Given the schema's indexes and keys
    before, keys_before = indexes(), key_constraints()
    # When 3,000 tickets are generated into the empty tables
    result = generator.generate(dsn=database_dsn(), tickets=3000, years=0.25, now=NOW)
    # Then the same indexes and keys are there again, and nothing is left pending
    assert indexes() == before
    assert key_constraints() == keys_before
    assert not pending_table_exists()
    # And every ticket has its creation event; every assignment and callback points at a ticket
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM intake_ticket t WHERE NOT EXISTS "
            "(SELECT 1 FROM intake_ticketevent e WHERE e.ticket_id = t.id AND e.action = 'create')"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM dispatch_assignment a LEFT JOIN intake_ticket t ON t.id = a.ticket_id "
            "WHERE t.id IS NULL"
        )
        assert cursor.fetchone()[0] == 0
    assert result["intake_ticket"] == 3000
    assert result["intake_ticketevent"] > 3000
    # And the counts returned are the rows written
    with connection.cursor() as cursor:
        for table in generator.BULK_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            assert cursor.fetchone()[0] == result[table], table


def test_the_callers_are_derived_with_their_numbers_and_referenced_by_the_tickets(org):
    # When tickets are generated (the callers are written in the database, alongside the tickets)
    result = generator.generate(dsn=database_dsn(), tickets=500, years=0.1, now=NOW)
    with connection.cursor() as cursor:
        # Then there is one caller per slot of the pool, with its mobile number and a surname
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE phone = '179' || lpad(id::text, 8, '0') "
            "AND name LIKE '_先生' AND NOT is_enterprise) FROM intake_caller"
        )
        assert cursor.fetchone() == (result["intake_caller"], result["intake_caller"])
        # And every ticket's and callback's caller exists
        cursor.execute(
            "SELECT count(*) FROM intake_ticket t LEFT JOIN intake_caller c ON c.id = t.caller_id WHERE c.id IS NULL"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM evaluation_callback b LEFT JOIN intake_caller c ON c.id = b.caller_id "
            "WHERE c.id IS NULL"
        )
        assert cursor.fetchone()[0] == 0


def test_a_large_load_drops_the_keys_nothing_references_and_keeps_the_referenced_ones(org):
    # Given the schema's keys
    keys_before = key_constraints()
    connection.ensure_connection()
    # When a load drops its indexes
    generator.drop_secondary_indexes(connection.connection)
    # Then the events' primary key and the unique numbers are pending, the tickets' primary key
    # (which foreign keys reference) stays
    dropped = {name for _table, name, _definition, _index in keys_before - key_constraints()}
    assert {"intake_ticketevent_pkey", "ticket_number_unique"} <= dropped
    assert "intake_ticket_pkey" not in dropped
    generator.build_pending_indexes(connection.connection, dsn=database_dsn(), workers=2)
    assert key_constraints() == keys_before


def test_a_load_that_fails_half_way_still_builds_the_indexes_again(org, monkeypatch):
    # Given the schema's indexes, and a load that fails after the indexes were dropped
    before = indexes()

    def failing_load(**kwargs):
        assert indexes() != before  # the secondary indexes are gone while loading
        raise RuntimeError("the load broke")

    monkeypatch.setattr(generator, "_load", failing_load)
    # When it is run
    with pytest.raises(RuntimeError, match="the load broke"):
        generator.generate(dsn=database_dsn(), tickets=1000, years=0.1, now=NOW)
    # Then the indexes were built again all the same
    assert indexes() == before
    assert not pending_table_exists()


def test_indexes_left_pending_by_a_killed_load_are_built_by_the_next_one(org):
    # Given a load that was killed after dropping the indexes (they are recorded as pending)
    before = indexes()
    connection.ensure_connection()
    generator.drop_secondary_indexes(connection.connection)
    assert indexes() != before
    assert pending_table_exists()
    # When the next load runs
    generator.generate(dsn=database_dsn(), tickets=10, years=0.05, now=NOW)
    # Then the pending indexes were built first
    assert indexes() == before
    assert not pending_table_exists()


def test_keys_built_but_not_yet_attached_by_a_killed_load_are_attached_by_the_next_one(org):
    # Given a load that was killed after building the unique indexes, before attaching them as keys
    before, keys_before = indexes(), key_constraints()
    connection.ensure_connection()
    generator.drop_secondary_indexes(connection.connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name, definition FROM {generator.PENDING_TABLE} WHERE attach <> ''")
        for name, definition in cursor.fetchall():
            cursor.execute(definition)
            cursor.execute(f"UPDATE {generator.PENDING_TABLE} SET built = true WHERE name = %s", [name])
    # When the next load runs
    generator.generate(dsn=database_dsn(), tickets=10, years=0.05, now=NOW)
    # Then the keys are attached again and every index is back
    assert key_constraints() == keys_before
    assert indexes() == before
    assert not pending_table_exists()


def test_the_counters_follow_the_numbers_and_every_table_is_analyzed(org):
    # When tickets are generated (the counters come from the generator, the statistics alongside the builds)
    generator.generate(dsn=database_dsn(), tickets=3000, years=0.25, now=NOW)
    with connection.cursor() as cursor:
        # Then each day's counter is the day's last tracking number, and there is no counter for a day without one
        cursor.execute(
            "SELECT count(*) FROM intake_ticketnumbercounter c FULL JOIN "
            "(SELECT to_date(left(number, 8), 'YYYYMMDD') AS day, MAX(right(number, 6)::int) AS last "
            "FROM intake_ticket GROUP BY 1) t ON t.day = c.day WHERE c.last IS DISTINCT FROM t.last"
        )
        assert cursor.fetchone()[0] == 0
        # And every bulk table has its statistics
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) AND last_analyze IS NOT NULL",
            [list(generator.BULK_TABLES)],
        )
        assert {name for (name,) in cursor.fetchall()} == set(generator.BULK_TABLES)


def share(sql: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return float(cursor.fetchone()[0])


def test_the_generated_year_matches_the_published_2020_figures(org):
    # When a year of 20,000 tickets is generated through the management command
    call_command("generate_data", "--tickets", "20000", "--years", "1", stdout=StringIO())
    # Then the mix is the one seed 002 publishes, within sampling error
    assert share("SELECT count(*) FROM intake_ticket") == 20000
    phone = share("SELECT avg((channel IN ('phone', 'enterprise_line'))::int) FROM intake_ticket")
    assert phone == pytest.approx(0.9132, abs=0.015)
    direct = share("SELECT avg((disposition <> 'dispatched')::int) FROM intake_ticket WHERE disposition <> ''")
    assert direct == pytest.approx(0.6004, abs=0.02)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE u.kind WHEN 'functional_zone' THEN 'street' ELSE u.kind END, "
            "count(*)::float / sum(count(*)) OVER () FROM dispatch_assignment a "
            "JOIN hotline_unit u ON u.id = a.unit_id WHERE a.parent_id IS NULL GROUP BY 1"
        )
        unit_kinds = dict(cursor.fetchall())
    # (the districts' share goes to their sub-centres, which pass most of it down: test_generator_districts)
    published = {
        "district": 0.3955,
        "street": 0.3899,
        "city_department": 0.1242,
        "state_enterprise": 0.0697,
        "platform_company": 0.0206,
    }
    assert unit_kinds == pytest.approx(published, abs=0.02)
    # And the callbacks answer resolved about 86 % and satisfied about 89 % of the time
    done = "FROM evaluation_callback WHERE status = 'done'"
    assert share(f"SELECT avg((resolution = 'resolved')::int) {done}") == pytest.approx(0.86, abs=0.02)
    satisfaction = share(
        f"SELECT avg((satisfaction = 'satisfied')::int + 0.8 * (satisfaction = 'basically')::int) {done}"
    )
    assert satisfaction == pytest.approx(0.89, abs=0.02)
    # And heating is a winter matter
    heating = (
        "SELECT avg((mid.name = '供暖')::int) FROM intake_ticket t "
        "JOIN hotline_category leaf ON leaf.id = t.category_id JOIN hotline_category mid ON mid.id = leaf.parent_id "
        "WHERE extract(month FROM t.created_at AT TIME ZONE 'Asia/Shanghai') {months}"
    )
    winter, summer = share(heating.format(months="IN (12, 1, 2)")), share(heating.format(months="IN (6, 7, 8)"))
    assert winter > 0.05
    assert summer < winter / 5
    # And the top categories keep their published volumes against each other and their direct-answer ratios
    # (公共服务 is left out of the volumes: the generated heating season adds to it). The data depend on
    # today's date, so the bounds are about 3.5 standard errors of a sample this size.
    by_top = rows(
        "SELECT top.name, count(*), "
        "avg((t.disposition <> 'dispatched')::int) FILTER (WHERE t.disposition <> '')::float "
        "FROM intake_ticket t JOIN hotline_category leaf ON leaf.id = t.category_id "
        "JOIN hotline_category mid ON mid.id = leaf.parent_id JOIN hotline_category top ON top.id = mid.parent_id "
        "GROUP BY top.name"
    )
    compared = [name for name in PUBLISHED_TOP_CATEGORIES if name != "公共服务"]
    compared_total = sum(by_top[name][0] for name in compared)
    published_total = sum(PUBLISHED_TOP_CATEGORIES[name][0] for name in compared)
    for name in compared:
        assert by_top[name][0] / compared_total == pytest.approx(
            PUBLISHED_TOP_CATEGORIES[name][0] / published_total, abs=0.015
        ), name
    for name, (_volume, direct_ratio) in PUBLISHED_TOP_CATEGORIES.items():
        assert by_top[name][1] == pytest.approx(direct_ratio, abs=0.07), name
    # And the districts' volume per 10,000 residents runs from 门头沟区 (most) to 昌平区 (least), as published
    per_10k = rows(
        "SELECT d.name, (count(*) * 10000.0 / d.population)::float FROM intake_ticket t "
        "JOIN hotline_unit d ON d.id = t.district_id GROUP BY d.name, d.population"
    )
    assert max(per_10k, key=per_10k.get) == "门头沟区"
    assert min(per_10k, key=per_10k.get) == "昌平区"
    assert per_10k["门头沟区"] / per_10k["昌平区"] == pytest.approx(2806 / 939, rel=0.2)


# Seed 002: the 2020 top-10 categories, volume (10,000 contacts) and direct-answer ratio.
PUBLISHED_TOP_CATEGORIES = {
    "公共安全": (110.5, 0.7988),
    "市场管理": (92.1, 0.4870),
    "公共服务": (59.2, 0.4101),
    "住房": (57.5, 0.3337),
    "卫生健康": (57.3, 0.7223),
    "城乡建设": (51.7, 0.3821),
    "交通管理": (43.8, 0.4814),
    "社会秩序": (43.5, 0.7640),
    "教育": (33.0, 0.4731),
    "劳动和社会保障": (32.9, 0.6585),
}


def rows(sql: str) -> dict:
    """The query's rows keyed by their first column (the rest as a tuple, or the one value)."""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {key: rest[0] if len(rest) == 1 else rest for key, *rest in cursor.fetchall()}


@pytest.mark.django_db
def test_a_history_in_this_process_is_consistent_and_the_next_ticket_follows_it(org):
    # Given a ticket numbered today through the services, before the history
    today = NOW.astimezone(generator.SHANGHAI).date()
    earlier = numbers.next_ticket_number(day=today)
    # When a history up to now is generated through Django's connection
    result = generator.generate_here(tickets=2000, years=0.25, now=NOW)
    # Then every row is there, each ticket with its creation event, each assignment with its ticket
    assert Ticket.objects.count() == result["intake_ticket"] == 2000
    assert TicketEvent.objects.filter(action="create").count() == 2000
    assert Assignment.objects.count() == result["dispatch_assignment"] > 0
    assert not Ticket.objects.filter(status="closed", closed_at__isnull=True).exists()
    # And the history's numbers of today follow the one taken before, and the next one follows them
    numbers_today = sorted(Ticket.objects.filter(number__startswith=f"{today:%Y%m%d}").values_list("number", flat=True))
    assert numbers_today
    assert numbers_today[0] > earlier
    assert numbers.next_ticket_number(day=today) > numbers_today[-1]
    # And the next ticket row gets an id past the history's
    last_generated = max(Ticket.objects.values_list("pk", flat=True))
    assert TicketFactory().pk > last_generated


@pytest.mark.django_db
def test_a_unit_handed_open_work_and_a_spike_keep_every_row_and_event_consistent(org):
    # Given a street with no work, a category, and a generated history that hands the street open
    # work and adds a cluster of one problem in it over the last week
    street = Unit.objects.filter(kind=UnitKind.STREET).order_by("code").first()
    category = Category.objects.get(code="010101")
    spike = generator.Spike(street.pk, category.pk, start=date(2026, 10, 24), days=7, tickets=14)
    # When it is generated
    result = generator.generate_here(tickets=2000, years=0.25, now=NOW, hand_over=[street.pk], spikes=[spike])
    # Then the spike's tickets are there, at the street, about the category
    assert result["intake_ticket"] == Ticket.objects.count() == 2014
    spiked = Ticket.objects.filter(street=street, category=category, created_at__date__gte=date(2026, 10, 24))
    assert spiked.count() >= 14
    # And the street holds open work, each ticket placed in the street, its dispatch event naming it
    handed = Assignment.objects.filter(unit=street, ended_at__isnull=True, status__in=["dispatched", "signed"])
    assert handed.count() >= generator.HAND_OVER_LATEST
    assert not handed.exclude(ticket__street=street).exists()
    for assignment in handed:
        assert TicketEvent.objects.filter(ticket=assignment.ticket, action="dispatch", unit=street).exists()
    # And every ticket number is unique, spikes included
    assert Ticket.objects.values("number").distinct().count() == 2014
