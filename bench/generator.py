"""Realistic ticket data at city scale, loaded with PostgreSQL COPY.

Calibrated on Beijing 12345's 2020 disclosure (seed 002): channel mix (phone 91.32 %, of
which the enterprise line 0.56 %; online 8.68 %), direct answers 60.04 % vs dispatch 39.96 %
(per top category where the report gives it), the published top categories and their main
sub-issues, districts weighted by census population and the published per-10k volumes,
handling-unit kinds by their shares (district departments 39.55 %, streets 38.99 %, city
departments 12.42 %, enterprises 6.97 %, platforms 2.06 %), full lifecycles with their events,
callbacks with resolution ≈ 86 % and satisfaction ≈ 89 %, and seasonal curves (heating in
winter, a summer peak for complaints). Lifecycles are cut at `now`: recent tickets are still
open at the unit or awaiting their callback, as in a live system.

The generator writes the tables directly (it is a bulk loader, not a client of the services):
ids are assigned in blocks so that several processes COPY in parallel, and the sequences and
the tracking-number counters are moved past the data at the end.
"""

import io
import math
import random
import time
from bisect import bisect
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from multiprocessing import get_context
from zoneinfo import ZoneInfo

import psycopg2

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
UNIT_KINDS = [
    ("district_department", 39.55),
    ("street", 38.99),
    ("city_department", 12.42),
    ("state_enterprise", 6.97),
    ("platform_company", 2.06),
]
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


def load_reference(connection) -> Reference:
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
        cursor.execute("SELECT to_char(day, 'YYYYMMDD'), last FROM intake_ticketnumbercounter")
        counters = dict(cursor.fetchall())
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


def ensure_actors(connection) -> dict[str, int]:
    """Three system users the generated events name as actors (agent, dispatcher, unit officer)."""
    actors = {}
    with connection.cursor() as cursor:
        for role in ("agent", "dispatcher", "officer"):
            username = f"generated-{role}"
            cursor.execute(
                "INSERT INTO hotline_user (password, is_superuser, username, first_name, last_name, email, "
                "is_staff, is_active, date_joined, full_name, mobile) "
                "VALUES ('!', false, %s, '', '', '', false, false, now(), %s, '') "
                "ON CONFLICT (username) DO UPDATE SET username = EXCLUDED.username RETURNING id",
                [username, f"生成数据 {role}"],
            )
            actors[role] = cursor.fetchone()[0]
    connection.commit()
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
        "id, ticket_id, unit_id, role, status, dispatched_at, dispatched_by_id, sign_due_at, signed_at, signed_by_id, "
        "first_contact_due_at, first_contacted_at, due_at, replied_at, replied_by_id, reply, outcome, explanation, "
        "returned, ended_at, late_sign_marked_at, overdue_at, next_alert_stage, next_alert_at"
    ),
    "evaluation_callback": (
        "id, ticket_id, caller_id, unit_id, is_primary, round, due_at, status, attempts, resolution, satisfaction, "
        "unit_at_fault, comment, answered_online, completed_at, completed_by_id, created_at"
    ),
}
NULL = "\\N"


@dataclass(slots=True)
class Ticket:
    """One generated ticket while its lifecycle is being played."""

    local: int
    id: int
    created: int
    caller_id: int
    tier: str
    street_id: int | None
    departments: list[int]
    status: str = "received"
    disposition: str = ""
    answer: str = ""
    public_reply: str = ""
    closed: int | None = None
    updated: int = 0


class ChunkGenerator:
    """Generates the tickets of a run of days into COPY buffers (tickets, assignments, callbacks).

    Events are not written here: `EVENTS_SQL` derives them from the lifecycle timestamps in the
    database, set-based, after the COPY.
    """

    def __init__(self, ref: Reference, *, start_epoch_day: int, days: int, now_epoch: int, seed: int, caller_pool: int):
        self.ref = ref
        self.now = now_epoch
        self.random = random.Random(seed).random
        self.caller_pool = caller_pool
        self.buffers = {name: io.StringIO() for name in TABLE_COLUMNS}
        self.counts = dict.fromkeys(TABLE_COLUMNS, 0)
        first, last = start_epoch_day - 1, start_epoch_day + days + 40
        self.day_text = {d: datetime.fromtimestamp(d * DAY, UTC).strftime("%Y-%m-%d ") for d in range(first, last)}
        self.hms = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(DAY)]
        self.districts = _weighted([(d, d[2]) for d in ref.districts])
        self.tops = _weighted([(top, volume) for top, (volume, _r, _l) in ref.categories.items()])
        self.leaves = {
            top: _weighted([(leaf, leaf[4]) for leaf in leaves]) for top, (_v, _r, leaves) in ref.categories.items()
        }
        self.heating = [leaf for _v, _r, leaves in ref.categories.values() for leaf in leaves if leaf[2]]
        self.channels, self.kinds = _weighted(CHANNELS), _weighted(KINDS)
        self.unit_kinds, self.closings = _weighted(UNIT_KINDS), _weighted(CLOSING)
        self.agent, self.dispatcher, self.officer = (ref.actors[r] for r in ("agent", "dispatcher", "officer"))

        # The helpers called several times per row are closures over locals: no attribute lookups.
        random_, day_text, hms = self.random, self.day_text, self.hms

        def below(n: int) -> int:
            return int(random_() * n)

        def pick(table: tuple[list, list[float]]):
            values, cumulative = table
            return values[bisect(cumulative, random_() * cumulative[-1])]

        def ts(epoch: int | None) -> str:
            return NULL if epoch is None else day_text[epoch // DAY] + hms[epoch % DAY]

        self.below, self.pick, self.ts = below, pick, ts

    def day(self, *, epoch_day: int, count: int, first_local: int) -> int:
        """All tickets of one Asia/Shanghai day; returns the next local index."""
        local_date = datetime.fromtimestamp(epoch_day * DAY, UTC).date()
        winter = local_date.month in HEATING_MONTHS
        day_key = local_date.strftime("%Y%m%d")
        sequence = self.ref.counters.get(day_key, 0)
        # Office hours dominate: a beta curve over the local day (UTC+8).
        betavariate = random.Random(epoch_day).betavariate
        offsets = sorted(int(betavariate(2.2, 2.0) * DAY) for _ in range(count))
        local = first_local
        day_start = epoch_day * DAY - 8 * 3600
        for offset in offsets:
            created = min(day_start + offset, self.now - 60 - self.below(3600))
            sequence += 1
            self.ticket(local=local, created=created, number=f"{day_key}{sequence:06d}", winter=winter)
            local += 1
        self.counts["intake_ticket"] += count
        return local

    def ticket(self, *, local: int, created: int, number: str, winter: bool) -> None:
        ref, below = self.ref, self.below
        district_id, district_name, _weight, streets, departments = self.pick(self.districts)
        street_id = streets[below(len(streets))] if streets else None
        if winter and self.random() < 0.06:
            top, leaf = "公共服务", self.heating[below(len(self.heating))]
        else:
            top = self.pick(self.tops)
            leaf = self.pick(self.leaves[top])
            if leaf[2] and not winter:  # heating is a winter matter: few outside the season
                leaf = self.pick(self.leaves[top])
        leaf_id, tier, _heating, leaf_name, _share = leaf
        ticket = Ticket(
            local=local,
            id=ref.bases["intake_ticket"] + local,
            created=created,
            caller_id=ref.bases["intake_caller"] + below(self.caller_pool),
            tier=tier,
            street_id=street_id,
            departments=departments,
            updated=created,
        )
        if self.random() < ref.categories[top][1]:
            self.answer_at_intake(ticket)
        else:
            self.handle(ticket)
        place = f"{ref.unit_names.get(street_id, district_name)}{1 + below(60)}号{PLACES[below(8)]}"
        urgency = "emergency" if tier == "emergency" else "normal"
        self.buffers["intake_ticket"].write(
            f"{ticket.id}\t{number}\t{self.pick(self.channels)}\t{self.pick(self.kinds)}\tf\t{place}\t"
            f"{leaf_name}（{place}）\t来电人反映{place}{leaf_name}问题，希望尽快处理。\t{urgency}\t{tier}\t\t"
            f"{ticket.disposition}\t{ticket.status}\t{ticket.answer}\t{ticket.public_reply}\t{self.ts(created)}\t"
            f"{self.ts(ticket.updated)}\t{self.ts(ticket.closed)}\t{ticket.caller_id}\t{leaf_id}\t{self.agent}\t"
            f"{district_id}\t{street_id or NULL}\n"
        )

    def answer_at_intake(self, ticket: Ticket) -> None:
        done = ticket.created + 120 + self.below(780)
        if done > self.now:
            return
        if self.random() < 0.05:
            ticket.disposition = self.pick(self.closings)
        else:
            ticket.disposition = "answered_directly"
        ticket.answer = DIRECT_ANSWERS[self.below(len(DIRECT_ANSWERS))]
        ticket.status, ticket.closed, ticket.updated = "closed", done, done

    def _handling_unit(self, ticket: Ticket) -> int:
        kind = self.pick(self.unit_kinds)
        if kind == "street" and ticket.street_id:
            return ticket.street_id
        if kind == "district_department" and ticket.departments:
            return ticket.departments[self.below(len(ticket.departments))]
        pool = self.ref.units_by_kind.get(kind) or self.ref.units_by_kind["city_department"]
        return pool[self.below(len(pool))]

    def handle(self, ticket: Ticket) -> None:
        """Queue, dispatch, sign, contact, reply and call back, each step only if it is in the past."""
        random_, below, now = self.random, self.below, self.now
        ticket.disposition, ticket.status = "dispatched", "awaiting_dispatch"
        dispatched = ticket.created + 240 + below(1800)
        if dispatched > now:
            return
        unit = self._handling_unit(ticket)
        span = TIER_SECONDS[ticket.tier]
        sign_due, due = dispatched + (900 if ticket.tier == "emergency" else 3600), dispatched + span
        ticket.status, ticket.updated = "dispatched", dispatched
        signed = dispatched + (3600 + below(3 * 3600) if random_() < 0.04 else 60 + below(2940))
        contact = replied = ended = None
        outcome = explanation = ""
        if signed <= now:
            ticket.status, ticket.updated = "in_progress", signed
            contact = signed + (7300 + below(12700) if random_() < 0.05 else 300 + below(6700))
            late = random_() < 0.06
            replied = max(
                dispatched + int(span * (1.0 + 0.3 * random_() if late else 0.1 + 0.85 * random_())), contact + 60
            )
            contact = contact if contact <= now else None
            replied = replied if replied <= now else None
        else:
            signed = None
        if replied:
            roll = random_()
            outcome = "resolved" if roll < 0.86 else ("partly_resolved" if roll < 0.93 else "unresolved")
            explanation = "" if outcome == "resolved" else "部分诉求涉及历史遗留问题，已向来电人说明。"
            ticket.public_reply = REPLIES[below(len(REPLIES))]
            ticket.status, ticket.updated = "awaiting_callback", replied
            ended = self.call_back(ticket, unit=unit, replied=replied, outcome=outcome)
        status = "replied" if replied else ("signed" if signed else "dispatched")
        # What the deadline sweeps would have recorded by now.
        late_sign = sign_due if (signed or now) > sign_due else None
        overdue = due if (replied or now) > due else None
        stage, alert_at = "done", None
        if not replied:
            for candidate, at in ((75, dispatched + span * 3 // 4), ("1h", due - 3600), ("overdue", due)):
                if at > now:
                    stage, alert_at = str(candidate), at
                    break
        officer, ts = self.officer, self.ts
        self.buffers["dispatch_assignment"].write(
            f"{self.ref.bases['dispatch_assignment'] + ticket.local}\t{ticket.id}\t{unit}\tlead\t{status}\t"
            f"{ts(dispatched)}\t{self.dispatcher}\t{ts(sign_due)}\t{ts(signed)}\t{officer if signed else NULL}\t"
            f"{ts(signed and signed + 7200)}\t{ts(contact)}\t{ts(due)}\t{ts(replied)}\t{officer if replied else NULL}\t"
            f"{ticket.public_reply}\t{outcome}\t{explanation}\tf\t{ts(ended)}\t{ts(late_sign)}\t{ts(overdue)}\t"
            f"{stage}\t{ts(alert_at)}\n"
        )
        self.counts["dispatch_assignment"] += 1

    def call_back(self, ticket: Ticket, *, unit: int, replied: int, outcome: str) -> int | None:
        """The callback row; when it lies in the past the ticket closes. Returns the closing time."""
        called = replied + 7200 + self.below(38 * 3600)
        status, attempts, resolution, satisfaction, completed = "pending", 0, "", "", None
        if called <= self.now:
            completed = called
            if self.random() < 0.95:
                status, attempts = "done", 1
                resolution = {"resolved": "resolved", "partly_resolved": "partly"}.get(outcome, "unresolved")
                roll = self.random()
                satisfaction = "satisfied" if roll < 0.80 else ("basically" if roll < 0.92 else "unsatisfied")
            else:
                status, attempts = "not_reached", 3
            ticket.status, ticket.closed, ticket.updated = "closed", called, called
        ts = self.ts
        self.buffers["evaluation_callback"].write(
            f"{self.ref.bases['evaluation_callback'] + ticket.local}\t{ticket.id}\t{ticket.caller_id}\t{unit}\tt\t1\t"
            f"{ts(replied + 2 * DAY)}\t{status}\t{attempts}\t{resolution}\t{satisfaction}\tf\t\tf\t{ts(completed)}\t"
            f"\\N\t{ts(replied + 60)}\n"
        )
        self.counts["evaluation_callback"] += 1
        return completed


# The events of each ticket, derived from its lifecycle timestamps (ids from the sequence). A chunk's
# assignments and callbacks have the ids of its tickets' local indexes: ranges on the primary keys.
EVENTS_SQL = """
INSERT INTO intake_ticketevent (ticket_id, action, from_status, to_status, note, payload, created_at, actor_id, unit_id)
SELECT id, 'create', '', 'received', '', '{}'::jsonb, created_at, created_by_id, NULL::bigint
  FROM intake_ticket WHERE id BETWEEN %(first)s AND %(last)s
UNION ALL
SELECT id, CASE disposition WHEN 'answered_directly' THEN 'answer_directly' ELSE 'close_at_intake' END,
       'received', 'closed', '', '{}', closed_at, created_by_id, NULL::bigint
  FROM intake_ticket WHERE id BETWEEN %(first)s AND %(last)s AND disposition NOT IN ('', 'dispatched')
UNION ALL
SELECT id, 'queue_for_dispatch', 'received', 'awaiting_dispatch', '', '{}', created_at + interval '2 minutes',
       created_by_id, NULL
  FROM intake_ticket WHERE id BETWEEN %(first)s AND %(last)s AND disposition = 'dispatched'
UNION ALL
SELECT ticket_id, 'dispatch', 'awaiting_dispatch', 'dispatched', '', '{}', dispatched_at, dispatched_by_id, unit_id
  FROM dispatch_assignment WHERE id BETWEEN %(first_assignment)s AND %(last_assignment)s
UNION ALL
SELECT ticket_id, 'sign', 'dispatched', 'in_progress', '', '{}', signed_at, signed_by_id, unit_id
  FROM dispatch_assignment WHERE id BETWEEN %(first_assignment)s AND %(last_assignment)s AND signed_at IS NOT NULL
UNION ALL
SELECT ticket_id, 'record_contact', 'in_progress', 'in_progress', '', '{}', first_contacted_at, signed_by_id, unit_id
  FROM dispatch_assignment
 WHERE id BETWEEN %(first_assignment)s AND %(last_assignment)s AND first_contacted_at IS NOT NULL
UNION ALL
SELECT ticket_id, 'reply', 'in_progress', 'awaiting_callback', '', '{}', replied_at, replied_by_id, unit_id
  FROM dispatch_assignment WHERE id BETWEEN %(first_assignment)s AND %(last_assignment)s AND replied_at IS NOT NULL
UNION ALL
SELECT ticket_id, 'callback_attempt', 'awaiting_callback', 'awaiting_callback', '', '{}', completed_at,
       NULL::bigint, NULL::bigint
  FROM evaluation_callback WHERE id BETWEEN %(first_callback)s AND %(last_callback)s AND completed_at IS NOT NULL
UNION ALL
SELECT ticket_id, 'close', 'awaiting_callback', 'closed', '', '{}', completed_at, NULL, NULL
  FROM evaluation_callback WHERE id BETWEEN %(first_callback)s AND %(last_callback)s AND completed_at IS NOT NULL
"""


def _generate_chunk(args: tuple) -> dict[str, int]:
    ref, chunk, dsn, start_epoch_day, days, now_epoch, seed, caller_pool, superuser = args
    generator = ChunkGenerator(
        ref,
        start_epoch_day=start_epoch_day,
        days=days,
        now_epoch=now_epoch,
        seed=seed * 1_000_003 + chunk.first_ticket,
        caller_pool=caller_pool,
    )
    local = chunk.first_ticket
    for day_offset, count in zip(chunk.day_offsets, chunk.counts, strict=True):
        local = generator.day(epoch_day=start_epoch_day + day_offset, count=count, first_local=local)
    first_id = ref.bases["intake_ticket"] + chunk.first_ticket
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cursor:
            # The rows are consistent by construction: skip the per-row foreign-key triggers,
            # which cost more than the COPY itself (needs a superuser; otherwise they stay on).
            if superuser:
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL synchronous_commit = off")  # a lost tail is simply generated again
            for table in ("intake_ticket", "dispatch_assignment", "evaluation_callback"):
                buffer = generator.buffers[table]
                buffer.seek(0)
                cursor.copy_expert(f"COPY {table} ({TABLE_COLUMNS[table]}) FROM STDIN", buffer)
            last_local = chunk.first_ticket + sum(chunk.counts) - 1
            bounds = {"first": first_id, "last": ref.bases["intake_ticket"] + last_local}
            for table, name in (("dispatch_assignment", "assignment"), ("evaluation_callback", "callback")):
                bounds[f"first_{name}"] = ref.bases[table] + chunk.first_ticket
                bounds[f"last_{name}"] = ref.bases[table] + last_local
            cursor.execute(EVENTS_SQL, bounds)
            generator.counts["intake_ticketevent"] = cursor.rowcount
    finally:
        connection.close()
    return generator.counts


# Callers with generated mobile numbers (prefix 179, never handed out to real people here), derived
# in the database: nothing to build in Python or to parse.
CALLERS_SQL = """
INSERT INTO intake_caller (id, phone, name, is_enterprise, enterprise_name, created_at)
SELECT id, '179' || lpad(id::text, greatest(8, length(id::text)), '0'),
       substr('王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗', (id %% 20)::int + 1, 1) || '先生', false, '', %(created)s
  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS id
"""


def _write_callers(dsn: str, *, base: int, count: int, start_epoch: int) -> None:
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            created = datetime.fromtimestamp(start_epoch, UTC)
            cursor.execute(CALLERS_SQL, {"created": created, "first": base, "last": base + count - 1})
    finally:
        connection.close()


# Loading many rows into indexed tables costs more than building the indexes afterwards.
BULK_TABLES = ("intake_caller", "intake_ticket", "intake_ticketevent", "dispatch_assignment", "evaluation_callback")
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


def build_pending_indexes(connection, *, dsn: str, workers: int) -> int:
    """Build the indexes a load dropped, `workers` at a time, largest table first, then attach the keys."""
    connection.rollback()  # after a failed load the session may be in an aborted transaction
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [PENDING_TABLE])
        if not cursor.fetchone()[0]:
            return 0
        _ensure_pending_table(cursor)
        cursor.execute(
            f"SELECT name, definition, attach <> '', built FROM {PENDING_TABLE} "
            "ORDER BY pg_relation_size(table_name::regclass) DESC, name"
        )
        pending = cursor.fetchall()
    connection.commit()
    jobs = [(dsn, name, definition, attach) for name, definition, attach, built in pending if not built]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_build_index, jobs))
    # Attaching takes an exclusive lock on the table: only once no build is running on it any more.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name, attach FROM {PENDING_TABLE} WHERE built")
        for name, attach in cursor.fetchall():
            cursor.execute(attach)
            cursor.execute(f"DELETE FROM {PENDING_TABLE} WHERE name = %s", [name])
            connection.commit()
        cursor.execute(f"DROP TABLE {PENDING_TABLE}")
    connection.commit()
    return len(pending)


def _finish(connection, *, ref: Reference, dsn: str, workers: int) -> None:
    """Move the sequences past the generated ids and the tracking-number counters past the numbers; analyze."""
    with connection.cursor() as cursor:
        for table in (
            "intake_ticket",
            "intake_ticketevent",
            "intake_caller",
            "dispatch_assignment",
            "evaluation_callback",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"
            )
        cursor.execute(
            "INSERT INTO intake_ticketnumbercounter (day, last) "
            "SELECT to_date(left(number, 8), 'YYYYMMDD'), MAX(right(number, 6)::int) FROM intake_ticket "
            "WHERE id >= %s GROUP BY 1 "
            "ON CONFLICT (day) DO UPDATE SET last = GREATEST(intake_ticketnumbercounter.last, EXCLUDED.last)",
            [ref.bases["intake_ticket"]],
        )
    connection.commit()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_analyze, [(dsn, table) for table in BULK_TABLES]))


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
) -> dict[str, int]:
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
    jobs = [(ref, chunk, dsn, start_epoch_day, days, now_epoch, seed, caller_pool, superuser) for chunk in chunks]
    totals = dict.fromkeys([*TABLE_COLUMNS, "intake_ticketevent"], 0)
    totals["intake_caller"] = caller_pool
    with ThreadPoolExecutor(max_workers=1) as callers_thread:
        callers = callers_thread.submit(
            _write_callers, dsn, base=ref.bases["intake_caller"], count=caller_pool, start_epoch=start_epoch_day * DAY
        )
        if not superuser:
            callers.result()  # the chunks' foreign keys are checked on commit: the callers must be there first
        with get_context("fork").Pool(workers) as pool:
            for result in pool.imap_unordered(_generate_chunk, jobs):
                for name, value in result.items():
                    totals[name] += value
        callers.result()
    return totals


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
        ref = load_reference(connection)
        started = time.perf_counter()
        # From about the table's own size on, building the indexes afresh beats keeping them up row by row.
        rebuild_indexes = tickets >= ref.bases["intake_ticket"] - 1
        if rebuild_indexes:
            drop_secondary_indexes(connection)
        try:
            totals = _load(
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
        finally:
            if rebuild_indexes:
                build_pending_indexes(connection, dsn=dsn, workers=workers)
        _finish(connection, ref=ref, dsn=dsn, workers=workers)
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    return {
        **totals,
        "seconds": round(elapsed, 2),
        "tickets_per_second": round(tickets / elapsed) if elapsed else math.inf,
    }
