"""Analytics API: the main series of the dashboards, read from the rollups and scoped like the pages
(city admins and hotline supervisors everything, district supervisors their district, unit leaders
their units; anyone else 404). Each answer is small and bounded (twelve months, ten categories,
the districts, at most fifty hot spots), so it is not paginated.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors
from analytics.api import serializers
from analytics.periods import Period
from analytics.selectors import Scope
from intake.models import Channel, Kind


def _scope(request: Request) -> Scope:
    scope = selectors.analytics_scope(user=request.user)
    if scope is None:
        raise NotFound()
    return scope


def _query(serializer_class: type, request: Request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def _trend(request: Request) -> tuple[Period, selectors.Trend]:
    """The ?period= asked for and the monthly trend of the user's scope over it."""
    scope = _scope(request)
    period = Period.parse(_query(serializers.PeriodQuerySerializer, request).get("period"))
    return period, selectors.monthly_trend(scope=scope, period=period)


class VolumeView(APIView):
    @extend_schema(
        operation_id="analytics_volume",
        summary="Requests per month by kind and by channel",
        parameters=[serializers.PeriodQuerySerializer],
        responses=serializers.VolumeSerializer,
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        period, trend = _trend(request)
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


class RatesView(APIView):
    @extend_schema(
        operation_id="analytics_rates",
        summary="Signing in time, resolution and satisfaction per month received",
        parameters=[serializers.PeriodQuerySerializer],
        responses=serializers.RatesSerializer,
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        period, trend = _trend(request)
        months = [
            {"month": f"{month:%Y-%m}", "counts": counts, "rates": rates}
            for month, counts, rates in zip(trend.months, trend.counts, trend.rates, strict=True)
        ]
        return Response(serializers.RatesSerializer({"period": period.param, "months": months}).data)


class TopCategoriesView(APIView):
    @extend_schema(
        operation_id="analytics_top_categories",
        summary="The ten categories with the most requests, against the previous period",
        parameters=[serializers.TopCategoriesQuerySerializer],
        responses=serializers.TopCategoriesSerializer,
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        query = _query(serializers.TopCategoriesQuerySerializer, request)
        period = Period.parse(query.get("period"))
        ranking = selectors.category_ranking(scope=scope, period=period, level=int(query["level"]))
        total, lines = ranking.total, ranking.overall
        if query.get("kind"):
            block = next(block for block in ranking.by_kind if block.kind == query["kind"])
            total, lines = block.total, block.lines
        data = {"period": period.param, "total": total, "results": lines}
        return Response(serializers.TopCategoriesSerializer(data).data)


class DistrictTableView(APIView):
    @extend_schema(
        operation_id="analytics_districts",
        summary="Per district: requests, requests per 10,000 residents and the three rates",
        parameters=[serializers.PeriodQuerySerializer],
        responses=serializers.DistrictTableSerializer,
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        period = Period.parse(_query(serializers.PeriodQuerySerializer, request).get("period"))
        lines = selectors.district_table(scope=scope, period=period)
        return Response(serializers.DistrictTableSerializer({"period": period.param, "results": lines}).data)


class HotSpotsView(APIView):
    @extend_schema(
        operation_id="analytics_hot_spots",
        summary="Category × street clusters whose month jumps against their own baseline",
        parameters=[serializers.HotSpotQuerySerializer],
        responses=serializers.HotSpotsSerializer,
        tags=["analytics"],
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        period = Period.parse(_query(serializers.HotSpotQuerySerializer, request).get("month"), months_only=True)
        found = selectors.hot_spots(scope=scope, month=period.start)
        data = {
            "month": f"{found.month:%Y-%m}",
            "enough_history": found.enough_history,
            "baseline_months": [f"{month:%Y-%m}" for month in found.baseline_months],
            "results": found.spots,
        }
        return Response(serializers.HotSpotsSerializer(data).data)
