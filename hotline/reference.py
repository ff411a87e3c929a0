"""Categories and units by id, kept in each process.

Every ticket taken in names a category and a street; both tables change a few times a year
(the org load, an admin's edit). Each process keeps the rows it has read and drops them all
when the shared reference version in the cache moves, which `changed()` does after every
write to either table. A process looks at the version at most once per `RECHECK_SECONDS`,
so an edit reaches the other processes within that time and the process that made it at once.

Rows are shared between requests: treat them as read-only.
"""

import time
import uuid
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

from hotline.models import Category, Unit

VERSION_KEY = "hotline:reference-version"
RECHECK_SECONDS = 1.0

Reference = TypeVar("Reference", Category, Unit)


class _Tables:
    def __init__(self) -> None:
        self.version: str | None = None
        self.checked_at = float("-inf")
        self.rows: dict[type, dict[int, Category | Unit]] = {Category: {}, Unit: {}}

    def clear(self) -> None:
        self.rows = {Category: {}, Unit: {}}


_tables = _Tables()


def _check_version() -> None:
    now = time.monotonic()
    if now - _tables.checked_at < RECHECK_SECONDS:
        return
    version = cache.get(VERSION_KEY)
    if version != _tables.version:
        _tables.clear()
        _tables.version = version
    _tables.checked_at = now


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


def changed() -> None:
    """Call after writing units or categories: once the transaction commits, every process
    reads them again."""

    def publish() -> None:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        _tables.clear()

    transaction.on_commit(publish)


def forget() -> None:
    """Drop this process's rows (tests start each case as a fresh process would)."""
    _tables.clear()
    _tables.checked_at = float("-inf")
