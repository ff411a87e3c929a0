"""Analytics pages: overview, categories, districts and units, hot spots, and the disclosure report.

Thin: check access (404 for anyone without it), read the period, call selectors that read the
rollups, render. Every page runs a fixed number of queries whatever the number of tickets.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from analytics import exports, report, selectors
from analytics.api.views import screen_payload
from analytics.periods import Period
from analytics.selectors import Scope
from hotline.errors import DomainError
from hotline.forms import apply_domain_error
from hotline.permissions import require
from hotline.roles import TOPIC_ADMIN_ROLES, holds
from intake.models import Channel, Kind


def _scope(request: HttpRequest) -> Scope:
    scope = selectors.analytics_scope(user=request.user)
    require(scope is not None)
    return scope


def _period(request: HttpRequest, *, default: str = "month") -> Period:
    """The ?period= of the page (a year or a month); a bad one shows a message and the default."""
    try:
        return Period.parse(request.GET.get("period"), default=default)
    except DomainError as error:
        apply_domain_error(request, error)
        return Period.parse(None, default=default)


def _page(request: HttpRequest, template: str, page: str, period: Period, **context: Any) -> HttpResponse:
    years, months = selectors.period_choices(today=timezone.localdate())
    # A period outside the data (asked for by URL) still shows as chosen.
    if period not in years and period not in months:
        (years if period.is_year else months).insert(0, period)
    return render(
        request,
        f"analytics/{template}",
        {"page": page, "period": period, "years": years, "months": months, **context},
    )


def _chart(kind: str, labels: list[str], series: list[tuple[str, list]], **options: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "labels": labels,
        "series": [{"label": str(label), "data": data} for label, data in series],
        **options,
    }


def _percent_points(rate: Decimal | None) -> float | None:
    """A rate as a chart's percent points; None (a gap) without a denominator."""
    return None if rate is None else round(float(rate) * 100, 2)


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    period = _period(request)
    summary = selectors.summary(scope=scope, period=period)
    trend = selectors.monthly_trend(scope=scope, period=period)
    live = selectors.live_deadlines(scope=scope, now=timezone.now())
    months = [f"{month:%Y-%m}" for month in trend.months]
    monthly_rates = trend.rates
    channels = [channel for channel in Channel if any(trend.by_channel[channel.value])]
    answered, dispatched = summary.counts["answered_directly"], summary.counts["dispatched"]
    # Closed at intake (transferred, legal route, explained), still awaiting dispatch, or merged.
    other = summary.received - answered - dispatched
    charts = {
        "by_kind": _chart("bar", months, [(kind.label, trend.by_kind[kind.value]) for kind in Kind], stacked=True),
        "by_channel": _chart(
            "bar", months, [(channel.label, trend.by_channel[channel.value]) for channel in channels], stacked=True
        ),
        "disposition": _chart(
            "doughnut",
            [_("Answered directly"), _("Dispatched"), _("Other")],
            [(_("Tickets"), [answered, dispatched, other])],
        ),
        "phone_online": _chart(
            "doughnut",
            [
                _("By phone (including the enterprise line)"),
                _("Online channels"),
                _("Media reports"),
                _("Other platforms"),
                _("Proactive governance"),
            ],
            [(_("Tickets"), [summary.phone, summary.online, summary.media, summary.platforms, summary.proactive])],
        ),
        "rates": _chart("line", months, report.rate_series(monthly_rates), percent=True),
        "repeat_contacts": _chart(
            "line",
            months,
            [(_("Repeat-contact rate"), [_percent_points(rate) for rate in trend.repeat_contact_rates])],
            percent=True,
        ),
    }
    return _page(
        request,
        "overview.html",
        "overview",
        period,
        summary=summary,
        rates=summary.rates,
        answered_share=summary.share(answered),
        dispatched_share=summary.share(dispatched),
        other=other,
        other_share=summary.share(other),
        phone_share=summary.share(summary.phone),
        online_share=summary.share(summary.online),
        media_share=summary.share(summary.media),
        platforms_share=summary.share(summary.platforms),
        proactive_share=summary.share(summary.proactive),
        live=live,
        monthly_rates=list(zip(months, monthly_rates, strict=True)),
        acceptance=summary.suggestion_acceptance,
        monthly_acceptance=list(zip(months, trend.suggestion_acceptance, strict=True)),
        monthly_repeats=list(zip(months, trend.counts, trend.repeat_contact_rates, strict=True)),
        charts=charts,
    )


@require_GET
def categories(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    period = _period(request)
    ranking = selectors.category_ranking(scope=scope, period=period)
    chart = _chart(
        "bar",
        [line.label for line in ranking.overall],
        [(_("Tickets"), [line.count for line in ranking.overall])],
        horizontal=True,
    )
    return _page(request, "categories.html", "categories", period, ranking=ranking, charts={"top": chart})


@require_GET
def places(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    period = _period(request)
    districts = selectors.district_table(scope=scope, period=period)
    zones = selectors.zone_table(districts=districts)
    handling = selectors.handling(scope=scope, period=period)
    charts = {
        "per_10k": _chart(
            "bar",
            [line.district.label for line in districts],
            [(_("Per 10,000 residents"), [float(line.per_10k or 0) for line in districts])],
        ),
        "unit_kinds": _chart(
            "doughnut",
            [str(line.group.label) for line in handling.groups],
            [(_("Tickets"), [line.handled for line in handling.groups])],
        ),
    }
    return _page(
        request,
        "places.html",
        "places",
        period,
        districts=districts,
        zones=zones,
        handling=handling,
        streets=handling.top_units["street"],
        others=[
            (group, handling.top_units[group.key])
            for group in selectors.UNIT_GROUPS
            if group.key in ("city_department", "state_enterprise", "platform_company")
        ],
        charts=charts,
    )


def _hot_spot_month(period: Period) -> date:
    """Hot spots are monthly: a year means its last month (so far)."""
    if not period.is_year:
        return period.start
    return min(period.last_day, timezone.localdate()).replace(day=1)


@require_GET
def hotspots(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    period = _period(request)
    month = _hot_spot_month(period)
    return _page(
        request,
        "hotspots.html",
        "hotspots",
        period,
        spots=selectors.hot_spots(scope=scope, month=month),
        topics=selectors.topic_candidates(scope=scope, period=period),
        # City admins adopt a line as a monthly topic (topics app), its rule prefilled.
        can_adopt=holds(user=request.user, roles=TOPIC_ADMIN_ROLES),
        rule={
            "baseline": settings.ANALYTICS_HOTSPOT_BASELINE_MONTHS,
            "minimum": settings.ANALYTICS_HOTSPOT_MIN_VOLUME,
            "z": settings.ANALYTICS_HOTSPOT_Z,
            "rise": round(settings.ANALYTICS_HOTSPOT_MIN_RISE * 100),
            "top": settings.ANALYTICS_TOPIC_TOP_N,
            "callbacks": settings.ANALYTICS_TOPIC_MIN_CALLBACKS,
        },
    )


@require_GET
def disclosure_report(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    period = _period(request, default="year")
    built = report.build_report(scope=scope, period=period)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            exports.report_workbook(built),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{exports.report_filename(built)}"'
        return response
    sections = [
        (
            section,
            [(f"chart-{section.key}-{index}", _report_chart(chart)) for index, chart in enumerate(section.charts)],
        )
        for section in built.sections
    ]
    return _page(request, "report.html", "report", period, report=built, sections=sections)


def _report_chart(chart: report.Chart) -> dict[str, Any]:
    data = chart.as_json()
    return {**data, "type": "doughnut" if chart.kind == "pie" else chart.kind}


@require_GET
def screen(request: HttpRequest) -> HttpResponse:
    """The big screen (大屏): a full-screen page whose script draws the figures of
    /api/v1/analytics/screen/ (the first answer comes with the page) and asks again every
    ANALYTICS_SCREEN_POLL_SECONDS."""
    scope = selectors.screen_scope(user=request.user)
    require(scope is not None)
    return render(
        request,
        "analytics/screen.html",
        {
            "payload": screen_payload(scope=scope),
            "poll_seconds": settings.ANALYTICS_SCREEN_POLL_SECONDS,
            "levels": range(selectors.SCREEN_LEVELS),
            "due_within_hours": int(selectors.SCREEN_DUE_WITHIN.total_seconds() // 3600),
            "time_zone": settings.TIME_ZONE,
        },
    )
