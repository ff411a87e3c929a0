"""The intake's write: a new ticket with its caller and its first events.

On PostgreSQL this is one statement (data-modifying CTEs): the caller's upsert, the ticket with
its tracking number (intake.numbers) and its events, in one round trip and, outside a
transaction, one commit. Through the ORM the same rows took six statements (BEGIN, upsert,
ticket, events, COMMIT) and 1.7 ms of CPU to compile the two inserts, a fifth of an intake
request. The statement's columns, casts and values come from the models' own fields (`pre_save`,
`get_db_prep_save`), so it follows the models as the ORM does; a test holds the two writers to
the same rows. Other databases (the SQLite quick start) write through the ORM.

The statement is prepared once per database connection (PREPARE, then EXECUTE with the values):
PostgreSQL parsed and planned the 3 kB statement for every ticket, 0.2–0.3 ms of its CPU, about
a fifth of what it spends on an intake. Prepared statements belong to the session, so this needs
a connection of its own per process, as Django's persistent connections are; a pooler that hands
one session's statements to another (PgBouncer in transaction mode) would break it.
"""

import itertools
import re
import weakref
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from intake.models import Caller, Ticket, TicketEvent
from intake.numbers import NUMBER_SQL, next_ticket_number
from intake.phones import normalize_phone

CALLER_UPSERT = """
INSERT INTO intake_caller (phone, name, is_enterprise, enterprise_name, sms_opt_out, created_at)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (phone) DO UPDATE SET
    name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE intake_caller.name END,
    is_enterprise = intake_caller.is_enterprise OR excluded.is_enterprise,
    enterprise_name = CASE
        WHEN excluded.enterprise_name <> '' THEN excluded.enterprise_name ELSE intake_caller.enterprise_name
    END,
    sms_opt_out = intake_caller.sms_opt_out OR excluded.sms_opt_out
RETURNING id, name, is_enterprise, enterprise_name, sms_opt_out
"""

CALLER_FIELDS = ["id", "phone", "name", "is_enterprise", "enterprise_name", "sms_opt_out"]


@dataclass(frozen=True)
class CallerInput:
    """Who called, as the intake gives it: the number decides which caller row it is."""

    phone: str
    name: str = ""
    is_enterprise: bool = False
    enterprise_name: str = ""
    # Asked to get no SMS: recorded, and never undone by a later contact that does not say so
    # (hotline staff switch it back on the ticket page).
    sms_opt_out: bool = False


def upsert_caller(*, caller: CallerInput) -> Caller:
    """The caller of this phone number, created on first contact; a newly given name wins.

    One statement, also when two first contacts of a number arrive at once (the unique phone
    decides). It replaces get_or_create's select, savepoint and insert, at the price of
    rewriting a repeat caller's row.
    """
    phone = normalize_phone(caller.phone)
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        cursor.execute(CALLER_UPSERT, [phone, *_caller_values(caller, db=db)])
        row = cursor.fetchone()
    return _caller(phone=phone, row=row, db=db)


def insert_ticket(*, ticket: Ticket, events: list[TicketEvent], caller: CallerInput | None) -> None:
    """Write `ticket` (unsaved; its caller is `caller`'s row, upserted) and `events` (for it, in
    order). Sets the primary keys and the caller on the objects as a save would, and the ticket's
    tracking number, the day's next."""
    if connection.vendor == "postgresql":
        insert_in_one_statement(ticket=ticket, events=events, caller=caller)
    else:
        insert_through_orm(ticket=ticket, events=events, caller=caller)


def insert_through_orm(*, ticket: Ticket, events: list[TicketEvent], caller: CallerInput | None) -> None:
    ticket.number = next_ticket_number(day=timezone.localdate())
    if caller is not None:
        ticket.caller = upsert_caller(caller=caller)
    ticket.save(force_insert=True)
    for event in events:
        event.ticket = ticket
    TicketEvent.objects.bulk_create(events)


def insert_in_one_statement(*, ticket: Ticket, events: list[TicketEvent], caller: CallerInput | None) -> None:
    # The thread's connection itself, used throughout: through the `connection` proxy each
    # attribute read (the fields' value preparation reads dozens) cost a thread-local lookup.
    db = connections[DEFAULT_DB_ALIAS]
    phone = normalize_phone(caller.phone) if caller is not None else ""
    params: list[object] = [phone, *_caller_values(caller, db=db)] if caller is not None else []
    today = timezone.localdate()
    params += [
        today if field.name == "number" else _value(field, ticket, db=db)
        for field in _given_columns(Ticket, computed="caller")
    ]
    for event in events:
        params += [_value(field, event, db=db) for field in _given_columns(TicketEvent, computed="ticket")]
    with db.cursor() as cursor:
        _execute_prepared(cursor, db=db, with_caller=caller is not None, events=len(events), params=params)
        ticket_id, ticket.number, event_ids, *caller_row = cursor.fetchone()
    ticket.pk = ticket_id
    ticket._state.adding = False
    ticket._state.db = db.alias
    if caller is not None:
        ticket.caller = _caller(phone=phone, row=caller_row, db=db)
    for event, event_id in zip(events, event_ids, strict=True):
        event.pk = event_id
        event.ticket = ticket
        event._state.adding = False
        event._state.db = db.alias


# The statements prepared on each open connection (the driver's connection object; a new one
# after a reconnect starts empty). PREPARE outlives a rolled-back transaction, so a name, once
# prepared, stays so for the connection's life.
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def _execute_prepared(
    cursor: CursorWrapper, *, db: BaseDatabaseWrapper, with_caller: bool, events: int, params: list[object]
) -> None:
    name = f"intake_ticket_{'caller' if with_caller else 'anonymous'}_{events}_events"
    prepared = _prepared.setdefault(db.connection, set())
    if name not in prepared:
        cursor.execute(f"PREPARE {name} AS {_numbered(_statement(with_caller=with_caller, events=events))}")
        prepared.add(name)
    cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)


def _numbered(statement: str) -> str:
    """The statement with PostgreSQL's numbered parameters ($1, $2 …) for the driver's %s."""
    numbers = itertools.count(1)
    return re.sub("%s", lambda _match: f"${next(numbers)}", statement)


@cache
def _statement(*, with_caller: bool, events: int) -> str:
    """The statement for a ticket with or without a caller and with this many events. Its
    parameters: the caller's upsert, the ticket's columns but the caller (for the number, the day
    it is taken on), each event's but the ticket."""
    ticket_columns = _columns(Ticket)
    event_columns = _columns(TicketEvent)
    event_names = ", ".join(field.column for field in event_columns)
    caller_id = "(SELECT id FROM caller)" if with_caller else "NULL"
    computed = {"caller": caller_id, "number": NUMBER_SQL}
    ticket_values = ", ".join(computed.get(field.name) or _placeholder(field) for field in ticket_columns)
    event_values = ", ".join("ticket.id" if field.name == "ticket" else _placeholder(field) for field in event_columns)
    given = " UNION ALL ".join(f"SELECT {position}, {event_values} FROM ticket" for position in range(events))
    parts = [f"caller AS ({CALLER_UPSERT})"] if with_caller else []
    parts += [
        f"ticket AS (INSERT INTO {Ticket._meta.db_table} ({', '.join(field.column for field in ticket_columns)}) "
        f"SELECT {ticket_values} RETURNING id, number)",
        # Inserted in the order given, so their ids follow it.
        f"events AS (INSERT INTO {TicketEvent._meta.db_table} ({event_names}) "
        f"SELECT {event_names} FROM ({given}) AS given (position, {event_names}) ORDER BY position RETURNING id)",
    ]
    if with_caller:
        answer = "ticket.id, ticket.number, ARRAY(SELECT id FROM events ORDER BY id), caller.id, caller.name, "
        answer += "caller.is_enterprise, caller.enterprise_name, caller.sms_opt_out FROM ticket, caller"
    else:
        answer = "ticket.id, ticket.number, ARRAY(SELECT id FROM events ORDER BY id) FROM ticket"
    return f"WITH {', '.join(parts)} SELECT {answer}"


_TYPE_MODIFIER = re.compile(r"\(.*\)")


@cache
def _columns(model: type[models.Model]) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if not field.primary_key]


@cache
def _given_columns(model: type[models.Model], *, computed: str) -> list[models.Field]:
    """The columns whose values the statement's parameters give: all but the one it computes."""
    return [field for field in _columns(model) if field.name != computed]


def _placeholder(field: models.Field) -> str:
    # Typed, since PostgreSQL reads an untyped parameter in a SELECT as text; without the
    # type's length, which a cast would silently cut a value to where the insert refuses it.
    return f"%s::{_TYPE_MODIFIER.sub('', field.cast_db_type(connection))}"


def _value(field: models.Field, instance: models.Model, *, db: BaseDatabaseWrapper) -> object:
    # What the ORM's insert does per field: auto_now(_add) stamps the instance, then the
    # value is adapted for the database.
    value = field.get_db_prep_save(field.pre_save(instance, add=True), connection=db)
    # The choices' plain value: the driver adapts an enum (a str or int subclass) by walking its
    # class's bases, every time.
    return value.value if isinstance(value, Enum) else value


def _caller_values(caller: CallerInput, *, db: BaseDatabaseWrapper) -> list[object]:
    created_at = db.ops.adapt_datetimefield_value(timezone.now())
    return [caller.name, caller.is_enterprise, caller.enterprise_name, caller.sms_opt_out, created_at]


def _caller(*, phone: str, row: tuple | list, db: BaseDatabaseWrapper) -> Caller:
    pk, name, is_enterprise, enterprise_name, sms_opt_out = row
    # Loaded as from a query; created_at is left deferred, read if anyone asks.
    # bool(): SQLite answers the OR with 0/1.
    values = [pk, phone, name, bool(is_enterprise), enterprise_name, bool(sms_opt_out)]
    return Caller.from_db(db.alias, CALLER_FIELDS, values)
