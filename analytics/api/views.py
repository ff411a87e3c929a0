"""Analytics API: the main series of the dashboards, read from the rollups and scoped like the pages
(city admins and hotline supervisors everything, district supervisors their district, unit leaders
their units; anyone else 404). Each answer is small and bounded (twelve months, ten categories,
the districts, at most fifty hot spots), so it is not paginated.
"""

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors
from analytics.api import serializers
from analytics.periods import Period
from analytics.selectors import Scope
from hotline import degraded
from hotline.api.permissions import NotFoundUnless
from hotline.models import User
from intake.models import Channel, Kind


class ReadsAnalytics(NotFoundUnless):
    """Finds the user's scope once and keeps it on the view for the handler."""

    def allowed(self, user: User, view: "AnalyticsView") -> bool:
        view.scope = selectors.analytics_scope(user=user)
        return view.scope is not None


class AnalyticsView(APIView):
    permission_classes = [ReadsAnalytics]
    scope: Scope


def _query(serializer_class: type, request: Request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def _trend(request: Request, scope: Scope) -> tuple[Period, selectors.Trend]:
    """The ?period= asked for and the monthly trend of the scope over it."""
    period = Period.parse(_query(serializers.PeriodQuerySerializer, request).get("period"))
    return period, selectors.monthly_trend(scope=scope, period=period)


class VolumeView(AnalyticsView):
    @extend_schema(
        operation_id="analytics_volume",
        summary="Requests per month by kind and by channel",
        parameters=[serializers.PeriodQuerySerializer],
        responses=serializers.VolumeSerializer,
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        period, trend = _trend(request, self.scope)
        months = [
            {
                "month": f"{month:%Y-%m}",
                "received": trend.received[index],
                "answered_directly": trend.answered_directly[index],
                "dispatched": trend.dispatched[index],
                "by_kind": [{"kind": kind, "count": trend.by_kind[kind][index]} for kind in Kind.values],
                "by_channel": [
                    {"channel": channel, "count": trend.by_channel[channel][index]} for channel in Channel.values
                ],
            }
            for index, month in enumerate(trend.months)
        ]
        return Response(serializers.VolumeSerializer({"period": period.param, "months": months}).data)


class RatesView(AnalyticsView):
    @extend_schema(
        operation_id="analytics_rates",
        summary="Signing in time, resolution, satisfaction and repeat contacts per month received",
        parameters=[serializers.PeriodQuerySerializer],
        responses=serializers.RatesSerializer,
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        period, trend = _trend(request, self.scope)
        months = [
            {"month": f"{month:%Y-%m}", "counts": counts, "rates": rates, "repeat_contact_rate": repeat}
            for month, counts, rates, repeat in zip(
                trend.months, trend.counts, trend.rates, trend.repeat_contact_rates, strict=True
            )
        ]
        return Response(serializers.RatesSerializer({"period": period.param, "months": months}).data)


class TopCategoriesView(AnalyticsView):
    @extend_schema(
        operation_id="analytics_top_categories",
        summary="The ten categories with the most requests, against the previous period",
        parameters=[serializers.TopCategoriesQuerySerializer],
        responses=serializers.TopCategoriesSerializer,
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        query = _query(serializers.TopCategoriesQuerySerializer, request)
        period = Period.parse(query.get("period"))
        ranking = selectors.category_ranking(scope=self.scope, period=period, level=int(query["level"]))
        total, lines = ranking.total, ranking.overall
        if query.get("kind"):
            block = next(block for block in ranking.by_kind if block.kind == query["kind"])
            total, lines = block.total, block.lines
        data = {"period": period.param, "total": total, "results": lines}
        return Response(serializers.TopCategoriesSerializer(data).data)


class DistrictTableView(AnalyticsView):
    @extend_schema(
        operation_id="analytics_districts",
        summary="Per district: requests, requests per 10,000 residents and the three rates",
        parameters=[serializers.PeriodQuerySerializer],
        responses=serializers.DistrictTableSerializer,
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        period = Period.parse(_query(serializers.PeriodQuerySerializer, request).get("period"))
        lines = selectors.district_table(scope=self.scope, period=period)
        return Response(serializers.DistrictTableSerializer({"period": period.param, "results": lines}).data)


class ZoneTableView(AnalyticsView):
    @extend_schema(
        operation_id="analytics_zones",
        summary="Per city zone: the sums of its districts' requests, requests per 10,000 residents, "
        "direct-answer ratio and the three rates",
        parameters=[serializers.PeriodQuerySerializer],
        responses=serializers.ZoneTableSerializer,
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        period = Period.parse(_query(serializers.PeriodQuerySerializer, request).get("period"))
        lines = selectors.zone_table(districts=selectors.district_table(scope=self.scope, period=period))
        return Response(serializers.ZoneTableSerializer({"period": period.param, "results": lines}).data)


class HotSpotsView(AnalyticsView):
    @extend_schema(
        operation_id="analytics_hot_spots",
        summary="Category × street clusters whose month jumps against their own baseline",
        parameters=[serializers.HotSpotQuerySerializer],
        responses=serializers.HotSpotsSerializer,
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        period = Period.parse(_query(serializers.HotSpotQuerySerializer, request).get("month"), months_only=True)
        found = selectors.hot_spots(scope=self.scope, month=period.start)
        data = {
            "month": f"{found.month:%Y-%m}",
            "enough_history": found.enough_history,
            "baseline_months": [f"{month:%Y-%m}" for month in found.baseline_months],
            "results": found.spots,
        }
        return Response(serializers.HotSpotsSerializer(data).data)


class ReadsScreen(NotFoundUnless):
    def allowed(self, user: User, view: "ScreenView") -> bool:
        view.scope = selectors.screen_scope(user=user)
        return view.scope is not None


def _screen_cache_key(scope: Scope) -> str:
    """One entry per scope and language: every screen of the command centre shares one."""
    who = "all" if scope.everything else "d" + "-".join(str(pk) for pk in sorted(scope.district_ids))
    return f"analytics:screen:{translation.get_language()}:{who}"


def screen_payload(*, scope: Scope) -> dict:
    """The screen's answer, assembled at most once per ANALYTICS_SCREEN_CACHE_SECONDS per scope
    (Redis); without Redis every request assembles its own."""
    seconds = settings.ANALYTICS_SCREEN_CACHE_SECONDS
    key = _screen_cache_key(scope)
    if seconds > 0:
        try:
            cached = cache.get(key)
        except degraded.REDIS_ERRORS as error:
            degraded.record(what="big screen cache", error=error)
            seconds, cached = 0, None
        if cached is not None:
            return cached
    data = serializers.ScreenSerializer(selectors.screen(scope=scope, now=timezone.now())).data
    if seconds > 0:
        try:
            cache.set(key, data, timeout=seconds)
        except degraded.REDIS_ERRORS as error:
            degraded.record(what="big screen cache", error=error)
    return data


class ScreenView(APIView):
    permission_classes = [ReadsScreen]
    scope: Scope

    @extend_schema(
        operation_id="analytics_screen",
        summary="The big screen's figures: today, live deadlines, this month's rates, districts per 10,000",
        description="Polled by the big screen page (/analytics/screen/). Read from the rollups (today's "
        "and this month's, as of `rollups_as_of`) and the live deadlines; the same answer is shared for "
        "a few seconds by every reader of the same scope. City admins and hotline supervisors see "
        "everything, district supervisors their district; anyone else gets 404.",
        responses=serializers.ScreenSerializer,
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        return Response(screen_payload(scope=self.scope))
