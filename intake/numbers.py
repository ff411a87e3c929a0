"""Tracking numbers: YYYYMMDD and the day's 6-digit sequence (20261206000042).

On PostgreSQL each day has a sequence of its own, `intake_ticket_number_YYYYMMDD`, which the
SQL function `intake_next_ticket_number(day)` (migration 0016) draws from, creating it with the
day's first number. The intake's write calls the function in its one statement
(intake.ticket_insert): no round trip of its own and no row lock, where the counter row it
replaces took a statement and a commit per ticket and, inside a transaction, queued every other
intake behind it. A sequence hands out each value once, also to concurrent transactions, and a
rolled-back ticket leaves a gap, which is fine for tracking numbers.

The counter table (TicketNumberCounter) stays the record of past days: the history generator
writes it, a new day's sequence starts after it, and the nightly fold moves each past day's last
number into it and drops that day's sequence. Other databases (the SQLite quick start, one writer
at a time) number from the counter table alone.
"""

from datetime import date, timedelta

from django.db import connection, transaction

SEQUENCE_PREFIX = "intake_ticket_number_"
# The expression a PostgreSQL statement numbers a ticket with; its parameter is the day.
NUMBER_SQL = "intake_next_ticket_number(%s::date)"

# Each day's last number: the counter's, or the day's sequence's where it went further. The
# history generator starts after these.
LAST_NUMBERS_SQL = f"""
SELECT day, max(last) FROM (
    SELECT day, last FROM intake_ticketnumbercounter
    UNION ALL
    SELECT to_date(substr(sequencename, {len(SEQUENCE_PREFIX) + 1}), 'YYYYMMDD'), last_value FROM pg_sequences
    WHERE schemaname = current_schema() AND starts_with(sequencename, '{SEQUENCE_PREFIX}') AND last_value IS NOT NULL
) AS numbers GROUP BY day
"""

# The days' sequences moved past their counters (after the generator numbered tickets of a day
# whose sequence exists, today's say). Run without parameters: its percent sign is format()'s.
ADVANCE_SEQUENCES_SQL = f"""
SELECT setval(format('%I', sequencename)::regclass, counter.last)
FROM pg_sequences JOIN intake_ticketnumbercounter AS counter
    ON counter.day = to_date(substr(sequencename, {len(SEQUENCE_PREFIX) + 1}), 'YYYYMMDD')
WHERE schemaname = current_schema() AND starts_with(sequencename, '{SEQUENCE_PREFIX}')
    AND counter.last > coalesce(last_value, 0)
"""


def next_ticket_number(*, day: date) -> str:
    """The day's next tracking number, on its own. The intake's write takes its number inside its
    statement (`NUMBER_SQL`); this is for every other database and for readers of the sequence."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT {NUMBER_SQL}", [day])
            return cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO intake_ticketnumbercounter (day, last) VALUES (%s, 1) "
            "ON CONFLICT (day) DO UPDATE SET last = intake_ticketnumbercounter.last + 1 RETURNING last",
            [day],
        )
        (sequence,) = cursor.fetchone()
    return f"{day:%Y%m%d}{sequence:06d}"


def fold_past_sequences(*, today: date) -> int:
    """Move the last number of each day before yesterday from its sequence into the counter table
    and drop the sequence; how many were folded. A late ticket of such a day (none is expected)
    would find the day's sequence gone and get a new one, started after the counter."""
    if connection.vendor != "postgresql":
        return 0
    before = f"{SEQUENCE_PREFIX}{today - timedelta(days=1):%Y%m%d}"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() "
            "AND starts_with(sequencename, %s) AND sequencename < %s ORDER BY sequencename",
            [SEQUENCE_PREFIX, before],
        )
        names = [name for (name,) in cursor.fetchall()]
        for name in names:
            with transaction.atomic():
                # The lock the day's first number takes to create the sequence: no one creates or
                # folds it meanwhile.
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
                cursor.execute(
                    "INSERT INTO intake_ticketnumbercounter (day, last) "
                    f"SELECT %s, last_value FROM {connection.ops.quote_name(name)} WHERE is_called "
                    "ON CONFLICT (day) DO UPDATE SET last = GREATEST(intake_ticketnumbercounter.last, EXCLUDED.last)",
                    [date(int(name[-8:-4]), int(name[-4:-2]), int(name[-2:]))],
                )
                cursor.execute(f"DROP SEQUENCE {connection.ops.quote_name(name)}")
    return len(names)
