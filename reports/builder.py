"""《市民热线反映》 as one structure, rendered as the page, the Excel workbook and the PDF.

Sections: volumes and change; top categories and their movers; hot spots; the topics' progress;
the street rankings (the city's top 10 and bottom 10, each district's top 3); the city's zones.
Every sentence is one translatable template with named placeholders (analytics/report.py's
style), in the variant its case needs; only lists of names are joined.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from analytics.report import RECEIVED, Section, Table, count, listing, percent
from reports import selectors
from reports.periods import ReportKind, ReportPeriod
from topics import selectors as topic_selectors


@dataclass
class Document:
    period: ReportPeriod
    title: str
    sections: list[Section]

    def section(self, key: str) -> Section:
        return next(section for section in self.sections if section.key == key)


def _title(period: ReportPeriod) -> str:
    templates = {
        ReportKind.DAILY: _("%(period)s daily report of the 12345 citizen hotline"),
        ReportKind.WEEKLY: _("%(period)s weekly report of the 12345 citizen hotline"),
        ReportKind.MONTHLY: _("%(period)s monthly report of the 12345 citizen hotline"),
        ReportKind.QUARTERLY: _("%(period)s quarterly analysis of the 12345 citizen hotline"),
    }
    return templates[ReportKind(period.kind)] % {"period": period.label}


# --- Volumes --------------------------------------------------------------------------------------


def _volumes(period: ReportPeriod, totals: selectors.Totals) -> Section:
    section = Section("volumes", _("Volumes and change"))
    answered, dispatched = totals.counts["answered_directly"], totals.counts["dispatched"]
    section.paragraphs.append(
        RECEIVED.render(
            totals.change,
            totals.received,
            {"period": period.label, "total": count(totals.received), "dispatched": count(dispatched)},
        )
    )
    rates, before = totals.rates, totals.previous_rates
    section.paragraphs.append(
        _(
            "Of the tickets received in %(period)s, %(response)s were signed for in time; callbacks so far found a "
            "resolution rate of %(resolution)s and a satisfaction rate of %(satisfaction)s (previous period: "
            "%(previous_resolution)s and %(previous_satisfaction)s)."
        )
        % {
            "period": period.label,
            "response": percent(rates.response),
            "resolution": percent(rates.resolution),
            "satisfaction": percent(rates.satisfaction),
            "previous_resolution": percent(before.resolution),
            "previous_satisfaction": percent(before.satisfaction),
        }
    )
    previous = totals.previous

    def row(label: str, current: int, before: int) -> list[Any]:
        return [label, current, before, selectors.analytics.change(current, before), totals.share(current)]

    section.tables.append(
        Table(
            _("Volumes"),
            [_("Item"), _("This period"), _("Previous period"), _("Change on the previous period"), _("Share")],
            [
                row(_("Requests received"), totals.received, previous["received"]),
                row(_("Answered directly"), answered, previous["answered_directly"]),
                row(_("Dispatched"), dispatched, previous["dispatched"]),
                row(_("Closed"), totals.counts["closed"], previous["closed"]),
                row(_("Overdue"), totals.counts["overdue"], previous["overdue"]),
                [_("By phone (including the enterprise line)"), totals.phone, None, None, totals.share(totals.phone)],
                [_("Online channels"), totals.online, None, None, totals.share(totals.online)],
                [_("Other platforms"), totals.platforms, None, None, totals.share(totals.platforms)],
                [_("Media reports"), totals.media, None, None, totals.share(totals.media)],
                [_("Proactive (未诉先办)"), totals.proactive, None, None, totals.share(totals.proactive)],
            ],
            frozenset({3, 4}),
        )
    )
    section.tables.append(
        Table(
            _("Rates"),
            [_("Rate"), _("This period"), _("Previous period")],
            [
                [_("Signed in time"), rates.response, before.response],
                [_("Resolution rate"), rates.resolution, before.resolution],
                [_("Satisfaction rate"), rates.satisfaction, before.satisfaction],
            ],
            frozenset({1, 2}),
        )
    )
    return section


# --- Categories -------------------------------------------------------------------------------------


def _categories(period: ReportPeriod, top: list, movers: selectors.Movers) -> Section:
    section = Section("categories", _("Top categories and their movers"))
    shown = [line for line in top if line.count][: selectors.TOP]
    if shown:
        section.paragraphs.append(
            _(
                "The top categories of %(period)s were %(categories)s; the largest, %(top)s, had %(share)s of all "
                "requests."
            )
            % {
                "period": period.label,
                "categories": listing([line.name for line in shown]),
                "top": shown[0].name,
                "share": percent(shown[0].share),
            }
        )
    else:
        section.paragraphs.append(_("No requests were received in %(period)s.") % {"period": period.label})
    if movers.up:
        section.paragraphs.append(
            _("Rising most on the previous period: %(categories)s.")
            % {"categories": listing([f"{line.name}（+{line.count - line.previous}）" for line in movers.up])}
        )
    if movers.down:
        section.paragraphs.append(
            _("Falling most on the previous period: %(categories)s.")
            % {"categories": listing([f"{line.name}（{line.count - line.previous}）" for line in movers.down])}
        )
    section.tables.append(
        Table(
            _("Top 10 categories"),
            [
                _("Rank"),
                _("Category"),
                _("Tickets"),
                _("Share"),
                _("Previous period"),
                _("Change on the previous period"),
            ],
            [
                [rank, line.name, line.count, line.share, line.previous, line.change]
                for rank, line in enumerate(shown, start=1)
            ],
            frozenset({3, 5}),
        )
    )
    section.tables.append(
        Table(
            _("Movers (second-level categories)"),
            [_("Direction"), _("Category"), _("Tickets"), _("Previous period"), _("Difference")],
            [[_("Up"), line.name, line.count, line.previous, line.count - line.previous] for line in movers.up]
            + [[_("Down"), line.name, line.count, line.previous, line.count - line.previous] for line in movers.down],
        )
    )
    return section


# --- Hot spots -------------------------------------------------------------------------------------


def _hot_spots(found: selectors.HotSpots) -> Section:
    section = Section("hotspots", _("Hot spots"))
    if not found.enough_history:
        section.paragraphs.append(
            _("Too little history to find hot spots yet: a place needs several earlier periods to compare with.")
        )
    elif not found.spots:
        section.paragraphs.append(_("No category rose sharply at any street or township against its recent past."))
    else:
        section.paragraphs.append(
            ngettext(
                "%(number)s category rose sharply at a street or township against its previous %(periods)s periods.",
                "%(number)s categories rose sharply at streets or townships against their previous %(periods)s "
                "periods.",
                len(found.spots),
            )
            % {"number": len(found.spots), "periods": found.baseline_periods}
        )
    section.tables.append(
        Table(
            _("Hot spots"),
            [_("Category"), _("Place"), _("Tickets"), _("Usual (mean)"), _("Standard deviations above")],
            [
                [spot.category_label, spot.place_label, spot.count, spot.mean, round(spot.score, 1)]
                for spot in found.spots
            ],
        )
    )
    return section


# --- Topics' progress ---------------------------------------------------------------------------------


def topics_progress(period: ReportPeriod) -> Section:
    """The monthly topics' (每月一题) progress: each topic adopted by the period's end, its tickets
    in the period against the period before, and its reform measures done."""
    section = Section("topics", _("Progress of the monthly topics"))
    lines = topic_selectors.topic_progress(start=period.start, end=period.end)
    if not lines:
        section.paragraphs.append(_("No monthly topic had been adopted by the end of the period."))
        return section
    section.tables.append(
        Table(
            _("Monthly topics"),
            [
                _("Topic"),
                _("Status"),
                _("Lead unit"),
                _("Tickets in the period"),
                _("Previous period"),
                _("Change on the previous period"),
                _("Measures done"),
            ],
            [
                [
                    line.title,
                    line.status_label,
                    line.lead_unit,
                    line.tickets,
                    line.previous_tickets,
                    line.change,
                    f"{line.measures_done}/{line.measures_total}",
                ]
                for line in lines
            ],
            frozenset({5}),
        )
    )
    return section


# --- Rankings ----------------------------------------------------------------------------------------


def _ranking_rows(lines: list[selectors.StreetLine]) -> list[list[Any]]:
    return [
        [line.rank, line.name, line.composite, line.response, line.resolution, line.satisfaction, line.rank_change]
        for line in lines
    ]


def _month_names(months: list[date]) -> str:
    return listing([f"{month:%Y-%m}" for month in months])


def _rankings(period: ReportPeriod, standings: selectors.Standings, busiest: list[tuple[str, int]]) -> Section:
    section = Section("rankings", _("Streets and townships: rankings"))
    if standings.source == "rankings" and period.kind == ReportKind.MONTHLY:
        section.paragraphs.append(_("From the published street/township ranking of the month."))
    elif standings.source == "rankings":
        section.paragraphs.append(
            _(
                "From the published street/township rankings of %(months)s: the mean of each one's monthly composite "
                "scores, with the rates of the months' callbacks together."
            )
            % {"months": _month_names(standings.months)}
        )
    else:
        section.paragraphs.append(
            _(
                "Provisional, from the rates of the tickets received in the period and dispatched to each street or "
                "township, scored with the ranking's weights; a street or township needs at least %(responses)s "
                "tickets requiring a response and %(callbacks)s answered callbacks to be ranked. The official ranking "
                "is monthly."
            )
            % {"responses": standings.minimum_responses, "callbacks": standings.minimum_callbacks}
        )
        if period.month_aligned:
            section.paragraphs.append(_("No street/township ranking of the period has been published yet."))
    if standings.top:
        section.paragraphs.append(
            _("The top streets and townships were %(names)s.")
            % {"names": listing([line.name for line in standings.top[:3]])}
        )
    if standings.bottom:
        section.paragraphs.append(
            _("The bottom streets and townships were %(names)s.")
            % {"names": listing([line.name for line in standings.bottom[:3]])}
        )
    elif standings.ranked:
        section.paragraphs.append(_("Ten or fewer were ranked, so there is no separate bottom 10."))
    else:
        section.paragraphs.append(_("No street or township had a sample large enough to be ranked."))
    if standings.unranked:
        section.paragraphs.append(
            ngettext(
                "%(number)s street or township was below the minimum sample (样本不足).",
                "%(number)s streets and townships were below the minimum sample (样本不足).",
                standings.unranked,
            )
            % {"number": standings.unranked}
        )
    headers = [
        _("Rank"),
        _("Street/township"),
        _("Composite score"),
        _("Response rate"),
        _("Resolution rate"),
        _("Satisfaction rate"),
        _("Places gained"),
    ]
    section.tables.append(Table(_("City top 10"), headers, _ranking_rows(standings.top), frozenset({3, 4, 5})))
    section.tables.append(Table(_("City bottom 10"), headers, _ranking_rows(standings.bottom), frozenset({3, 4, 5})))
    section.tables.append(
        Table(
            _("Top 3 of each district"),
            [_("District"), *headers],
            [[top.district.name, *row] for top in standings.district_tops for row in _ranking_rows(top.lines)],
            frozenset({4, 5, 6}),
        )
    )
    section.tables.append(
        Table(
            _("Most requests (top 10 streets and townships by the requests' place)"),
            [_("Rank"), _("Street/township"), _("Requests received")],
            [[rank, name, number] for rank, (name, number) in enumerate(busiest, start=1)],
        )
    )
    return section


# --- Zones --------------------------------------------------------------------------------------------


def _zones(period: ReportPeriod, rows: list[selectors.ZoneRow]) -> Section:
    section = Section("zones", _("The city's zones"))
    busiest = max(rows, key=lambda row: row.received, default=None)
    if busiest is not None and busiest.received:
        section.paragraphs.append(
            _("By zone, %(zone)s had the most requests in %(period)s: %(count)s, %(share)s of those with a district.")
            % {
                "zone": busiest.label,
                "period": period.label,
                "count": count(busiest.received),
                "share": percent(busiest.share),
            }
        )
    rate_header = _("Response rate") if period.month_aligned else _("Signed in time")
    section.tables.append(
        Table(
            _("Requests and rates by zone"),
            [
                _("Zone"),
                _("Requests received"),
                _("Share"),
                _("Per 10,000 residents"),
                _("Answered directly"),
                rate_header,
                _("Resolution rate"),
                _("Satisfaction rate"),
            ],
            [
                [
                    row.label,
                    row.received,
                    row.share,
                    row.per_10k,
                    row.direct_answer_ratio,
                    row.rates.response,
                    row.rates.resolution,
                    row.rates.satisfaction,
                ]
                for row in rows
            ],
            frozenset({2, 4, 5, 6, 7}),
        )
    )
    return section


def build(*, period: ReportPeriod) -> Document:
    """The whole report in a fixed number of queries, whatever the number of tickets."""
    totals = selectors.totals(period=period)
    top = selectors.categories(period=period, level=1)
    movers = selectors.movers(lines=selectors.categories(period=period, level=2))
    return Document(
        period=period,
        title=_title(period),
        sections=[
            _volumes(period, totals),
            _categories(period, top, movers),
            _hot_spots(selectors.hot_spots(period=period)),
            topics_progress(period),
            _rankings(period, selectors.standings(period=period), selectors.busiest_streets(period=period)),
            _zones(period, selectors.zones(period=period)),
        ],
    )


# --- Stored form -----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value if value is None or isinstance(value, int | float | str) else str(value)


def as_json(document: Document) -> dict[str, Any]:
    """The document as stored with the report (what the page shows): rates as fractions."""
    return {
        "title": document.title,
        "kind": document.period.kind,
        "period": document.period.param,
        "label": document.period.label,
        "sections": [
            {
                "key": section.key,
                "title": str(section.title),
                "paragraphs": [str(paragraph) for paragraph in section.paragraphs],
                "tables": [
                    {
                        "title": str(table.title),
                        "headers": [str(header) for header in table.headers],
                        "rows": [[_plain(value) for value in row] for row in table.rows],
                        "percent_columns": sorted(table.percent_columns),
                    }
                    for table in section.tables
                ],
            }
            for section in document.sections
        ],
    }
