"""Tracking numbers: the day's sequence on PostgreSQL, started after the day's counter, created
once also when two first numbers of a day come at once, folded into the counter after the day."""

import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from intake import numbers, tasks
from intake.models import TicketNumberCounter
from tests.conftest import run_at_once, wait_until

pytestmark = pytest.mark.django_db


def sequence_exists(day: date) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"{numbers.SEQUENCE_PREFIX}{day:%Y%m%d}"])
        return cursor.fetchone()[0]


@pytest.fixture
def drop_sequences() -> Iterator[None]:
    """For tests that commit: the days' sequences are not tables, so the flush after them leaves them."""
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sequencename FROM pg_sequences WHERE starts_with(sequencename, %s)", [numbers.SEQUENCE_PREFIX]
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP SEQUENCE {connection.ops.quote_name(name)}")


def test_tracking_numbers_are_dated_and_sequential():
    day = timezone.localdate()
    first, second = (numbers.next_ticket_number(day=day) for _ in range(2))
    assert first.startswith(day.strftime("%Y%m%d"))
    assert len(first) == 14
    assert int(second[-6:]) == int(first[-6:]) + 1


def test_a_days_first_number_follows_the_numbers_its_counter_holds():
    # Given a day whose counter holds 41 numbers (taken before its sequence existed)
    day = date(2030, 3, 1)
    TicketNumberCounter.objects.create(day=day, last=41)

    # When the day's next numbers are taken
    first, second = (numbers.next_ticket_number(day=day) for _ in range(2))

    # Then they follow the counter's, and another day starts at 1
    assert (first, second) == ("20300301000042", "20300301000043")
    assert numbers.next_ticket_number(day=date(2030, 3, 2)) == "20300302000001"


@pytest.mark.django_db(transaction=True)
def test_two_first_numbers_of_a_day_at_once_are_distinct(drop_sequences):
    # Given a day without a sequence, and a transaction that takes its first number and stays open
    day = date(2030, 4, 1)
    first_has_its_number = threading.Event()

    def first_in_a_long_transaction() -> tuple[str, str]:
        with transaction.atomic():
            number = numbers.next_ticket_number(day=day)
            first_has_its_number.set()
            time.sleep(0.5)
        return "first", number

    def second_meanwhile() -> tuple[str, str]:
        assert first_has_its_number.wait(timeout=10)
        return "second", numbers.next_ticket_number(day=day)

    # When another number of the day is taken meanwhile
    taken = dict(run_at_once(first_in_a_long_transaction, second_meanwhile))

    # Then it waited for the sequence the first one created and took the next number
    assert taken == {"first": "20300401000001", "second": "20300401000002"}


@pytest.mark.django_db(transaction=True)
def test_a_first_number_rolled_back_leaves_the_day_to_the_next(drop_sequences):
    # Given a transaction that takes a day's first number, then fails
    day = date(2030, 5, 1)
    first_has_its_number = threading.Event()

    def first_then_rolled_back() -> tuple[str, str]:
        with transaction.atomic():
            numbers.next_ticket_number(day=day)
            first_has_its_number.set()
            time.sleep(0.5)
            transaction.set_rollback(True)  # as a ticket's failed write
        return "first", "rolled back"

    def second_meanwhile() -> tuple[str, str]:
        assert first_has_its_number.wait(timeout=10)
        return "second", numbers.next_ticket_number(day=day)

    # When another number of the day is taken meanwhile
    taken = dict(run_at_once(first_then_rolled_back, second_meanwhile))

    # Then it is the day's first: the sequence created with the rolled-back number went with it
    assert taken == {"first": "rolled back", "second": "20300501000001"}


def test_past_days_are_folded_into_their_counters_and_numbering_goes_on_after_them():
    # Given numbers taken three days ago, the day before and yesterday
    today = date(2030, 6, 10)
    three_days_ago, two_days_ago, yesterday = (today - timedelta(days=n) for n in (3, 2, 1))
    for _ in range(3):
        numbers.next_ticket_number(day=three_days_ago)
    TicketNumberCounter.objects.create(day=two_days_ago, last=7)
    numbers.next_ticket_number(day=two_days_ago)
    numbers.next_ticket_number(day=yesterday)

    # When the past days are folded
    folded = numbers.fold_past_sequences(today=today)

    # Then the days before yesterday have their last numbers in their counters and no sequence
    assert folded == 2
    assert dict(TicketNumberCounter.objects.values_list("day", "last")) == {three_days_ago: 3, two_days_ago: 8}
    assert not sequence_exists(three_days_ago)
    assert not sequence_exists(two_days_ago)
    # And yesterday keeps its sequence (a ticket taken in just before midnight may still be written)
    assert sequence_exists(yesterday)
    # And a late number of a folded day follows its last one
    assert numbers.next_ticket_number(day=three_days_ago) == "20300607000004"


@pytest.mark.celery_worker
def test_the_nightly_fold_runs_through_a_real_worker(celery_worker, drop_sequences):
    # Given a day last week with two numbers taken
    day = timezone.localdate() - timedelta(days=7)
    numbers.next_ticket_number(day=day)
    numbers.next_ticket_number(day=day)

    # When beat's nightly task is enqueued on the broker
    tasks.fold_ticket_number_sequences.delay()

    # Then the worker folds the day into its counter
    wait_until(lambda: TicketNumberCounter.objects.filter(day=day, last=2).exists())
    assert not sequence_exists(day)
