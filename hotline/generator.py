"""Realistic ticket data at city scale, loaded with PostgreSQL COPY.

Calibrated on Beijing 12345's 2020 disclosure (seed 002): channel mix (phone 91.32 %, of
which the enterprise line 0.56 %; online 8.68 %), direct answers 60.04 % vs dispatch 39.96 %
(per top category where the report gives it), the published top categories and their main
sub-issues, districts weighted by census population and the published per-10k volumes,
handling-unit kinds by their shares (the districts 39.55 %, streets 38.99 %, city departments
12.42 %, enterprises 6.97 %, platforms 2.06 %), full lifecycles with their events,
callbacks with resolution ≈ 86 % and satisfaction ≈ 89 %, and seasonal curves (heating in
winter, a summer peak for complaints). Lifecycles are cut at `now`: recent tickets are still
open at the unit or awaiting their callback, as in a live system.

The districts' share goes to the district itself (its sub-centre, 区分中心), which passes most of
it down a level, as in reality: a second lead assignment below the district's (`parent`), at one
of its departments or at the ticket's street/township, inside the district's deadline; the unit
replies to the district, which confirms the reply as its own, and the callback's result counts for
both (`passed_down_to`). The district handles the rest itself.

The generator writes the tables directly (it is a bulk loader, not a client of the services):
ids are assigned in blocks so that several processes COPY in parallel, and the sequences and
the tracking-number counters are moved past the data at the end.
"""

import io
import math
import random
import sys
import time
from bisect import bisect
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import accumulate
from multiprocessing import get_context
from multiprocessing.sharedctypes import Synchronized
from zoneinfo import ZoneInfo

import psycopg2

from intake.numbers import ADVANCE_SEQUENCES_SQL, LAST_NUMBERS_SQL

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = 86400

# Published 2020 volumes of the top-10 categories (10k contacts) and their direct-answer ratios.
TOP_CATEGORIES = {
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
# The rest of the 1022.3 (10k) spread over the other top-level categories.
OTHER_CATEGORIES_VOLUME = 1022.3 - sum(volume for volume, _ratio in TOP_CATEGORIES.values())
OTHER_DIRECT_RATIO = 0.66
# The largest sub-issue's share of its category, as published.
MAIN_SUB_SHARE = {
    "卫生安全": 0.8799,
    "网络交易": 0.5527,
    "供暖": 0.2419,
    "房产中介": 0.2443,
    "疾病防控": 0.3916,
    "施工管理": 0.3360,
    "停车管理": 0.4957,
    "涉众经济案件": 0.3957,
    "社会办学": 0.7231,
    "拖欠工资": 0.5409,
}
# Volume per 10,000 residents where the report names it; others at the city's middle.
PER_10K = {"门头沟区": 2806, "密云区": 2100, "平谷区": 2050, "怀柔区": 2020, "顺义区": 2010, "昌平区": 939}
PER_10K_DEFAULT = 1500
CHANNELS = [
    ("phone", 90.76),
    ("enterprise_line", 0.56),
    ("wechat", 3.2),
    ("weibo", 0.6),
    ("app", 2.2),
    ("web", 1.8),
    ("message_board", 0.88),
]
KINDS = [("consultation", 44), ("help", 18), ("complaint", 22), ("report", 5), ("suggestion", 9), ("praise", 2)]
# "16个区承办 39.55 %": what the hotline dispatches to a district's sub-centre (see PASSED_DOWN).
UNIT_KINDS = [
    ("district", 39.55),
    ("street", 38.99),
    ("city_department", 12.42),
    ("state_enterprise", 6.97),
    ("platform_company", 2.06),
]
# The share of its tickets a district passes down a level (the rest its sub-centre handles itself),
# and of those the share that goes to a district department rather than the ticket's street/township
# (not published: the report gives the districts' total only).
PASSED_DOWN = 0.87
PASSED_TO_DEPARTMENT = 0.5
CLOSING = [("transferred_110", 3), ("transferred_119", 1), ("transferred_120", 1), ("legal_route", 3), ("explained", 4)]
# Month-of-year volume factors (the report: low in February, high in summer and November).
MONTH_FACTOR = [1.0, 0.75, 0.9, 1.0, 1.0, 1.05, 1.1, 1.15, 1.05, 1.0, 1.15, 1.05]
HEATING_MONTHS = {11, 12, 1, 2, 3}
TIER_SECONDS = {"emergency": 2 * 3600, "utility": 24 * 3600, "general": 7 * DAY, "complex": 15 * DAY}

DIRECT_ANSWERS = [
    "已根据知识库向来电人解答。",
    "已告知办理流程和所需材料。",
    "已告知相关政策规定及咨询电话。",
]
REPLIES = [
    "经现场核实，问题已处理完毕，已电话告知来电人。",
    "已协调相关单位整改，来电人表示认可。",
    "已向来电人解释相关政策，并提供后续办理渠道。",
]
PLACES = ["小区", "社区", "村", "家园", "花园", "西里", "北里", "南区"]


def _weighted(pairs: list[tuple[object, float]]) -> tuple[list[object], list[float]]:
    values = [value for value, _weight in pairs]
    cumulative = list(accumulate(weight for _value, weight in pairs))
    return values, cumulative


@dataclass
class Reference:
    """What the generator reads from the database once: categories, units, actors, id bases."""

    categories: dict  # top name -> (volume weight, direct ratio, [(leaf id, tier, is_heating, leaf name, sub weight)])
    districts: list  # (id, name, weight, [street ids], [district department ids])
    units_by_kind: dict[str, list[int]]
    unit_names: dict[int, str]
    actors: dict[str, int]
    bases: dict[str, int]
    counters: dict[str, int] = field(default_factory=dict)  # "YYYYMMDD" -> last sequence used


def load_reference(connection, *, postgres: bool) -> Reference:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT leaf.id, leaf.name, leaf.default_tier, mid.name, top.name FROM hotline_category leaf "
            "JOIN hotline_category mid ON mid.id = leaf.parent_id JOIN hotline_category top ON top.id = mid.parent_id "
            "WHERE leaf.level = 3 AND leaf.is_active ORDER BY leaf.code"
        )
        leaves = cursor.fetchall()
        cursor.execute("SELECT id, name, kind, parent_id, population FROM hotline_unit WHERE is_active")
        units = cursor.fetchall()
        bases = {}
        for table in (
            "intake_ticket",
            "intake_ticketevent",
            "intake_caller",
            "dispatch_assignment",
            "evaluation_callback",
        ):
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
            bases[table] = cursor.fetchone()[0]
        # On PostgreSQL the days with a sequence of their own may have gone past their counters.
        cursor.execute(LAST_NUMBERS_SQL if postgres else "SELECT day, last FROM intake_ticketnumbercounter")
        # A date from psycopg2, 'YYYY-MM-DD' text from SQLite.
        counters = {str(day).replace("-", ""): last for day, last in cursor.fetchall()}
    if not leaves or not units:
        raise RuntimeError("Load the organisation and categories first: manage.py load_org")
    by_top: dict[str, dict[str, list]] = {}
    for leaf_id, leaf_name, tier, mid, top in leaves:
        by_top.setdefault(top, {}).setdefault(mid, []).append((leaf_id, tier, mid == "供暖", leaf_name))
    others = [top for top in by_top if top not in TOP_CATEGORIES]
    categories = {}
    for top, subs in by_top.items():
        volume, ratio = TOP_CATEGORIES.get(top, (OTHER_CATEGORIES_VOLUME / max(len(others), 1), OTHER_DIRECT_RATIO))
        main = next((name for name in subs if name in MAIN_SUB_SHARE), None)
        leaves_weighted = []
        for sub, sub_leaves in subs.items():
            if main is None:
                share = 1 / len(subs)
            elif sub == main:
                share = MAIN_SUB_SHARE[main]
            else:
                share = (1 - MAIN_SUB_SHARE[main]) / (len(subs) - 1)
            leaves_weighted += [(*leaf, share / len(sub_leaves)) for leaf in sub_leaves]
        categories[top] = (volume, ratio, leaves_weighted)
    children: dict[int, list[tuple[int, str]]] = {}
    for unit_id, _name, kind, parent_id, _population in units:
        children.setdefault(parent_id, []).append((unit_id, kind))
    districts = []
    for unit_id, name, kind, _parent, population in units:
        if kind == "district":
            weight = (population or 0) * PER_10K.get(name, PER_10K_DEFAULT)
            streets = [u for u, k in children.get(unit_id, []) if k in ("street", "functional_zone")]
            departments = [u for u, k in children.get(unit_id, []) if k == "district_department"]
            districts.append((unit_id, name, weight, streets, departments))
    units_by_kind: dict[str, list[int]] = {}
    for unit_id, _name, kind, _parent, _population in units:
        units_by_kind.setdefault(kind, []).append(unit_id)
    return Reference(
        categories=categories,
        districts=sorted(districts),
        units_by_kind=units_by_kind,
        unit_names={unit_id: name for unit_id, name, *_rest in units},
        actors=ensure_actors(connection),
        bases=bases,
        counters=counters,
    )


ACTOR_ROLES = ("agent", "dispatcher", "officer", "district")


def ensure_actors(connection) -> dict[str, int]:
    """The system users the generated events name as actors (agent, dispatcher, unit officer, and
    the districts' sub-centre dispatcher)."""
    actors = {}
    with connection.cursor() as cursor:
        for role in ACTOR_ROLES:
            username = f"generated-{role}"
            cursor.execute(
                "INSERT INTO hotline_user (password, is_superuser, username, first_name, last_name, email, "
                "is_staff, is_active, date_joined, full_name, mobile) "
                "VALUES ('!', %s, %s, '', '', '', %s, %s, %s, %s, '') "
                "ON CONFLICT (username) DO UPDATE SET username = EXCLUDED.username RETURNING id",
                [False, username, False, False, datetime.now(UTC).isoformat(sep=" "), f"生成数据 {role}"],
            )
            actors[role] = cursor.fetchone()[0]
    return actors


def day_counts(*, tickets: int, start: date, days: int, rng: random.Random) -> list[int]:
    """Split the total over the days by month factor and weekday (weekends are quieter)."""
    weights = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        weights.append(MONTH_FACTOR[day.month - 1] * (0.8 if day.weekday() >= 5 else 1.0) * rng.uniform(0.9, 1.1))
    total = sum(weights)
    counts = [int(tickets * weight / total) for weight in weights]
    for index in range(tickets - sum(counts)):
        counts[index % days] += 1
    return counts


@dataclass
class Chunk:
    day_offsets: list[int]
    first_ticket: int  # local index of the chunk's first ticket (0-based over the whole run)
    counts: list[int]


TABLE_COLUMNS = {
    "intake_caller": "id, phone, name, is_enterprise, enterprise_name, created_at",
    "intake_ticket": (
        "id, number, channel, kind, confidential, address, title, description, urgency, deadline_tier, "
        "tier_override_reason, disposition, status, answer, public_reply, created_at, updated_at, closed_at, "
        "caller_id, category_id, created_by_id, district_id, street_id"
    ),
    "dispatch_assignment": (
        "id, ticket_id, unit_id, parent_id, role, status, dispatched_at, dispatched_by_id, sign_due_at, "
        "signed_at, signed_by_id, first_contact_due_at, first_contacted_at, due_at, replied_at, replied_by_id, "
        "reply, outcome, explanation, returned, ended_at, late_sign_marked_at, overdue_at, next_alert_stage, "
        "next_alert_at"
    ),
    "evaluation_callback": (
        "id, ticket_id, caller_id, unit_id, passed_down_to_id, is_primary, round, due_at, status, attempts, "
        "resolution, satisfaction, unit_at_fault, comment, answered_online, completed_at, completed_by_id, created_at"
    ),
}
NULL = "\\N"


@cache
def _day_cdf() -> list[float]:
    """The share of a day's tickets created before the end of each second of the local day.

    Office hours dominate: a Beta(2.2, 2.0) curve over the day, integrated per second. Drawing a
    second by bisection on it costs a fraction of `random.betavariate`.
    """
    density = [((second + 0.5) / DAY) ** 1.2 * (1 - (second + 0.5) / DAY) for second in range(DAY)]
    total = sum(density)
    cdf = list(accumulate(value / total for value in density))
    cdf[-1] = 1.0
    return cdf


def _category_table(ref: Reference, *, winter: bool) -> tuple[list[tuple], list[float]]:
    """Every (leaf id, tier, leaf name, direct ratio) with its probability in the season, in one table.

    A top category is drawn by volume, then a leaf by its sub-issue share. In winter 6 % of the
    tickets are about heating (any heating leaf, answered at the 公共服务 ratio); outside it, a
    heating leaf is drawn again from the same top category, so that few remain.
    """
    total_volume = sum(volume for volume, _ratio, _leaves in ref.categories.values())
    heating = [leaf for _volume, _ratio, leaves in ref.categories.values() for leaf in leaves if leaf[2]]
    general = 0.94 if winter and heating else 1.0
    entries: list[tuple[tuple, float]] = []
    for volume, ratio, leaves in ref.categories.values():
        shares = sum(leaf[4] for leaf in leaves)
        heating_share = 0.0 if winter else sum(leaf[4] for leaf in leaves if leaf[2]) / shares
        for leaf_id, tier, is_heating, name, share in leaves:
            kept = heating_share if is_heating and not winter else 1.0 + heating_share
            entries.append(((leaf_id, tier, name, ratio), general * volume / total_volume * share / shares * kept))
    if general < 1.0:
        ratio = ref.categories["公共服务"][1]
        entries += [((leaf_id, tier, name, ratio), 0.06 / len(heating)) for leaf_id, tier, _h, name, _s in heating]
    return _weighted(entries)


class ChunkGenerator:
    """Generates the tickets of a run of days as COPY rows (tickets, assignments, callbacks).

    Built once per generating process: the draws are bisections in tables joined ahead (district
    and street, channel and kind, category in its season) and the places and timestamps are text
    ahead, so that a ticket costs a few microseconds. Events are not written here: `EVENTS_SQL`
    derives them from the lifecycle timestamps in the database, set-based, after the COPY.
    """

    def __init__(self, ref: Reference, *, start_epoch_day: int, days: int, now_epoch: int, caller_pool: int):
        self.ref = ref
        self.now = now_epoch
        self.caller_pool = caller_pool
        self.random = random.Random().random
        first, last = start_epoch_day - 1, start_epoch_day + days + 40
        day_text = {d: datetime.fromtimestamp(d * DAY, UTC).strftime("%Y-%m-%d ") for d in range(first, last)}
        hms = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(DAY)]

        def ts(epoch: int | None) -> str:
            return NULL if epoch is None else day_text[epoch // DAY] + hms[epoch % DAY]

        self.ts = ts
        self.day_cdf = _day_cdf()
        # A district by its volume, then one of its streets uniformly; each with its 480 places.
        locations = []
        for district_id, district_name, weight, streets, departments in ref.districts:
            for street_id in streets or [None]:
                name = ref.unit_names.get(street_id, district_name)
                places = [f"{name}{number}号{place}" for number in range(1, 61) for place in PLACES]
                street = NULL if street_id is None else str(street_id)
                locations.append(((district_id, street_id, street, departments, places), weight / max(len(streets), 1)))
        self.locations = _weighted(locations)
        self.categories = {winter: _category_table(ref, winter=winter) for winter in (False, True)}
        self.origins = _weighted(
            [(f"{channel}\t{kind}", c_weight * k_weight) for channel, c_weight in CHANNELS for kind, k_weight in KINDS]
        )
        self.unit_kinds, self.closings = _weighted(UNIT_KINDS), _weighted(CLOSING)
        self.agent, self.dispatcher, self.officer, self.district = (ref.actors[r] for r in ACTOR_ROLES)
        self.rows: dict[str, list[str]] = {}
        self.counters: dict[str, int] = {}

    def chunk(self, chunk: Chunk, *, start_epoch_day: int, seed: int) -> None:
        """All tickets of the chunk's days into `rows`; the days' last tracking numbers into `counters`."""
        self.random = random.Random(seed).random
        self.rows = {table: [] for table in ("intake_ticket", "dispatch_assignment", "evaluation_callback")}
        self.counters = {}
        local = chunk.first_ticket
        for day_offset, count in zip(chunk.day_offsets, chunk.counts, strict=True):
            local = self.day(epoch_day=start_epoch_day + day_offset, count=count, first_local=local)

    def day(self, *, epoch_day: int, count: int, first_local: int, spike: tuple[tuple, tuple] | None = None) -> int:
        """All tickets of one Asia/Shanghai day; returns the next local index. With `spike` (a
        location and a category entry), every ticket is about that problem in that place."""
        random_, ts, now, ref = self.random, self.ts, self.now, self.ref
        local_date = datetime.fromtimestamp(epoch_day * DAY, UTC).date()
        day_key = local_date.strftime("%Y%m%d")
        sequence = self.counters.get(day_key) or ref.counters.get(day_key, 0)
        locations, location_weights = self.locations
        location_total = location_weights[-1]
        categories, category_weights = self.categories[local_date.month in HEATING_MONTHS]
        category_total = category_weights[-1]
        origins, origin_weights = self.origins
        origin_total = origin_weights[-1]
        ticket_base, caller_base, pool = ref.bases["intake_ticket"], ref.bases["intake_caller"], self.caller_pool
        agent, dispatch = self.agent, self.dispatch
        tickets = self.rows["intake_ticket"]
        day_start = epoch_day * DAY - 8 * 3600
        latest = now - 3660  # created at most 1 to 61 minutes before `now`
        local = first_local
        day_cdf = self.day_cdf
        for offset in sorted([bisect(day_cdf, random_()) for _ in range(count)]):
            created = day_start + offset
            if created > latest:
                created = min(created, now - 60 - int(random_() * 3600))
            sequence += 1
            if spike is None:
                district_id, street_id, street, departments, places = locations[
                    bisect(location_weights, random_() * location_total)
                ]
                leaf_id, tier, leaf_name, direct_ratio = categories[
                    bisect(category_weights, random_() * category_total)
                ]
            else:
                (district_id, street_id, street, departments, places), (leaf_id, tier, leaf_name, direct_ratio) = spike
            ticket_id = ticket_base + local
            caller_id = caller_base + int(random_() * pool)
            if random_() < direct_ratio:
                disposition, status, answer, reply, closed, updated = self.answer_at_intake(created)
            else:
                disposition, status, answer = "dispatched", "awaiting_dispatch", ""
                status, reply, closed, updated = dispatch(
                    local, ticket_id, created, caller_id, tier, (district_id, street_id, departments)
                )
            place = places[int(random_() * 480)]
            tickets.append(
                f"{ticket_id}\t{day_key}{sequence:06d}\t{origins[bisect(origin_weights, random_() * origin_total)]}\t"
                f"f\t{place}\t{leaf_name}（{place}）\t来电人反映{place}{leaf_name}问题，希望尽快处理。\t"
                f"{'emergency' if tier == 'emergency' else 'normal'}\t{tier}\t\t{disposition}\t{status}\t{answer}\t"
                f"{reply}\t{ts(created)}\t{ts(updated)}\t{ts(closed)}\t{caller_id}\t{leaf_id}\t{agent}\t"
                f"{district_id}\t{street}\n"
            )
            local += 1
        if count:
            self.counters[day_key] = sequence
        return local

    def answer_at_intake(self, created: int) -> tuple[str, str, str, str, int | None, int]:
        """Answered (or closed) by the agent within minutes: disposition, status, answer, reply, closed, updated."""
        random_ = self.random
        done = created + 120 + int(random_() * 780)
        if done > self.now:
            return "", "received", "", "", None, created
        if random_() < 0.05:
            closings, weights = self.closings
            disposition = closings[bisect(weights, random_() * weights[-1])]
        else:
            disposition = "answered_directly"
        return disposition, "closed", DIRECT_ANSWERS[int(random_() * len(DIRECT_ANSWERS))], "", done, done

    def _handling_unit(self, place: tuple[int, int | None, list[int]]) -> tuple[int, int | None]:
        """The lead unit the hotline dispatches to and, for a district, the unit inside it the district
        passes the ticket down to (None: the lead handles the ticket itself)."""
        district_id, street_id, departments = place
        random_ = self.random
        kinds, weights = self.unit_kinds
        kind = kinds[bisect(weights, random_() * weights[-1])]
        if kind == "street" and street_id:
            return street_id, None
        if kind == "district":
            if random_() >= PASSED_DOWN or not (street_id or departments):
                return district_id, None
            if departments and (not street_id or random_() < PASSED_TO_DEPARTMENT):
                return district_id, departments[int(random_() * len(departments))]
            return district_id, street_id
        pool = self.ref.units_by_kind.get(kind) or self.ref.units_by_kind["city_department"]
        return pool[int(random_() * len(pool))], None

    def dispatch(
        self, local: int, ticket_id: int, created: int, caller_id: int, tier: str, place: tuple
    ) -> tuple[str, str, int | None, int]:
        """Queue, dispatch, sign, contact, reply and call back, each step only if it is in the past.

        A ticket dispatched to a district is passed down a level most of the time (`PASSED_DOWN`):
        the district signs, passes it down within minutes, its unit signs, contacts the caller and
        replies to the district, which confirms the reply as its own; every step of the unit below
        by the district's deadline, as `dispatch.services.subdispatch` sets them.

        Returns the ticket's status, public reply, closing and update times.
        """
        random_, now = self.random, self.now
        dispatched = created + 240 + int(random_() * 1800)
        if dispatched > now:
            return "awaiting_dispatch", "", None, created
        unit, inside = self._handling_unit(place)
        span = TIER_SECONDS[tier]
        sign_seconds = 900 if tier == "emergency" else 3600
        due = dispatched + span
        signed = dispatched + (3600 + int(random_() * 10800) if random_() < 0.04 else 60 + int(random_() * 2940))
        signed = signed if signed <= now else None
        passed = sub_signed = None
        if signed and inside:
            passed = signed + 60 + int(random_() * 840)
            if passed >= due:
                # Signed too late to pass it down (the district's deadline has passed): it handles it itself.
                inside = passed = None
            elif passed > now:
                passed = None  # signed, to be passed down
            else:
                sub_signed = passed + 60 + int(random_() * 1140)
                sub_signed = sub_signed if sub_signed <= now else None
        # The unit that contacts the caller and writes the reply: the lead, or the one below it.
        handler_signed = sub_signed if inside else signed
        contact = replied = final = None
        if handler_signed:
            contact = handler_signed + (
                7300 + int(random_() * 12700) if random_() < 0.05 else 300 + int(random_() * 6700)
            )
            late = random_() < 0.06
            replied = max(
                dispatched + int(span * (1.0 + 0.3 * random_() if late else 0.1 + 0.85 * random_())), contact + 60
            )
            # The district confirms its unit's reply within a few hours (an emergency's within minutes).
            final = replied + 120 + int(random_() * min(4 * 3600, span // 20)) if inside else replied
            contact = contact if contact <= now else None
            replied = replied if replied <= now else None
            final = final if replied and final <= now else None
        status = "in_progress" if signed else "dispatched"
        updated = max(t for t in (dispatched, signed, passed, sub_signed, replied) if t)
        answer: tuple[str, str, str] = ("", "", "")
        closed = None
        if replied:
            roll = random_()
            outcome = "resolved" if roll < 0.86 else ("partly_resolved" if roll < 0.93 else "unresolved")
            explanation = "" if outcome == "resolved" else "部分诉求涉及历史遗留问题，已向来电人说明。"
            answer = (REPLIES[int(random_() * len(REPLIES))], outcome, explanation)
        if final:
            status, updated = "awaiting_callback", final
            closed = self.call_back(
                local, ticket_id, caller_id, unit=unit, passed_down_to=inside, replied=final, outcome=answer[1]
            )
            if closed:
                status, updated = "closed", closed
        lead_id = self.ref.bases["dispatch_assignment"] + 2 * local
        # A district's own staff (its sub-centre) sign and reply for it.
        staff = self.district if unit == place[0] else self.officer
        self._assignment(
            pk=lead_id,
            ticket_id=ticket_id,
            unit=unit,
            parent=None,
            dispatched=dispatched,
            by=self.dispatcher,
            sign_due=dispatched + sign_seconds,
            signed=signed,
            signer=staff,
            contact_due=signed and signed + 7200,
            contact=contact,
            due=due,
            replied=final,
            replier=staff,
            answer=answer if final else ("", "", ""),
            ended=closed,
        )
        if passed:
            self._assignment(
                pk=lead_id + 1,
                ticket_id=ticket_id,
                unit=inside,
                parent=lead_id,
                dispatched=passed,
                by=self.district,
                sign_due=max(passed, min(passed + sign_seconds, due)),
                signed=sub_signed,
                signer=self.officer,
                contact_due=sub_signed and min(sub_signed + 7200, due),
                contact=contact,
                due=due,
                replied=replied,
                replier=self.officer,
                answer=answer,
                ended=closed,
            )
        return status, answer[0] if final else "", closed, updated

    def _assignment(
        self,
        *,
        pk: int,
        ticket_id: int,
        unit: int,
        parent: int | None,
        dispatched: int,
        by: int,
        sign_due: int,
        signed: int | None,
        signer: int,
        contact_due: int | None,
        contact: int | None,
        due: int,
        replied: int | None,
        replier: int,
        answer: tuple[str, str, str],
        ended: int | None,
    ) -> None:
        """One lead assignment's row, with what the deadline sweeps would have recorded by now."""
        now, ts = self.now, self.ts
        status = "replied" if replied else ("signed" if signed else "dispatched")
        late_sign = sign_due if (signed or now) > sign_due else None
        overdue = due if (replied or now) > due else None
        stage, alert_at = "done", None
        if not replied:
            alerts = sorted([("75", dispatched + (due - dispatched) * 3 // 4), ("1h", due - 3600)], key=lambda a: a[1])
            for candidate, at in [*(alert for alert in alerts if alert[1] < due), ("overdue", due)]:
                if at > now:
                    stage, alert_at = candidate, at
                    break
        reply, outcome, explanation = answer
        self.rows["dispatch_assignment"].append(
            f"{pk}\t{ticket_id}\t{unit}\t{NULL if parent is None else parent}\tlead\t{status}\t"
            f"{ts(dispatched)}\t{by}\t{ts(sign_due)}\t{ts(signed)}\t{signer if signed else NULL}\t"
            f"{ts(contact_due)}\t{ts(contact)}\t{ts(due)}\t{ts(replied)}\t{replier if replied else NULL}\t"
            f"{reply}\t{outcome}\t{explanation}\tf\t{ts(ended)}\t{ts(late_sign)}\t{ts(overdue)}\t{stage}\t{ts(alert_at)}\n"
        )

    def call_back(
        self,
        local: int,
        ticket_id: int,
        caller_id: int,
        *,
        unit: int,
        passed_down_to: int | None,
        replied: int,
        outcome: str,
    ) -> int | None:
        """The callback row; when it lies in the past the ticket closes. Returns the closing time."""
        random_ = self.random
        called = replied + 7200 + int(random_() * 38 * 3600)
        status, attempts, resolution, satisfaction, completed = "pending", 0, "", "", None
        if called <= self.now:
            completed = called
            if random_() < 0.95:
                status, attempts = "done", 1
                resolution = {"resolved": "resolved", "partly_resolved": "partly"}.get(outcome, "unresolved")
                roll = random_()
                satisfaction = "satisfied" if roll < 0.80 else ("basically" if roll < 0.92 else "unsatisfied")
            else:
                status, attempts = "not_reached", 3
        ts = self.ts
        self.rows["evaluation_callback"].append(
            f"{self.ref.bases['evaluation_callback'] + local}\t{ticket_id}\t{caller_id}\t{unit}\t"
            f"{NULL if passed_down_to is None else passed_down_to}\tt\t1\t"
            f"{ts(replied + 2 * DAY)}\t{status}\t{attempts}\t{resolution}\t{satisfaction}\tf\t\tf\t{ts(completed)}\t"
            f"\\N\t{ts(replied + 60)}\n"
        )
        return completed


# The events of each ticket, derived from its lifecycle timestamps (ids from the sequence). A chunk's
# assignments and callbacks have the ids of its tickets' local indexes: ranges on the primary keys.
# An assignment below a district (`parent_id`) writes the district's steps: passed down by the
# district (the event names the district), signed and replied to the district, the ticket staying in
# progress; the contact its unit records is the district's too (one event, the unit's).
_EVENTS_SQL = """
INSERT INTO intake_ticketevent (ticket_id, action, from_status, to_status, note, payload, created_at, actor_id, unit_id)
SELECT id, 'create', '', 'received', '', {payload}, created_at, created_by_id, {null_id}
  FROM intake_ticket WHERE id BETWEEN %(first)s AND %(last)s
UNION ALL
SELECT id, CASE disposition WHEN 'answered_directly' THEN 'answer_directly' ELSE 'close_at_intake' END,
       'received', 'closed', '', {payload}, closed_at, created_by_id, {null_id}
  FROM intake_ticket WHERE id BETWEEN %(first)s AND %(last)s AND disposition NOT IN ('', 'dispatched')
UNION ALL
SELECT id, 'queue_for_dispatch', 'received', 'awaiting_dispatch', '', {payload}, {two_minutes_later},
       created_by_id, NULL
  FROM intake_ticket WHERE id BETWEEN %(first)s AND %(last)s AND disposition = 'dispatched'
UNION ALL
SELECT ticket_id, 'dispatch', 'awaiting_dispatch', 'dispatched', '', {payload}, dispatched_at, dispatched_by_id, unit_id
  FROM dispatch_assignment
 WHERE id BETWEEN %(first_assignment)s AND %(last_assignment)s AND parent_id IS NULL
UNION ALL
SELECT a.ticket_id, 'subdispatch', 'in_progress', 'in_progress', '', {payload}, a.dispatched_at, a.dispatched_by_id,
       p.unit_id
  FROM dispatch_assignment a JOIN dispatch_assignment p ON p.id = a.parent_id
 WHERE a.id BETWEEN %(first_assignment)s AND %(last_assignment)s
UNION ALL
SELECT ticket_id, CASE WHEN parent_id IS NULL THEN 'sign' ELSE 'sub_sign' END,
       CASE WHEN parent_id IS NULL THEN 'dispatched' ELSE 'in_progress' END, 'in_progress', '', {payload}, signed_at,
       signed_by_id, unit_id
  FROM dispatch_assignment WHERE id BETWEEN %(first_assignment)s AND %(last_assignment)s AND signed_at IS NOT NULL
UNION ALL
SELECT ticket_id, 'record_contact', 'in_progress', 'in_progress', '', {payload}, first_contacted_at, signed_by_id,
       unit_id
  FROM dispatch_assignment a
 WHERE id BETWEEN %(first_assignment)s AND %(last_assignment)s AND first_contacted_at IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM dispatch_assignment below WHERE below.parent_id = a.id
                      AND below.id BETWEEN %(first_assignment)s AND %(last_assignment)s)
UNION ALL
SELECT ticket_id, CASE WHEN parent_id IS NULL THEN 'reply' ELSE 'sub_reply' END, 'in_progress',
       CASE WHEN parent_id IS NULL THEN 'awaiting_callback' ELSE 'in_progress' END, '', {payload}, replied_at,
       replied_by_id, unit_id
  FROM dispatch_assignment WHERE id BETWEEN %(first_assignment)s AND %(last_assignment)s AND replied_at IS NOT NULL
UNION ALL
SELECT ticket_id, 'callback_attempt', 'awaiting_callback', 'awaiting_callback', '', {payload}, completed_at,
       {null_id}, {null_id}
  FROM evaluation_callback WHERE id BETWEEN %(first_callback)s AND %(last_callback)s AND completed_at IS NOT NULL
UNION ALL
SELECT ticket_id, 'close', 'awaiting_callback', 'closed', '', {payload}, completed_at, NULL, NULL
  FROM evaluation_callback WHERE id BETWEEN %(first_callback)s AND %(last_callback)s AND completed_at IS NOT NULL
"""
EVENTS_SQL = _EVENTS_SQL.format(
    payload="'{}'::jsonb", null_id="NULL::bigint", two_minutes_later="created_at + interval '2 minutes'"
)
SQLITE_EVENTS_SQL = _EVENTS_SQL.format(
    payload="'{}'", null_id="NULL", two_minutes_later="datetime(created_at, '+2 minutes')"
)


# The generating process's own generator, and the index of the next chunk, shared by the processes.
_generator: ChunkGenerator | None = None
_next_chunk: Synchronized | None = None


def _start_generator(
    ref: Reference, start_epoch_day: int, days: int, now_epoch: int, caller_pool: int, next_chunk: Synchronized
) -> None:
    global _generator, _next_chunk
    _generator = ChunkGenerator(
        ref, start_epoch_day=start_epoch_day, days=days, now_epoch=now_epoch, caller_pool=caller_pool
    )
    _next_chunk = next_chunk
    # The loading thread needs the GIL only briefly, between waits on PostgreSQL: hand it over
    # sooner than the default 5 ms, which the backend would spend idle.
    sys.setswitchinterval(0.0005)


def _claim_chunk() -> int:
    with _next_chunk.get_lock():
        index = _next_chunk.value
        _next_chunk.value += 1
    return index


def _generate_chunks(args: tuple[list[Chunk], str, int, int, bool]) -> tuple[dict[str, int], dict[str, int]]:
    """Generate and load chunks until none is left; returns the row counts and the days' last numbers.

    Each chunk is generated while the previous one is being loaded (by another thread, which waits
    on PostgreSQL): the process and its backend work at the same time instead of in turn.
    """
    chunks, dsn, start_epoch_day, seed, superuser = args
    generator = _generator
    totals = dict.fromkeys(CHUNK_TABLES, 0)
    counters: dict[str, int] = {}
    connection = psycopg2.connect(dsn)
    try:
        with ThreadPoolExecutor(max_workers=1) as loader:
            loading = None
            while (index := _claim_chunk()) < len(chunks):
                chunk = chunks[index]
                generator.chunk(chunk, start_epoch_day=start_epoch_day, seed=seed * 1_000_003 + chunk.first_ticket)
                data = {table: "".join(rows).encode() for table, rows in generator.rows.items()}
                for table, rows in generator.rows.items():
                    totals[table] += len(rows)
                counters.update(generator.counters)
                if loading:
                    totals["intake_ticketevent"] += loading.result()
                loading = loader.submit(_load_chunk, connection, generator.ref, chunk, data, superuser)
            if loading:
                totals["intake_ticketevent"] += loading.result()
    finally:
        connection.close()
    return totals, counters


def _load_chunk(connection, ref: Reference, chunk: Chunk, data: dict[str, bytes], superuser: bool) -> int:
    """COPY one chunk's rows and derive its events, in one transaction; returns the number of events."""
    with connection, connection.cursor() as cursor:
        # The rows are consistent by construction: skip the per-row foreign-key triggers,
        # which cost more than the COPY itself (needs a superuser; otherwise they stay on).
        if superuser:
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL synchronous_commit = off")  # a lost tail is simply generated again
        for table, rows in data.items():
            # In one piece: each piece read is a wait for the GIL.
            cursor.copy_expert(
                f"COPY {table} ({TABLE_COLUMNS[table]}) FROM STDIN", io.BytesIO(rows), size=len(rows) + 1
            )
        last_local = chunk.first_ticket + sum(chunk.counts) - 1
        cursor.execute(EVENTS_SQL, _id_bounds(ref, first_local=chunk.first_ticket, last_local=last_local))
        return cursor.rowcount


def _id_bounds(ref: Reference, *, first_local: int, last_local: int) -> dict[str, int]:
    """The id ranges of EVENTS_SQL: tickets and callbacks have the local indexes' ids, assignments two
    per index (the lead's, then the one its district passed the ticket down to)."""
    bounds = {}
    for table, name in (("intake_ticket", ""), ("evaluation_callback", "_callback")):
        bounds[f"first{name}"] = ref.bases[table] + first_local
        bounds[f"last{name}"] = ref.bases[table] + last_local
    bounds["first_assignment"] = ref.bases["dispatch_assignment"] + 2 * first_local
    bounds["last_assignment"] = ref.bases["dispatch_assignment"] + 2 * last_local + 1
    return bounds


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"  # a caller's is SURNAMES[id % 20]
# Callers with generated mobile numbers (prefix 179, never handed out to real people here), derived
# in the database: nothing to build in Python or to parse.
CALLERS_SQL = """
INSERT INTO intake_caller (id, phone, name, is_enterprise, enterprise_name, created_at)
SELECT id, '179' || lpad(id::text, greatest(8, length(id::text)), '0'),
       substr(%(surnames)s, (id %% 20)::int + 1, 1) || '先生', false, '', %(created)s
  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS id
"""


def _write_callers(dsn: str, *, base: int, count: int, start_epoch: int) -> None:
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            created = datetime.fromtimestamp(start_epoch, UTC)
            cursor.execute(
                CALLERS_SQL, {"created": created, "first": base, "last": base + count - 1, "surnames": SURNAMES}
            )
    finally:
        connection.close()


def _index_callers(dsn: str) -> None:
    """The callers are complete long before the tickets: their indexes and statistics are done alongside the chunks."""
    connection = psycopg2.connect(dsn)
    try:
        build_pending_indexes(connection, dsn=dsn, workers=1, tables=["intake_caller"], analyze=["intake_caller"])
    finally:
        connection.close()


# Loading many rows into indexed tables costs more than building the indexes afterwards.
CHUNK_TABLES = ("intake_ticket", "intake_ticketevent", "dispatch_assignment", "evaluation_callback")
BULK_TABLES = ("intake_caller", *CHUNK_TABLES)
# The definitions of the indexes a load dropped, kept in the database itself until they are built
# again: a load that dies half-way leaves them here, and the next load builds them first. A primary
# or unique key is built as a plain unique index first (`built`), then attached as the constraint.
PENDING_TABLE = "generator_pending_index"

# Every full index of the bulk tables but those another constraint relies on: the primary keys that
# foreign keys reference stay, and so do exclusion constraints. Partial indexes stay as well: they
# hold the few live rows (cheap to keep up during the COPY), and a predicate rebuilt from
# pg_get_indexdef is deparsed differently from the migration's. An unreferenced primary or unique key
# goes with the statement that attaches its rebuilt index again (checking it row by row during the
# COPY costs far more: the events' primary key alone doubles their insert time).
DROPPABLE_INDEXES_SQL = """
SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, pg_get_indexdef(i.indexrelid),
       CASE WHEN c.oid IS NOT NULL THEN
            format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s USING INDEX %%I%%s', i.indrelid::regclass, c.conname,
                   CASE c.contype WHEN 'p' THEN 'PRIMARY KEY' ELSE 'UNIQUE' END, c.conname,
                   CASE WHEN c.condeferred THEN ' DEFERRABLE INITIALLY DEFERRED'
                        WHEN c.condeferrable THEN ' DEFERRABLE' ELSE '' END) ELSE '' END,
       c.conname IS NOT NULL
  FROM pg_index i
  LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u')
 WHERE i.indrelid = ANY(%s::regclass[])
   AND i.indpred IS NULL
   AND NOT EXISTS (SELECT 1 FROM pg_constraint other WHERE other.conindid = i.indexrelid
                      AND other.oid IS DISTINCT FROM c.oid)
"""


def _ensure_pending_table(cursor) -> None:
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {PENDING_TABLE} "
        "(name text PRIMARY KEY, table_name text NOT NULL, definition text NOT NULL)"
    )
    # Also upgrades a table left by a generator that only dropped plain indexes.
    cursor.execute(
        f"ALTER TABLE {PENDING_TABLE} ADD COLUMN IF NOT EXISTS attach text NOT NULL DEFAULT '', "
        "ADD COLUMN IF NOT EXISTS built boolean NOT NULL DEFAULT false"
    )


def drop_secondary_indexes(connection) -> int:
    """Drop the bulk tables' indexes that no other constraint relies on, recording them as pending."""
    with connection.cursor() as cursor:
        _ensure_pending_table(cursor)
        cursor.execute(DROPPABLE_INDEXES_SQL, [list(BULK_TABLES)])
        indexes = cursor.fetchall()
        for name, table, definition, attach, is_constraint in indexes:
            cursor.execute(
                f"INSERT INTO {PENDING_TABLE} (name, table_name, definition, attach) VALUES (%s, %s, %s, %s)",
                [name, table, definition, attach],
            )
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}" if is_constraint else f"DROP INDEX {name}")
    connection.commit()
    return len(indexes)


def _build_index(args: tuple[str, str, str, bool]) -> None:
    dsn, name, definition, attach_later = args
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cursor:
            # One build per connection, each with room to sort in memory.
            cursor.execute("SET maintenance_work_mem = '512MB'")
            cursor.execute("SET max_parallel_maintenance_workers = 0")
            cursor.execute(definition)
            if attach_later:
                cursor.execute(f"UPDATE {PENDING_TABLE} SET built = true WHERE name = %s", [name])
            else:
                cursor.execute(f"DELETE FROM {PENDING_TABLE} WHERE name = %s", [name])
    finally:
        connection.close()


def build_pending_indexes(
    connection, *, dsn: str, workers: int, tables: Sequence[str] = BULK_TABLES, analyze: Sequence[str] = ()
) -> int:
    """Build the indexes a load dropped on `tables`, `workers` at a time, largest table first.

    A table's keys are attached as soon as its own builds are done, and the tables in `analyze` are
    analyzed then, in the same pool: the last builds and the statistics overlap.
    """
    connection.rollback()  # after a failed load the session may be in an aborted transaction
    pending = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [PENDING_TABLE])
        exists = cursor.fetchone()[0]
        if exists:
            _ensure_pending_table(cursor)
            cursor.execute(
                f"SELECT name, table_name, definition, attach <> '', built FROM {PENDING_TABLE} "
                "WHERE table_name = ANY(%s) ORDER BY pg_relation_size(table_name::regclass) DESC, name",
                [list(tables)],
            )
            pending = cursor.fetchall()
    connection.commit()
    building = Counter(table for _name, table, _definition, _attach, built in pending if not built)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        analyses = []

        def table_done(table: str) -> None:
            # Attaching takes an exclusive lock on the table: only once no build is running on it any more.
            with connection.cursor() as cursor:
                if exists:
                    cursor.execute(f"SELECT name, attach FROM {PENDING_TABLE} WHERE built AND table_name = %s", [table])
                    for name, attach in cursor.fetchall():
                        cursor.execute(attach)
                        cursor.execute(f"DELETE FROM {PENDING_TABLE} WHERE name = %s", [name])
                        connection.commit()
            connection.commit()
            if table in analyze:
                analyses.append(pool.submit(_analyze, (dsn, table)))

        builds = {
            pool.submit(_build_index, (dsn, name, definition, attach)): table
            for name, table, definition, attach, built in pending
            if not built
        }
        for table in dict.fromkeys([*(row[1] for row in pending), *analyze]):
            if not building[table]:
                table_done(table)
        for build in as_completed(builds):
            build.result()
            table = builds[build]
            building[table] -= 1
            if not building[table]:
                table_done(table)
        for analysis in analyses:
            analysis.result()
    if exists:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT NOT EXISTS (SELECT FROM {PENDING_TABLE})")
            if cursor.fetchone()[0]:
                cursor.execute(f"DROP TABLE {PENDING_TABLE}")
        connection.commit()
    return len(pending)


def _finish(connection, *, counters: dict[str, int]) -> None:
    """Move the sequences past the generated ids and the tracking-number counters past the numbers."""
    with connection.cursor() as cursor:
        for table in BULK_TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"
            )
        # The generator knows each day's last number: no need to read them back from a million tickets.
        cursor.execute(
            "INSERT INTO intake_ticketnumbercounter (day, last) "
            "SELECT to_date(day, 'YYYYMMDD'), last FROM unnest(%s::text[], %s::int[]) AS counter (day, last) "
            "ON CONFLICT (day) DO UPDATE SET last = GREATEST(intake_ticketnumbercounter.last, EXCLUDED.last)",
            [list(counters), list(counters.values())],
        )
        cursor.execute(ADVANCE_SEQUENCES_SQL)
    connection.commit()


def _analyze(args: tuple[str, str]) -> None:
    dsn, table = args
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    finally:
        connection.close()


def _load(
    *,
    ref: Reference,
    dsn: str,
    connection,
    tickets: int,
    workers: int,
    seed: int,
    now_epoch: int,
    start: date,
    days: int,
    chunk_size: int,
) -> tuple[dict[str, int], dict[str, int]]:
    """Write the callers and the chunks; returns the row counts and each day's last tracking number."""
    start_epoch_day = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp()) // DAY
    caller_pool = max(100, int(tickets * 0.7))
    counts = day_counts(tickets=tickets, start=start, days=days, rng=random.Random(seed))
    chunks, current, current_counts, first = [], [], [], 0
    running = 0
    for offset, count in enumerate(counts):
        current.append(offset)
        current_counts.append(count)
        running += count
        if running >= chunk_size:
            chunks.append(Chunk(current, first, current_counts))
            first += running
            current, current_counts, running = [], [], 0
    if current:
        chunks.append(Chunk(current, first, current_counts))
    superuser = _is_superuser(connection)
    totals = dict.fromkeys([*TABLE_COLUMNS, "intake_ticketevent"], 0)
    totals["intake_caller"] = caller_pool
    counters: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=1) as callers_thread:
        callers = callers_thread.submit(
            _write_callers, dsn, base=ref.bases["intake_caller"], count=caller_pool, start_epoch=start_epoch_day * DAY
        )
        callers_indexed = callers_thread.submit(_index_callers, dsn)
        if not superuser:
            callers.result()  # the chunks' foreign keys are checked on commit: the callers must be there first
        context = get_context("fork")
        initargs = (ref, start_epoch_day, days, now_epoch, caller_pool, context.Value("i", 0))
        # One run per process, each taking the next chunk when it is ready for one.
        runs = [(chunks, dsn, start_epoch_day, seed, superuser)] * workers
        with context.Pool(workers, initializer=_start_generator, initargs=initargs) as pool:
            for counts, run_counters in pool.imap_unordered(_generate_chunks, runs):
                for name, value in counts.items():
                    totals[name] += value
                counters.update(run_counters)
        callers.result()
        callers_indexed.result()
    return totals, counters


def _is_superuser(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
    connection.commit()
    return superuser


def generate(
    *,
    dsn: str,
    tickets: int,
    years: float,
    seed: int = 12345,
    workers: int = 2,
    now: datetime | None = None,
    chunk_size: int = 20_000,
) -> dict[str, float]:
    """Generate `tickets` tickets over the last `years` years; returns counts and the rate."""
    now = now or datetime.now(UTC)
    now_epoch = int(now.timestamp())
    days = max(1, round(years * 365.25))
    start = (now.astimezone(SHANGHAI) - timedelta(days=days - 1)).date()
    connection = psycopg2.connect(dsn)
    try:
        build_pending_indexes(connection, dsn=dsn, workers=workers)  # left by a load that died half-way
        ref = load_reference(connection, postgres=True)
        connection.commit()
        started = time.perf_counter()
        # From about the table's own size on, building the indexes afresh beats keeping them up row by row.
        rebuild_indexes = tickets >= ref.bases["intake_ticket"] - 1
        if rebuild_indexes:
            drop_secondary_indexes(connection)
        try:
            totals, counters = _load(
                ref=ref,
                dsn=dsn,
                connection=connection,
                tickets=tickets,
                workers=workers,
                seed=seed,
                now_epoch=now_epoch,
                start=start,
                days=days,
                chunk_size=chunk_size,
            )
        except BaseException:
            if rebuild_indexes:
                build_pending_indexes(connection, dsn=dsn, workers=workers)
            raise
        # One build more than the generating processes (a core each): a build ends waiting for its
        # index file to be synced, the other builds keep the cores busy meanwhile.
        build_pending_indexes(connection, dsn=dsn, workers=workers + 1, analyze=CHUNK_TABLES)
        _finish(connection, counters=counters)
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    return {
        **totals,
        "seconds": round(elapsed, 2),
        "tickets_per_second": round(tickets / elapsed) if elapsed else math.inf,
    }


# --- A smaller history in this process, through Django's connection (PostgreSQL or SQLite) ------

BOOLEAN_COLUMNS = {"confidential", "returned", "is_primary", "unit_at_fault", "answered_online"}


def database_dsn() -> str:
    """The libpq DSN of Django's default database (the generating processes connect themselves)."""
    from django.db import connection
    from psycopg2.extensions import make_dsn

    params = connection.get_connection_params()
    keys = {"dbname", "user", "password", "host", "port"}
    return make_dsn(**{key: value for key, value in params.items() if key in keys})


def _sqlite_values(table: str, rows: list[str]) -> list[list[str | int | None]]:
    """COPY text rows as SQLite values: NULL for \\N, 1/0 for booleans, and timestamps in Django's
    SQLite form (UTC without the offset), so that they compare as text with what Django writes."""
    columns = [column.strip() for column in TABLE_COLUMNS[table].split(",")]
    booleans = [index for index, column in enumerate(columns) if column in BOOLEAN_COLUMNS]
    values = []
    for row in rows:
        fields: list = row[:-1].split("\t")
        for index, value in enumerate(fields):
            if value == NULL:
                fields[index] = None
            elif value.endswith("+00"):
                fields[index] = value[:-3]
        for index in booleans:
            fields[index] = int(fields[index] == "t")
        values.append(fields)
    return values


@dataclass(frozen=True)
class Spike:
    """`tickets` about one category (a leaf) in one street, spread over the `days` from `start`."""

    street: int
    category: int
    start: date
    days: int
    tickets: int


def _add_spikes(generator: ChunkGenerator, *, spikes: Sequence[Spike], first_local: int) -> int:
    """The spikes' tickets after the `first_local` generated ones; returns how many were added."""
    locations = {location[1]: location for location in generator.locations[0]}
    local = first_local
    for spike in spikes:
        epoch_day = int(datetime(spike.start.year, spike.start.month, spike.start.day, tzinfo=UTC).timestamp()) // DAY
        entries = generator.categories[spike.start.month in HEATING_MONTHS][0]
        category = next(entry for entry in entries if entry[0] == spike.category)
        for offset in range(spike.days):
            count = spike.tickets // spike.days + (offset < spike.tickets % spike.days)
            local = generator.day(
                epoch_day=epoch_day + offset, count=count, first_local=local, spike=(locations[spike.street], category)
            )
    return local - first_local


def generate_here(
    *,
    tickets: int,
    years: float = 1.0,
    seed: int = 12345,
    now: datetime | None = None,
    hand_over: Sequence[int] = (),
    spikes: Sequence[Spike] = (),
) -> dict:
    """Generate `tickets` over the last `years` years in one transaction of Django's own connection:
    COPY on PostgreSQL, executemany on SQLite. The demo's history (tens of thousands of tickets, in
    seconds); `generate` is the parallel path for millions.

    Each unit in `hand_over` is given some of the open work of its kind before the events are
    derived (see `_hand_over`), so that a few chosen units have every state in their queues; each
    of `spikes` adds a cluster of one problem in one place (what the hot-spot rule looks for)."""
    from django.db import connection, transaction

    now = now or datetime.now(UTC)
    days = max(1, round(years * 365.25))
    start = (now.astimezone(SHANGHAI) - timedelta(days=days - 1)).date()
    start_epoch_day = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp()) // DAY
    postgres = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        ref = load_reference(connection, postgres=postgres)
        caller_pool = max(100, int(tickets * 0.7))
        _write_callers_here(
            cursor, postgres=postgres, base=ref.bases["intake_caller"], count=caller_pool, start=start_epoch_day * DAY
        )
        generator = ChunkGenerator(
            ref, start_epoch_day=start_epoch_day, days=days, now_epoch=int(now.timestamp()), caller_pool=caller_pool
        )
        counts = day_counts(tickets=tickets, start=start, days=days, rng=random.Random(seed))
        generator.chunk(Chunk(list(range(days)), 0, counts), start_epoch_day=start_epoch_day, seed=seed)
        tickets += _add_spikes(generator, spikes=spikes, first_local=tickets)
        totals = {"intake_caller": caller_pool}
        for table, rows in generator.rows.items():
            totals[table] = len(rows)
            if postgres:
                data = "".join(rows).encode()
                cursor.cursor.copy_expert(
                    f"COPY {table} ({TABLE_COLUMNS[table]}) FROM STDIN", io.BytesIO(data), size=len(data) + 1
                )
            else:
                placeholders = ", ".join(["%s"] * len(TABLE_COLUMNS[table].split(",")))
                cursor.executemany(
                    f"INSERT INTO {table} ({TABLE_COLUMNS[table]}) VALUES ({placeholders})",
                    _sqlite_values(table, rows),
                )
        bounds = _id_bounds(ref, first_local=0, last_local=tickets - 1)
        for unit_id in hand_over:
            _hand_over(cursor, unit_id=unit_id, first=bounds["first_assignment"])
        cursor.execute(EVENTS_SQL if postgres else SQLITE_EVENTS_SQL, bounds)
        totals["intake_ticketevent"] = cursor.rowcount
        if postgres:
            for table in BULK_TABLES:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"GREATEST((SELECT MAX(id) FROM {table}), 1))"
                )
        # Each day's counter past the day's last number (today's may already have numbers).
        cursor.executemany(
            "INSERT INTO intake_ticketnumbercounter (day, last) VALUES (%s, %s) ON CONFLICT (day) DO UPDATE "
            "SET last = CASE WHEN excluded.last > intake_ticketnumbercounter.last "
            "THEN excluded.last ELSE intake_ticketnumbercounter.last END",
            [(f"{day[:4]}-{day[4:6]}-{day[6:]}", last) for day, last in generator.counters.items()],
        )
        if postgres:
            cursor.execute(ADVANCE_SEQUENCES_SQL)
    return totals


def _write_callers_here(cursor, *, postgres: bool, base: int, count: int, start: int) -> None:
    created = datetime.fromtimestamp(start, UTC)
    if postgres:
        cursor.execute(CALLERS_SQL, {"created": created, "first": base, "last": base + count - 1, "surnames": SURNAMES})
        return
    created_text = created.strftime("%Y-%m-%d %H:%M:%S")
    cursor.executemany(
        "INSERT INTO intake_caller (id, phone, name, is_enterprise, enterprise_name, created_at) "
        "VALUES (%s, %s, %s, 0, '', %s)",
        [
            (caller, f"179{caller:08d}", f"{SURNAMES[caller % 20]}先生", created_text)
            for caller in range(base, base + count)
        ],
    )


# Handed over per unit: the open lead assignments of its kind due first (overdue, then due soon) and
# those dispatched last (to sign, then in progress).
HAND_OVER_DUE_FIRST = 4
HAND_OVER_LATEST = 6


def _hand_over(cursor, *, unit_id: int, first: int) -> None:
    """Give `unit_id` open lead assignments the hotline dispatched to generated units of its kind; a
    street also becomes the place (and its district the district) of the tickets it takes. (A unit
    a district passed a ticket down to stays: it must be inside that district.)"""
    cursor.execute("SELECT kind, parent_id, name FROM hotline_unit WHERE id = %s", [unit_id])
    kind, parent_id, name = cursor.fetchone()
    same_kind = "SELECT id FROM hotline_unit WHERE kind = %s AND id <> %s"
    params: list = [kind, unit_id]
    chosen = []
    for order, count in (("due_at", HAND_OVER_DUE_FIRST), ("dispatched_at DESC", HAND_OVER_LATEST)):
        cursor.execute(
            f"SELECT id FROM dispatch_assignment WHERE id >= %s AND ended_at IS NULL AND parent_id IS NULL "
            f"AND status IN ('dispatched', 'signed') AND unit_id IN ({same_kind}) "
            f"ORDER BY {order} LIMIT %s",
            [first, *params, count + len(chosen)],
        )
        chosen += [pk for (pk,) in cursor.fetchall() if pk not in chosen][:count]
    if not chosen:
        return
    marks = ", ".join(["%s"] * len(chosen))
    cursor.execute(f"UPDATE dispatch_assignment SET unit_id = %s WHERE id IN ({marks})", [unit_id, *chosen])
    if kind == "street":
        # The place names in the texts move with the ticket (SET reads the row as it was).
        old_name = "(SELECT name FROM hotline_unit WHERE id = intake_ticket.street_id)"
        cursor.execute(
            f"UPDATE intake_ticket SET street_id = %s, district_id = %s, address = REPLACE(address, {old_name}, %s), "
            f"title = REPLACE(title, {old_name}, %s), description = REPLACE(description, {old_name}, %s) "
            f"WHERE id IN (SELECT ticket_id FROM dispatch_assignment WHERE id IN ({marks}))",
            [unit_id, parent_id, name, name, name, *chosen],
        )
