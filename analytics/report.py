"""The disclosure report (工作情况公开), built from the rollups with the 2020 annual disclosure of
Beijing's 12345 hotline as its template: five sections, each with generated sentences, tables and
charts. The page, the xlsx export and the management command all render this one structure.

Each sentence is one translatable template with named placeholders (a variant per case, e.g.
up / down / unchanged on the previous period, and plural forms by its count), never pieced
together from translated fragments: only lists are joined, of names (`listing`), of an
enumeration's clauses, each a whole template (`clauses`), and of whole sentences (`sentences`).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils.dates import MONTHS
from django.utils.translation import get_language, ngettext, ngettext_lazy
from django.utils.translation import gettext as _

from analytics import selectors
from analytics.periods import Period
from analytics.selectors import GROUP_OF_KIND, UNIT_GROUPS, Rates, Scope, ratio
from intake.models import Kind


def count(value: int) -> str:
    """A ticket count as the report prints it: 1022.3万 from a hundred thousand on, in Chinese."""
    if _chinese():
        return f"{value / 10000:.1f}万" if value >= 100_000 else str(value)
    return f"{value:,}"


def percent(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate * 100:.2f}%"


def rate_series(rates: list[Rates]) -> list[tuple[str, list[float | None]]]:
    """A chart's three rate series in percent points; None (a gap) where a rate has no denominator."""

    def points(values: list[Decimal | None]) -> list[float | None]:
        return [None if value is None else round(float(value) * 100, 2) for value in values]

    return [
        (_("Signed in time"), points([line.response for line in rates])),
        (_("Resolution rate"), points([line.resolution for line in rates])),
        (_("Satisfaction rate"), points([line.satisfaction for line in rates])),
    ]


def _chinese() -> bool:
    return (get_language() or "").startswith("zh")


def listing(items: list[str]) -> str:
    """公共安全、市场管理、公共服务 in Chinese; commas otherwise."""
    return ("、" if _chinese() else ", ").join(items)


def clauses(items: list[str]) -> str:
    """Clauses of one sentence, each a whole template: 街乡镇承办2件，占比50.00%；市级部门…"""
    return ("；" if _chinese() else "; ").join(items)


def sentences(items: list[str]) -> str:
    """Whole sentences as one paragraph: no space between Chinese sentences."""
    return ("" if _chinese() else " ").join(items)


@dataclass(frozen=True)
class ByTrend:
    """One sentence in four versions, by the change on the previous period (环比上升/下降/持平/上期无
    数据), each with plural forms chosen by the sentence's count (`number`). The up and down
    versions get the change as %(rate)s."""

    up: Any  # ngettext_lazy(singular, plural, "number")
    down: Any
    unchanged: Any
    unknown: Any

    def render(self, rate: Decimal | None, number: int, values: dict[str, Any]) -> str:
        if rate is None:
            template = self.unknown
        elif rate > 0:
            template = self.up
        elif rate < 0:
            template = self.down
        else:
            template = self.unchanged
        return template % {**values, "number": number, "rate": percent(abs(rate)) if rate else ""}


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]
    percent_columns: frozenset[int] = frozenset()  # rates (Decimal 0–1), shown and exported as %


@dataclass
class Chart:
    kind: str  # "bar", "pie" or "line"
    title: str
    labels: list[str]
    series: list[tuple[str, list[int | float | None]]]

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "title": self.title,
            "labels": self.labels,
            "series": [{"label": name, "data": values} for name, values in self.series],
        }


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class Report:
    period: Period
    title: str
    sections: list[Section]

    def section(self, key: str) -> Section:
        return next(section for section in self.sections if section.key == key)


def _kind_label(kind: str) -> str:
    return str(Kind(kind).label)


def _month_label(month) -> str:
    return str(MONTHS[month.month])


# --- Section 1: work summary --------------------------------------------------------------------

RECEIVED = ByTrend(
    up=ngettext_lazy(
        "In %(period)s the hotline received %(total)s request, up %(rate)s on the previous period; "
        "%(dispatched)s of them were dispatched to handling units.",
        "In %(period)s the hotline received %(total)s requests, up %(rate)s on the previous period; "
        "%(dispatched)s of them were dispatched to handling units.",
        "number",
    ),
    down=ngettext_lazy(
        "In %(period)s the hotline received %(total)s request, down %(rate)s on the previous period; "
        "%(dispatched)s of them were dispatched to handling units.",
        "In %(period)s the hotline received %(total)s requests, down %(rate)s on the previous period; "
        "%(dispatched)s of them were dispatched to handling units.",
        "number",
    ),
    unchanged=ngettext_lazy(
        "In %(period)s the hotline received %(total)s request, as many as in the previous period; "
        "%(dispatched)s of them were dispatched to handling units.",
        "In %(period)s the hotline received %(total)s requests, as many as in the previous period; "
        "%(dispatched)s of them were dispatched to handling units.",
        "number",
    ),
    unknown=ngettext_lazy(
        "In %(period)s the hotline received %(total)s request (no figure for the previous period); "
        "%(dispatched)s of them were dispatched to handling units.",
        "In %(period)s the hotline received %(total)s requests (no figure for the previous period); "
        "%(dispatched)s of them were dispatched to handling units.",
        "number",
    ),
)


def _work_summary(period: Period, summary: selectors.Summary, trend: selectors.Trend) -> Section:
    section = Section("work", _("Work summary"))
    answered, dispatched = summary.counts["answered_directly"], summary.counts["dispatched"]
    section.paragraphs.append(
        RECEIVED.render(
            summary.change,
            summary.received,
            {"period": period.label, "total": count(summary.received), "dispatched": count(dispatched)},
        )
    )
    section.paragraphs.append(
        _(
            "By phone: %(phone)s (%(phone_share)s); online: %(online)s (%(online_share)s). Answered directly: "
            "%(answered)s (%(answered_share)s); dispatched: %(dispatched)s (%(dispatched_share)s)."
        )
        % {
            "phone": count(summary.phone),
            "phone_share": percent(summary.share(summary.phone)),
            "online": count(summary.online),
            "online_share": percent(summary.share(summary.online)),
            "answered": count(answered),
            "answered_share": percent(summary.share(answered)),
            "dispatched": count(dispatched),
            "dispatched_share": percent(summary.share(dispatched)),
        }
    )
    if summary.enterprise_line:
        section.paragraphs.append(
            _(
                "The enterprise line took %(total)s calls: %(answered)s answered directly (%(answered_share)s), "
                "%(dispatched)s dispatched (%(dispatched_share)s)."
            )
            % {
                "total": count(summary.enterprise_line),
                "answered": count(summary.enterprise_answered),
                "answered_share": percent(ratio(summary.enterprise_answered, summary.enterprise_line)),
                "dispatched": count(summary.enterprise_dispatched),
                "dispatched_share": percent(ratio(summary.enterprise_dispatched, summary.enterprise_line)),
            }
        )
    other = summary.received - answered - dispatched
    rows = [
        [_("Requests received"), summary.received, None],
        [_("By phone (including the enterprise line)"), summary.phone, summary.share(summary.phone)],
        [_("Online channels"), summary.online, summary.share(summary.online)],
        [_("Media reports"), summary.media, summary.share(summary.media)],
        [_("Other platforms"), summary.platforms, summary.share(summary.platforms)],
        [_("Answered directly"), answered, summary.share(answered)],
        [_("Dispatched"), dispatched, summary.share(dispatched)],
        [_("Other (transferred, explained, open at intake)"), other, summary.share(other)],
        [_("Enterprise line"), summary.enterprise_line, summary.share(summary.enterprise_line)],
    ]
    section.tables.append(Table(_("Work summary"), [_("Item"), _("Tickets"), _("Share")], rows, frozenset({2})))
    months = [f"{month:%Y-%m}" for month in trend.months]
    section.tables.append(
        Table(
            _("Requests by month"),
            [_("Month"), _("Requests received"), _("Answered directly"), _("Dispatched")],
            [list(row) for row in zip(months, trend.received, trend.answered_directly, trend.dispatched, strict=True)],
        )
    )
    section.charts.append(
        Chart(
            "bar",
            _("Requests by month"),
            months,
            [(_("Answered directly"), trend.answered_directly), (_("Dispatched"), trend.dispatched)],
        )
    )
    return section


# --- Section 2: request types -------------------------------------------------------------------


def kind_breakdown(*, scope: Scope, period: Period) -> dict[str, dict[str, Counter]]:
    """Per kind: tickets per month and per district of the period (one query)."""
    rows = (
        selectors.rollup_rows(scope, period.start, period.end)
        .values("kind", "month", "district__name")
        .annotate(n=Sum("received"))
        .order_by()
    )
    result: dict[str, dict[str, Counter]] = defaultdict(lambda: {"months": Counter(), "districts": Counter()})
    for row in rows:
        result[row["kind"]]["months"][row["month"]] += row["n"]
        if row["district__name"]:
            result[row["kind"]]["districts"][row["district__name"]] += row["n"]
    return result


def _request_types(period: Period, ranking: selectors.CategoryRanking, breakdown: dict) -> Section:
    section = Section("kinds", _("Request types"))
    rows = []
    number = 0
    for block in ranking.by_kind:
        if not block.total:
            continue
        number += 1
        kind = block.label
        names = [line.name for line in block.lines]
        section.paragraphs.append(f"{number}. {kind}")
        section.paragraphs.append(
            _(
                "The top %(kind)s categories were %(categories)s. The largest was %(top)s, %(share)s of all "
                "%(kind)s requests."
            )
            % {"kind": kind, "categories": listing(names), "top": names[0], "share": percent(block.lines[0].share)}
        )
        months = breakdown[block.kind]["months"]
        if period.is_year and len(months) == 1:
            (only,) = months
            section.paragraphs.append(
                _("%(kind)s requests were %(share)s of all requests, all of them in %(month)s.")
                % {"kind": kind, "share": percent(block.share), "month": _month_label(only)}
            )
        elif period.is_year and months and len(set(months.values())) == 1:
            template = (
                _("%(kind)s requests were %(share)s of all requests, %(count)s in every month of the year.")
                if len(months) == 12
                else _("%(kind)s requests were %(share)s of all requests, %(count)s in each month that had any.")
            )
            every = next(iter(months.values()))
            section.paragraphs.append(template % {"kind": kind, "share": percent(block.share), "count": count(every)})
        elif period.is_year and months:
            # On a tie the earlier month wins, both ways.
            peak, peak_count = max(months.items(), key=lambda item: (item[1], -item[0].toordinal()))
            low, low_count = min(months.items(), key=lambda item: (item[1], item[0]))
            section.paragraphs.append(
                _(
                    "%(kind)s requests were %(share)s of all requests; they peaked in %(peak)s at %(peak_count)s "
                    "and were fewest in %(low)s at %(low_count)s."
                )
                % {
                    "kind": kind,
                    "share": percent(block.share),
                    "peak": _month_label(peak),
                    "peak_count": count(peak_count),
                    "low": _month_label(low),
                    "low_count": count(low_count),
                }
            )
        else:
            section.paragraphs.append(
                _("%(kind)s requests were %(share)s of all requests.") % {"kind": kind, "share": percent(block.share)}
            )
        districts = [name for name, _n in breakdown[block.kind]["districts"].most_common(3)]
        if districts:
            section.paragraphs.append(
                _("By district, %(kind)s requests came mostly from %(districts)s.")
                % {"kind": kind, "districts": listing(districts)}
            )
        rows += [[kind, rank, line.name, line.count, line.share] for rank, line in enumerate(block.lines, start=1)]
    section.tables.append(
        Table(
            _("Top categories by kind"),
            [_("Kind"), _("Rank"), _("Category"), _("Tickets"), _("Share of the kind")],
            rows,
            frozenset({4}),
        )
    )
    kinds = [block for block in ranking.by_kind if block.total]
    section.tables.append(
        Table(
            _("Requests by kind"),
            [_("Kind"), _("Tickets"), _("Share")],
            [[block.label, block.total, block.share] for block in kinds],
            frozenset({2}),
        )
    )
    section.charts.append(
        Chart(
            "pie",
            _("Requests by kind"),
            [block.label for block in kinds],
            [(_("Tickets"), [block.total for block in kinds])],
        )
    )
    return section


# --- Section 3: handling units -----------------------------------------------------------------


def _most_and_least(lines: list, value) -> tuple[Any, Any] | None:
    valued = [line for line in lines if value(line) is not None]
    if len(valued) < 2:
        return None
    ordered = sorted(valued, key=lambda line: (-value(line), line.district.code or "", line.district.name))
    return ordered[0], ordered[-1]


def _handling_units(handling: selectors.Handling, districts: list[selectors.DistrictLine]) -> Section:
    section = Section("units", _("Handling units"))
    groups = [line for line in handling.groups if line.handled]
    if groups:
        parts = [
            _("%(group)s handled %(count)s (%(share)s)")
            % {"group": line.group.label, "count": count(line.handled), "share": percent(line.share)}
            for line in groups
        ]
        section.paragraphs.append(
            _("Of the %(total)s dispatched requests: %(parts)s.")
            % {"total": count(handling.total), "parts": clauses(parts)}
        )
    with_tickets = [line for line in districts if line.received]
    extremes = _most_and_least(with_tickets, lambda line: line.received)
    if extremes:
        most, least = extremes
        section.paragraphs.append(
            _(
                "By district, %(most)s had the most requests (%(most_count)s) and %(least)s the fewest "
                "(%(least_count)s)."
            )
            % {
                "most": most.district.name,
                "most_count": count(most.received),
                "least": least.district.name,
                "least_count": count(least.received),
            }
        )
    extremes = _most_and_least(with_tickets, lambda line: line.per_10k)
    if extremes:
        most, least = extremes
        section.paragraphs.append(
            _(
                "Per 10,000 residents, %(most)s had the most requests (%(most_value)s) and %(least)s the fewest "
                "(%(least_value)s)."
            )
            % {
                "most": most.district.name,
                "most_value": most.per_10k,
                "least": least.district.name,
                "least_value": least.per_10k,
            }
        )
    streets = handling.top_units["street"]
    if streets:
        by_district = Counter(line.parent_name for line in streets if line.parent_name)
        first = {"first": streets[0].full_name, "count": count(streets[0].handled)}
        parts = [
            _("Among streets/townships, %(first)s handled the most requests (%(count)s), followed by %(others)s.")
            % {**first, "others": listing([line.full_name for line in streets[1:5]])}
            if len(streets) > 1
            else _("Among streets/townships, %(first)s handled the most requests (%(count)s).") % first
        ]
        if by_district:
            parts.append(
                ngettext(
                    "The top %(n)s street/township by requests handled is in %(districts)s.",
                    "The top %(n)s streets/townships by requests handled are in %(districts)s.",
                    len(streets),
                )
                % {
                    "n": len(streets),
                    "districts": listing(
                        [
                            _("%(district)s (%(count)s)") % {"district": name, "count": n}
                            for name, n in by_district.most_common()
                        ]
                    ),
                }
            )
        section.paragraphs.append(sentences(parts))
    for key in ("city_department", "state_enterprise", "platform_company"):
        units = handling.top_units[key]
        if not units:
            continue
        group = next(group for group in UNIT_GROUPS if group.key == key)
        values = {"group": group.label, "first": units[0].name, "count": count(units[0].handled)}
        if len(units) > 1:
            sentence = _(
                "Among %(group)s, %(first)s handled the most requests (%(count)s), followed by %(second)s "
                "(%(second_count)s)."
            ) % {**values, "second": units[1].name, "second_count": count(units[1].handled)}
        else:
            sentence = _("Among %(group)s, %(first)s handled the most requests (%(count)s).") % values
        section.paragraphs.append(sentence)
    section.tables.append(
        Table(
            _("Dispatched requests by kind of handling unit"),
            [_("Kind of unit"), _("Tickets"), _("Share")],
            [[str(line.group.label), line.handled, line.share] for line in handling.groups],
            frozenset({2}),
        )
    )
    section.tables.append(
        Table(
            _("Requests by district"),
            [_("District"), _("Tickets"), _("Resident population"), _("Per 10,000 residents")],
            [[line.district.name, line.received, line.district.population, line.per_10k] for line in districts],
        )
    )
    section.tables.append(
        Table(
            _("Streets/townships that handled the most requests"),
            [_("Rank"), _("Street/township"), _("Tickets")],
            [[rank, line.full_name, line.handled] for rank, line in enumerate(streets, start=1)],
        )
    )
    others = [
        [str(line.group.label), rank, line.name, line.handled]
        for key in ("city_department", "state_enterprise", "platform_company")
        for rank, line in enumerate(handling.top_units[key], start=1)
    ]
    section.tables.append(
        Table(
            _("City departments and enterprises that handled the most requests"),
            [_("Kind of unit"), _("Rank"), _("Unit"), _("Tickets")],
            others,
        )
    )
    section.charts.append(
        Chart(
            "pie",
            _("Dispatched requests by kind of handling unit"),
            [str(line.group.label) for line in groups],
            [(_("Tickets"), [line.handled for line in groups])],
        )
    )
    section.charts.append(
        Chart(
            "bar",
            _("Requests per 10,000 residents"),
            [line.district.name for line in districts],
            [(_("Per 10,000 residents"), [float(line.per_10k or 0) for line in districts])],
        )
    )
    return section


# --- Section 4: hot topics ------------------------------------------------------------------------

TOPIC = ByTrend(
    up=ngettext_lazy(
        "%(name)s: %(count)s request, up %(rate)s on the previous period, mainly about %(subs)s. The largest "
        "part was %(main)s, %(share)s.",
        "%(name)s: %(count)s requests, up %(rate)s on the previous period, mainly about %(subs)s. The largest "
        "part was %(main)s, %(share)s.",
        "number",
    ),
    down=ngettext_lazy(
        "%(name)s: %(count)s request, down %(rate)s on the previous period, mainly about %(subs)s. The largest "
        "part was %(main)s, %(share)s.",
        "%(name)s: %(count)s requests, down %(rate)s on the previous period, mainly about %(subs)s. The largest "
        "part was %(main)s, %(share)s.",
        "number",
    ),
    unchanged=ngettext_lazy(
        "%(name)s: %(count)s request, as many as in the previous period, mainly about %(subs)s. The largest "
        "part was %(main)s, %(share)s.",
        "%(name)s: %(count)s requests, as many as in the previous period, mainly about %(subs)s. The largest "
        "part was %(main)s, %(share)s.",
        "number",
    ),
    unknown=ngettext_lazy(
        "%(name)s: %(count)s request (no figure for the previous period), mainly about %(subs)s. The largest "
        "part was %(main)s, %(share)s.",
        "%(name)s: %(count)s requests (no figure for the previous period), mainly about %(subs)s. The largest "
        "part was %(main)s, %(share)s.",
        "number",
    ),
)


@dataclass
class Topic:
    category_id: int
    name: str
    count: int = 0
    previous: int = 0
    answered_directly: int = 0
    subcategories: Counter = field(default_factory=Counter)
    groups: Counter = field(default_factory=Counter)  # unit group key → dispatched
    districts: Counter = field(default_factory=Counter)


def hot_topics(*, scope: Scope, period: Period, top: int = selectors.TOP) -> list[Topic]:
    """The top first-level categories with their second-level parts, handling unit kinds and
    districts (three queries)."""
    previous = period.previous()
    current = Q(month__gte=period.start)
    topics: dict[int, Topic] = {}
    for row in (
        selectors.rollup_rows(scope, previous.start, period.end)
        .values("category__parent__parent_id", "category__parent__parent__name", "category__parent__name")
        .annotate(
            n=Coalesce(Sum("received", filter=current), 0),
            before=Coalesce(Sum("received", filter=~current), 0),
            answered=Coalesce(Sum("answered_directly", filter=current), 0),
        )
        .order_by()
    ):
        topic = topics.setdefault(
            row["category__parent__parent_id"],
            Topic(row["category__parent__parent_id"], row["category__parent__parent__name"]),
        )
        topic.count += row["n"]
        topic.previous += row["before"]
        topic.answered_directly += row["answered"]
        if row["n"]:
            topic.subcategories[row["category__parent__name"]] += row["n"]
    chosen = sorted((t for t in topics.values() if t.count), key=lambda t: (-t.count, t.name))[:top]
    ids = [topic.category_id for topic in chosen]
    by_id = {topic.category_id: topic for topic in chosen}
    rows = selectors.rollup_rows(scope, period.start, period.end).filter(category__parent__parent_id__in=ids)
    for row in (
        rows.exclude(unit=None)
        .values("category__parent__parent_id", "unit__kind")
        .annotate(n=Sum("dispatched"))
        .order_by()
    ):
        group = GROUP_OF_KIND.get(row["unit__kind"])
        if group is not None:
            by_id[row["category__parent__parent_id"]].groups[group.key] += row["n"]
    for row in (
        rows.exclude(district=None)
        .values("category__parent__parent_id", "district__name")
        .annotate(n=Sum("received"))
        .order_by()
    ):
        by_id[row["category__parent__parent_id"]].districts[row["district__name"]] += row["n"]
    return chosen


def _hot_topics(period: Period, topics: list[Topic]) -> Section:
    section = Section("topics", _("Hot topics"))
    if topics:
        section.paragraphs.append(
            _("The top categories of %(period)s were %(categories)s.")
            % {"period": period.label, "categories": listing([topic.name for topic in topics])}
        )
    group_labels = {group.key: group.label for group in UNIT_GROUPS}
    rows = []
    for rank, topic in enumerate(topics, start=1):
        subs = topic.subcategories.most_common(5)
        main, main_count = subs[0]
        section.paragraphs.append(f"{rank}. {topic.name}")
        section.paragraphs.append(
            TOPIC.render(
                selectors.change(topic.count, topic.previous),
                topic.count,
                {
                    "name": topic.name,
                    "count": count(topic.count),
                    "subs": listing([name for name, _n in subs]),
                    "main": main,
                    "share": percent(ratio(main_count, topic.count)),
                },
            )
        )
        parts = [
            ngettext(
                "%(answered)s was answered directly (%(share)s).",
                "%(answered)s were answered directly (%(share)s).",
                topic.answered_directly,
            )
            % {
                "answered": count(topic.answered_directly),
                "share": percent(ratio(topic.answered_directly, topic.count)),
            }
        ]
        handled = sum(topic.groups.values())
        if handled:
            group, group_count = topic.groups.most_common(1)[0]
            parts.append(
                _("Among handling units, %(group)s handled the most: %(count)s, %(share)s of those dispatched.")
                % {
                    "group": group_labels[group],
                    "count": count(group_count),
                    "share": percent(ratio(group_count, handled)),
                }
            )
        section.paragraphs.append(sentences(parts))
        if topic.districts:
            district, district_count = topic.districts.most_common(1)[0]
            section.paragraphs.append(
                _("By district, %(district)s had the most: %(count)s, %(share)s of those with a district.")
                % {
                    "district": district,
                    "count": count(district_count),
                    "share": percent(ratio(district_count, sum(topic.districts.values()))),
                }
            )
        rows.append(
            [
                rank,
                topic.name,
                topic.count,
                selectors.change(topic.count, topic.previous),
                main,
                ratio(main_count, topic.count),
                ratio(topic.answered_directly, topic.count),
            ]
        )
    section.tables.append(
        Table(
            _("Top categories"),
            [
                _("Rank"),
                _("Category"),
                _("Tickets"),
                _("Change on the previous period"),
                _("Main sub-category"),
                _("Its share"),
                _("Answered directly"),
            ],
            rows,
            frozenset({3, 5, 6}),
        )
    )
    section.charts.append(
        Chart("bar", _("Top categories"), [topic.name for topic in topics], [(_("Tickets"), [t.count for t in topics])])
    )
    return section


# --- Section 5: handling results ------------------------------------------------------------------


def _best(lines: list, rates_of) -> list:
    """Lines with answered callbacks, best resolution and satisfaction (their mean) first."""
    rated = [(line, rates_of(line)) for line in lines]
    rated = [(line, r) for line, r in rated if r.resolution is not None and r.satisfaction is not None]
    rated.sort(key=lambda item: -(item[1].resolution + item[1].satisfaction))
    return [line for line, _r in rated]


def _handling_results(
    period: Period,
    summary: selectors.Summary,
    previous: selectors.Summary,
    trend: selectors.Trend,
    handling: selectors.Handling,
    districts: list[selectors.DistrictLine],
) -> Section:
    section = Section("results", _("Handling results"))
    rates, before = summary.rates, previous.rates
    section.paragraphs.append(
        _(
            "In %(period)s the resolution rate was %(resolution)s and the satisfaction rate %(satisfaction)s "
            "(previous period: %(previous_resolution)s and %(previous_satisfaction)s); %(response)s of the "
            "dispatched tickets were signed for in time. These figures count the requests received in the period; "
            "the monthly rankings count by month dispatched and month called back."
        )
        % {
            "period": period.label,
            "resolution": percent(rates.resolution),
            "satisfaction": percent(rates.satisfaction),
            "previous_resolution": percent(before.resolution),
            "previous_satisfaction": percent(before.satisfaction),
            "response": percent(rates.response),
        }
    )
    best_groups = _best(handling.groups, lambda line: line.rates)
    if best_groups:
        first = {"first": best_groups[0].group.label}
        section.paragraphs.append(
            _(
                "By kind of handling unit, %(first)s had the highest resolution and satisfaction rates, followed "
                "by %(second)s."
            )
            % {**first, "second": best_groups[1].group.label}
            if len(best_groups) > 1
            else _("By kind of handling unit, %(first)s had the highest resolution and satisfaction rates.") % first
        )
    best_districts = _best(districts, lambda line: line.rates)
    if best_districts:
        first = {"first": best_districts[0].district.name}
        section.paragraphs.append(
            _("By district, %(first)s had the highest resolution and satisfaction rates, followed by %(others)s.")
            % {**first, "others": listing([line.district.name for line in best_districts[1:3]])}
            if len(best_districts) > 1
            else _("By district, %(first)s had the highest resolution and satisfaction rates.") % first
        )
    # By month received (analytics' rollups) the first rate is only the signing in time; the
    # district table counts as the district ranking does, with its response rate.
    headers = [_("Callbacks answered"), _("Signed in time"), _("Resolution rate"), _("Satisfaction rate")]
    ranking_headers = [_("Callbacks answered"), _("Response rate"), _("Resolution rate"), _("Satisfaction rate")]

    def rate_row(label: str, answered: int, rates: Rates) -> list[Any]:
        return [label, answered, rates.response, rates.resolution, rates.satisfaction]

    section.tables.append(
        Table(
            _("Rates by kind of handling unit"),
            [_("Kind of unit"), *headers],
            [
                rate_row(str(line.group.label), line.counts["callbacks_answered"], line.rates)
                for line in handling.groups
            ],
            frozenset({2, 3, 4}),
        )
    )
    section.tables.append(
        Table(
            _("Rates by district (as the district ranking counts them)"),
            [_("District"), *ranking_headers],
            [rate_row(line.district.name, line.ranking_sums.answered, line.rates) for line in districts],
            frozenset({2, 3, 4}),
        )
    )
    months, monthly_rates = [f"{month:%Y-%m}" for month in trend.months], trend.rates
    section.tables.append(
        Table(
            _("Rates by month"),
            [_("Month"), *headers],
            [
                rate_row(month, counts["callbacks_answered"], rates)
                for month, counts, rates in zip(months, trend.counts, monthly_rates, strict=True)
            ],
            frozenset({2, 3, 4}),
        )
    )
    shown = [line for line in handling.groups if line.rates.resolution is not None]
    section.charts.append(
        Chart(
            "bar",
            _("Rates by kind of handling unit"),
            [str(line.group.label) for line in shown],
            [
                (_("Resolution rate"), [round(float(line.rates.resolution) * 100, 2) for line in shown]),
                (_("Satisfaction rate"), [round(float(line.rates.satisfaction) * 100, 2) for line in shown]),
            ],
        )
    )
    section.charts.append(Chart("line", _("Rates by month"), months, rate_series(monthly_rates)))
    return section


def build_report(*, scope: Scope, period: Period) -> Report:
    """The whole report in a fixed number of queries, whatever the number of tickets."""
    summary = selectors.summary(scope=scope, period=period)
    previous = selectors.summary(scope=scope, period=period.previous())
    trend = selectors.monthly_trend(scope=scope, period=period)
    ranking = selectors.category_ranking(scope=scope, period=period)
    breakdown = kind_breakdown(scope=scope, period=period)
    handling = selectors.handling(scope=scope, period=period)
    districts = selectors.district_table(scope=scope, period=period)
    topics = hot_topics(scope=scope, period=period)
    return Report(
        period=period,
        title=_("%(period)s disclosure report of the 12345 citizen service hotline") % {"period": period.label},
        sections=[
            _work_summary(period, summary, trend),
            _request_types(period, ranking, breakdown),
            _handling_units(handling, districts),
            _hot_topics(period, topics),
            _handling_results(period, summary, previous, trend, handling, districts),
        ],
    )


def as_text(report: Report) -> str:
    """Plain text for the management command: title, then each section's sentences."""
    lines = [report.title, ""]
    for number, section in enumerate(report.sections, start=1):
        lines.append(f"{number}. {section.title}")
        lines += section.paragraphs
        lines.append("")
    return "\n".join(lines)
