"""Reads for the shared core: who holds which role where, and which units a user may see."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, connection
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from hotline import degraded, unit_search
from hotline.models import Category, Heartbeat, Membership, Role, Unit, UnitKind, User
from hotline.redis_cache import redis_client
from hotline.roles import DISTRICT_WIDE_ROLES, HOTLINE_ROLES, holds, user_roles


def is_hotline_staff(*, user: User) -> bool:
    return holds(user=user, roles=HOTLINE_ROLES)


# Where `/` sends each role, the first role the user holds winning: the hotline's own roles before
# the units' (a dispatcher who also answers calls dispatches), and among them the widest view first.
# A district supervisor lands on supervision: overdue tickets are escalated to them, and that is
# where they act on them (督办); the analytics overview is one click away in the navigation.
HOME_PAGES = (
    (Role.HOTLINE_SUPERVISOR, "analytics:overview"),
    (Role.CITY_ADMIN, "analytics:overview"),
    (Role.DISPATCHER, "dispatch:queue"),
    (Role.CALLBACK_AGENT, "evaluation:callback_queue"),
    (Role.AGENT, "intake:desk"),
    (Role.DISTRICT_SUPERVISOR, "dispatch:supervision"),
    (Role.DISTRICT_DISPATCHER, "dispatch:workbench"),
    (Role.UNIT_LEADER, "dispatch:workbench"),
    (Role.UNIT_OFFICER, "dispatch:workbench"),
)


def home_url_for(*, user: User) -> str | None:
    """The page a user's work starts on, by HOME_PAGES; None for a user with no such role."""
    roles = user_roles(user=user)
    for role, url_name in HOME_PAGES:
        if role in roles:
            return reverse(url_name)
    return None


def count_each(**querysets: QuerySet[Any, Any]) -> dict[str, int]:
    """The row count of each queryset in one round trip (one SELECT of scalar COUNT subqueries):
    the navigation's pending counts cost one query per app, however many it shows."""
    if not querysets:
        return {}
    parts: list[str] = []
    params: list[Any] = []
    for number, queryset in enumerate(querysets.values()):
        sql, query_params = queryset.order_by().values("pk").query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) counted_{number})")
        params.extend(query_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(querysets, row, strict=True))


def memberships_of(*, user: User) -> QuerySet[Membership]:
    return memberships_of_queryset().filter(user=user)


def user_with_memberships(*, user_id: int) -> User:
    return User.objects.prefetch_related(Prefetch("memberships", queryset=memberships_of_queryset())).get(pk=user_id)


def memberships_of_queryset() -> QuerySet[Membership]:
    return Membership.objects.select_related("unit").order_by("unit__name", "role")


def units_in_district(*, district_id: int) -> QuerySet[Unit]:
    """The district itself and every unit directly under it (streets, zones, departments)."""
    return Unit.objects.filter(Q(pk=district_id) | Q(parent_id=district_id))


def membership_rows(*, user: User) -> list[tuple[int, str, str]]:
    """(unit id, role, unit kind) of each of the user's memberships, in one query."""
    return list(Membership.objects.filter(user=user).values_list("unit_id", "role", "unit__kind"))


def scoped_unit_ids(*, user: User, memberships: Iterable[tuple[int, str, str]] | None = None) -> set[int] | None:
    """Ids of the units whose tickets a user may see; None means every unit (hotline roles).

    Unit staff see their own units; district supervisors and sub-centre dispatchers their whole
    district. `memberships`: the user's `membership_rows`, when the caller has read them.
    """
    if is_hotline_staff(user=user):
        return None
    if memberships is None:
        memberships = membership_rows(user=user)
    ids: set[int] = set()
    for unit_id, role, kind in memberships:
        if role in DISTRICT_WIDE_ROLES and kind == UnitKind.DISTRICT:
            ids.update(units_in_district(district_id=unit_id).values_list("pk", flat=True))
        else:
            ids.add(unit_id)
    return ids


def districts() -> QuerySet[Unit]:
    return Unit.objects.filter(kind=UnitKind.DISTRICT, is_active=True).order_by("code")


def search_units(
    *, query: str, kinds: Collection[str], within: int | None = None, limit: int = 20
) -> list[unit_search.UnitMatch]:
    """Active units matching a name, short name, full pinyin or pinyin initials, best first
    (ties by kind, then code); `kinds` empty means any kind, `within` a district's id."""
    return unit_search.search(query=query, kinds=kinds, within=within, limit=limit)


def leaf_categories() -> QuerySet[Category]:
    return Category.objects.filter(level=3, is_active=True).select_related("parent__parent").order_by("code")


def last_heartbeat() -> Heartbeat | None:
    return Heartbeat.objects.order_by("-created_at").first()


def workers_alive() -> bool:
    return _fresh(last_heartbeat())


def _fresh(beat: Heartbeat | None) -> bool:
    return beat is not None and timezone.now() - beat.created_at <= settings.HEARTBEAT_MAX_AGE


@dataclass(frozen=True)
class Health:
    """Each part "ok" or what is wrong with it ("down", "stale"; "unknown" when it cannot be told)."""

    database: str
    redis: str
    workers: str
    last_heartbeat: datetime | None

    @property
    def healthy(self) -> bool:
        return all(part in {"ok", "not used"} for part in (self.database, self.redis, self.workers))


def health() -> Health:
    """The database, Redis (one PING, within the cache's short timeouts) and the workers (the
    beat-driven heartbeat no older than HEARTBEAT_MAX_AGE), each told apart."""
    try:
        beat = last_heartbeat()
    except DatabaseError:
        return Health(database="down", redis=_redis_state(), workers="unknown", last_heartbeat=None)
    workers = "ok" if _fresh(beat) else "stale"
    return Health(
        database="ok", redis=_redis_state(), workers=workers, last_heartbeat=beat.created_at if beat else None
    )


def _redis_state() -> str:
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return "not used"  # no REDIS_URL: in-process cache and the filesystem broker
    try:
        redis_client(cache).ping()
    except degraded.REDIS_ERRORS:
        return "down"
    return "ok"
