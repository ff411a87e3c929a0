"""Writes for the shared core: loading the org and category trees, memberships, API-client users,
heartbeats, retention."""

import csv
import json
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline import reference
from hotline.errors import DomainError
from hotline.models import (
    Category,
    Community,
    DeadlineTier,
    Heartbeat,
    Membership,
    Notification,
    Role,
    SmsMessage,
    SmsStatus,
    Unit,
    UnitKind,
    User,
    Zone,
)
from hotline.unit_names import english_name

DATA_DIR = Path(__file__).resolve().parent / "data"
UNITS_FILE = DATA_DIR / "beijing_units.csv"
CATEGORIES_FILE = DATA_DIR / "categories.json"
COMMUNITIES_FILE = DATA_DIR / "beijing_communities.csv"
ZONES_FILE = DATA_DIR / "beijing_zones.csv"


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int


def _read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a shipped CSV file, skipping its '#' provenance header."""
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def read_unit_rows(path: Path = UNITS_FILE) -> list[dict[str, str]]:
    return _read_csv(path)


def read_community_rows(path: Path = COMMUNITIES_FILE) -> list[dict[str, str]]:
    return _read_csv(path)


def read_zone_rows(path: Path = ZONES_FILE) -> list[dict[str, str]]:
    return _read_csv(path)


@dataclass(frozen=True)
class ZoneLoadResult:
    assigned: int  # districts that had no zone and got the file's
    kept: int  # districts that already had one (the file's, or an admin's choice)


@transaction.atomic
def load_zones(*, rows: Iterable[dict[str, str]]) -> ZoneLoadResult:
    """Give each district of the file its zone, unless it already has one. Idempotent.

    The zone is configurable per district (the admin): a reload fills only districts without one,
    so an admin's choice survives it. Load the units first.
    """
    districts = {unit.code: unit for unit in Unit.objects.filter(kind=UnitKind.DISTRICT).exclude(code=None)}
    assigned = kept = 0
    for row in rows:
        district = districts.get(row["code"])
        if district is None:
            raise DomainError(
                "unknown_district",
                _("The zone file names an unknown district %(code)s.") % {"code": row["code"]},
            )
        if district.zone:
            kept += 1
            continue
        district.zone = Zone(row["zone"])
        district.save(update_fields=["zone"])
        assigned += 1
    if assigned:
        reference.changed()
    return ZoneLoadResult(assigned, kept)


@transaction.atomic
def load_units(*, rows: Iterable[dict[str, str]]) -> LoadResult:
    """Create or update units from rows (parents first). Idempotent.

    A row is matched by its official code, or by (parent, name) when it has none, so an
    admin's later edits to other fields are overwritten only where the file disagrees. The
    English name is derived from the Chinese one (hotline.unit_names) and kept in step with it.
    """
    by_code: dict[str, Unit] = {u.code: u for u in Unit.objects.exclude(code=None) if u.code}
    created = updated = unchanged = 0
    for row in rows:
        parent = by_code[row["parent"]] if row["parent"] else None
        values = {
            "name": row["name"],
            "name_en": english_name(name=row["name"], kind=row["kind"], parent_name=parent.name if parent else None),
            "kind": UnitKind(row["kind"]),
            "division_type": row["division_type"],
            "parent": parent,
            "population": int(row["population"]) if row["population"] else None,
        }
        code = row["code"] or None
        unit = by_code.get(code) if code else Unit.objects.filter(parent=parent, name=row["name"]).first()
        if unit is None:
            unit = Unit.objects.create(code=code, **values)
            created += 1
        elif any(getattr(unit, field) != value for field, value in values.items()):
            for field, value in values.items():
                setattr(unit, field, value)
            unit.save()
            updated += 1
        else:
            unchanged += 1
        if code:
            by_code[code] = unit
    if created or updated:
        reference.changed()
    return LoadResult(created, updated, unchanged)


@transaction.atomic
def load_communities(*, rows: Iterable[dict[str, str]]) -> LoadResult:
    """Create or update communities from rows, matched by their 12-digit code. Idempotent.

    A row names its street by the 9-digit street code, the first 9 digits of a street's or
    functional zone's 12-digit code: load the units first. A community is never deleted (tickets
    may come to name it); one missing from a newer file is for an admin to mark inactive.
    """
    streets = {
        unit.code[:9]: unit
        for unit in Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE]).exclude(code=None)
        if unit.code
    }
    existing = {c.code: c for c in Community.objects.all()}
    created = updated = unchanged = 0
    new: list[Community] = []
    edited: list[Community] = []
    for row in rows:
        street = streets.get(row["street_code"])
        if street is None or not row["code"].startswith(row["street_code"]):
            raise DomainError(
                "unknown_street",
                _("Community %(code)s names an unknown street %(street)s.")
                % {"code": row["code"], "street": row["street_code"]},
            )
        community = existing.get(row["code"])
        if community is None:
            new.append(Community(code=row["code"], name=row["name"], street=street))
            created += 1
        elif (community.name, community.street_id) != (row["name"], street.pk):
            community.name, community.street = row["name"], street
            edited.append(community)
            updated += 1
        else:
            unchanged += 1
    Community.objects.bulk_create(new, batch_size=1000)
    Community.objects.bulk_update(edited, ["name", "street"], batch_size=1000)
    if created or updated:
        reference.changed()
    return LoadResult(created, updated, unchanged)


def read_category_tree(path: Path = CATEGORIES_FILE) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        tree: list[dict[str, Any]] = json.load(f)
    return tree


@transaction.atomic
def load_categories(*, tree: list[dict[str, Any]]) -> LoadResult:
    """Create or update the category tree, matched by stable code. Idempotent."""
    existing = {c.code: c for c in Category.objects.all()}
    counts = {"created": 0, "updated": 0, "unchanged": 0}

    def upsert(node: dict[str, Any], parent: Category | None, level: int) -> None:
        values = {
            "name": node["name"],
            "name_en": node.get("name_en", ""),
            "parent": parent,
            "level": level,
            "default_tier": DeadlineTier(node.get("tier", DeadlineTier.GENERAL)),
            "is_functional": node.get("functional", False),
        }
        category = existing.get(node["code"])
        if category is None:
            category = Category.objects.create(code=node["code"], **values)
            counts["created"] += 1
        elif any(getattr(category, field) != value for field, value in values.items()):
            for field, value in values.items():
                setattr(category, field, value)
            category.save()
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
        for child in node.get("children", []):
            upsert(child, category, level + 1)

    for root in tree:
        upsert(root, None, 1)
    if counts["created"] or counts["updated"]:
        reference.changed()
    return LoadResult(**counts)


def grant_role(*, user: User, unit: Unit, role: Role) -> Membership:
    membership, created = Membership.objects.get_or_create(user=user, unit=unit, role=role)
    if created:
        reference.changed()
    return membership


def create_api_client_user(*, name: str, username_prefix: str) -> User:
    """A user for a client system, with the API-client role in the hotline centre. It has no
    password: the system authenticates with its key or token, never through the login page."""
    center = Unit.objects.filter(kind=UnitKind.HOTLINE_CENTER).order_by("pk").first()
    if center is None:
        raise DomainError("no_hotline_center", _("Load the organisation tree first: there is no hotline centre unit."))
    with transaction.atomic():
        user = User(username=f"{username_prefix}-{secrets.token_hex(6)}", full_name=name[:64])
        user.set_unusable_password()
        user.save()
        grant_role(user=user, unit=center, role=Role.API_CLIENT)
    return user


def record_heartbeat() -> Heartbeat:
    return Heartbeat.objects.create(worker=socket.gethostname())


def prune_heartbeats(*, keep_days: int = 7) -> int:
    deleted, _ = Heartbeat.objects.filter(created_at__lt=timezone.now() - timedelta(days=keep_days)).delete()
    return deleted


@dataclass(frozen=True)
class PruneResult:
    notifications: int
    sms: int


def _delete_in_batches(rows: QuerySet[Any], *, batch: int) -> int:
    """Delete `rows` oldest first, `batch` at a time, each batch its own short transaction:
    a large backlog never holds locks or a transaction for long, and an interrupted run has
    kept what it deleted."""
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(rows.order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                return deleted
            count, _ = rows.model.objects.filter(pk__in=ids).delete()
            deleted += count


def prune_messages(*, now: datetime | None = None, batch: int = 5000) -> PruneResult:
    """Delete in-app notifications and SMS records past their retention (NOTIFICATION_RETENTION,
    SMS_RETENTION). SMS records hold phone numbers: keeping them no longer than needed is data
    minimisation. Pending SMS are kept whatever their age: they are still to be sent."""
    now = now or timezone.now()
    notifications = Notification.objects.filter(created_at__lt=now - settings.NOTIFICATION_RETENTION)
    sms = SmsMessage.objects.filter(created_at__lt=now - settings.SMS_RETENTION).exclude(status=SmsStatus.PENDING)
    return PruneResult(
        notifications=_delete_in_batches(notifications, batch=batch),
        sms=_delete_in_batches(sms, batch=batch),
    )
