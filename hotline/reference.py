"""Reference data kept in each process: categories and units by id, each user's roles, and
what is derived from them (the address resolver's index of places).

Every request checks its user's roles, and every ticket taken in names a category and a
street; all three change rarely (the org load, an admin's edit, a granted role), and so do
communities. Each process
keeps what it has read and drops it all when the shared reference version in the cache moves,
which `changed()` does after every write to any of them. A process looks at the version at
most once per `RECHECK_SECONDS`, so a change reaches the other processes within that time (a
revoked role too) and the process that made it at once.

Without Redis (the version cannot be read or published) the process carries on from the
database: it keeps the categories, units and derived structures it has, but reads roles from
the database again at every recheck, so a revoked role still takes effect within
`RECHECK_SECONDS`; and once the version can be read again it drops everything, since changes
made meanwhile could not be announced. A change this process could not publish is published at
its first recheck that reaches Redis. Each fallback is counted and logged (`hotline.degraded`).

Rows are shared between requests: treat them as read-only.
"""

import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

from hotline import degraded
from hotline.models import Category, Membership, Unit

VERSION_KEY = "hotline:reference-version"
RECHECK_SECONDS = 1.0
# The version a process holds while Redis is unreachable: equal to none that Redis holds.
UNREADABLE = "unreadable"

Reference = TypeVar("Reference", Category, Unit)
Derived = TypeVar("Derived")


class _Tables:
    def __init__(self) -> None:
        self.version: str | None = None
        self.checked_at = float("-inf")
        self.rows: dict[type, dict[int, Category | Unit]] = {Category: {}, Unit: {}}
        self.roles: dict[int, frozenset[str]] = {}
        self.derived: dict[str, Any] = {}
        self.unpublished = False

    def clear(self) -> None:
        self.rows = {Category: {}, Unit: {}}
        self.roles = {}
        self.derived = {}


_tables = _Tables()


def _check_version() -> None:
    now = time.monotonic()
    if now - _tables.checked_at < RECHECK_SECONDS:
        return
    _tables.checked_at = now
    try:
        if _tables.unpublished:
            _publish()
        version = cache.get(VERSION_KEY)
    except degraded.REDIS_ERRORS as error:
        degraded.record(what="reference data", error=error)
        _tables.roles = {}
        _tables.version = UNREADABLE
        return
    if version != _tables.version:
        _tables.clear()
        _tables.version = version


def _publish() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    _tables.unpublished = False


def get(model: type[Reference], *, pk: int) -> Reference | None:
    """The category or unit with this id (its parent loaded), or None if there is none."""
    _check_version()
    rows = _tables.rows[model]
    row = rows.get(pk)
    if row is None:
        # Read on first use, with the parent: a street's district is derived from it.
        row = model.objects.select_related("parent").filter(pk=pk).first()
        if row is not None:
            rows[pk] = row
    return row


def get_many(model: type[Reference], *, pks: Iterable[int | None]) -> dict[int, Reference]:
    """The categories or units with these ids (None ids skipped), those not yet read loaded in
    one query with their parents; an id with no row is absent from the answer."""
    _check_version()
    rows = _tables.rows[model]
    wanted = {pk for pk in pks if pk is not None}
    if missing := wanted - rows.keys():
        rows.update((row.pk, row) for row in model.objects.select_related("parent").filter(pk__in=missing))
    return {pk: rows[pk] for pk in wanted if pk in rows}  # type: ignore[misc]  # rows holds this model's


def category_chain(category: Category) -> list[Category]:
    """The category and its ancestors, leaf first, from this process's rows."""
    chain: list[Category] = []
    node: Category | None = category
    while node is not None:
        chain.append(node)
        node = get(Category, pk=node.parent_id) if node.parent_id else None
    return chain


def roles_of(*, user_id: int) -> frozenset[str]:
    """The roles a user holds in any unit."""
    _check_version()
    roles = _tables.roles.get(user_id)
    if roles is None:
        roles = frozenset(Membership.objects.filter(user_id=user_id).values_list("role", flat=True))
        _tables.roles[user_id] = roles
    return roles


def derived(key: str, build: Callable[[], Derived]) -> Derived:
    """A structure built from the reference tables (e.g. the unit search index, the address
    resolver's index of places), built once per process and again after the next change."""
    _check_version()
    if key not in _tables.derived:
        _tables.derived[key] = build()
    return _tables.derived[key]


def changed() -> None:
    """Call after writing units, communities, categories or memberships: once the transaction
    commits, every process reads them again."""

    def publish() -> None:
        _tables.clear()
        try:
            _publish()
        except degraded.REDIS_ERRORS as error:  # the transaction has committed: keep the request's answer
            degraded.record(what="reference data", error=error)
            _tables.unpublished = True

    transaction.on_commit(publish)


def forget() -> None:
    """Drop this process's rows (tests start each case as a fresh process would)."""
    _tables.clear()
    _tables.checked_at = float("-inf")
    _tables.unpublished = False
