"""Evaluation API: rankings and unit results, the callback queue and its attempts, appeals.

Thin: validate input, call a service, answer. Access and scope are the pages' (evaluation
selectors): whoever may not see something gets 404, errors come in the common format.
"""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from evaluation import appeals as appeal_services
from evaluation import callbacks as callback_services
from evaluation import rankings as ranking_services
from evaluation import selectors
from evaluation.api.serializers import (
    AppealCreateSerializer,
    AppealDecisionSerializer,
    AppealSerializer,
    CallbackAttemptInputSerializer,
    CallbackSerializer,
    RankingSerializer,
    RecomputeInputSerializer,
    UnitResultSerializer,
)
from evaluation.callbacks import CallbackAnswer
from evaluation.filters import AppealFilter, CallbackFilter, RankingFilter, UnitResultFilter
from evaluation.models import Appeal, Callback, MonthlyRanking, UnitResult
from evaluation.selectors import RankingScope
from hotline.api.pagination import PageNumberPagination
from hotline.api.parsers import StrictJSONParser
from hotline.api.permissions import NotFoundUnless
from hotline.models import User
from hotline.permissions import require


class ReadsRankings(NotFoundUnless):
    """Rankings for city admins, hotline supervisors, district supervisors and unit leaders;
    recomputing for the first two only."""

    def allowed(self, user: User, view: viewsets.GenericViewSet) -> bool:
        if getattr(view, "action", None) in ("recompute", "publish"):
            return selectors.is_evaluation_admin(user=user)
        return selectors.ranking_scope(user=user) is not None


class CallsBack(NotFoundUnless):
    def allowed(self, user: User, view: viewsets.GenericViewSet) -> bool:
        return selectors.can_call_back(user=user)


class SeesAppeals(NotFoundUnless):
    """Unit staff their units' appeals, district supervisors their district's; hotline
    supervisors and city admins every appeal, and they alone decide."""

    def allowed(self, user: User, view: viewsets.GenericViewSet) -> bool:
        if getattr(view, "action", None) == "decide":
            return selectors.is_evaluation_admin(user=user)
        unit_ids = selectors.appeal_scope(user=user)
        return unit_ids is None or bool(unit_ids)


class MonthsPagination(PageNumberPagination):
    """A ranking carries every unit's line: fewer per page."""

    page_size = 12
    page_size_query_param = "page_size"
    max_page_size = 50


class LinesPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


def _scope(request: Request) -> RankingScope:
    scope = selectors.ranking_scope(user=request.user)
    require(scope is not None)  # the permission has refused already; for the schema generator
    return scope


class RankingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Monthly rankings (月度排名), each with its units' lines best first.

    Current versions unless `version` is given. District supervisors get their district's
    lines only; `district` limits the lines to one district's units.
    """

    serializer_class = RankingSerializer
    filterset_class = RankingFilter
    lookup_value_regex = "[0-9]+"
    pagination_class = MonthsPagination
    permission_classes = [ReadsRankings]
    queryset = MonthlyRanking.objects.none()  # for the schema; get_queryset scopes it

    def get_queryset(self) -> QuerySet[MonthlyRanking]:
        if getattr(self, "swagger_fake_view", False):
            return MonthlyRanking.objects.none()
        # `district` limits the lines inside each ranking, so it shapes the prefetch, not the filter.
        form = RankingFilter(self.request.query_params, queryset=MonthlyRanking.objects.none()).form
        district = form.cleaned_data.get("district") if form.is_valid() else None
        return selectors.visible_rankings(scope=_scope(self.request), district=district)

    def retrieve(self, request: Request, *args: object, **kwargs: object) -> Response:
        """One ranking version (also superseded ones), by id."""
        ranking = selectors.visible_rankings(scope=_scope(request)).filter(pk=kwargs["pk"]).first()
        require(ranking is not None)
        return Response(RankingSerializer(ranking).data)

    @extend_schema(request=RecomputeInputSerializer, responses={201: RankingSerializer})
    @action(detail=False, methods=["post"])
    def recompute(self, request: Request) -> Response:
        """Compute a month's draft for review (a draft is computed again). A published month gets a
        new draft version and needs a reason, which goes to the audit trail."""
        serializer = RecomputeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ranking = ranking_services.compute_month(
            month=data["month"], unit_kind=data["unit_kind"], actor=request.user, reason=data["reason"]
        )
        fresh = selectors.visible_rankings(scope=_scope(request)).get(pk=ranking.pk)
        return Response(RankingSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: RankingSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        """Publish a draft: it becomes the month's current ranking and is frozen. A published or
        empty ranking answers 409 (already_published, empty_ranking)."""
        ranking = ranking_services.publish_ranking(ranking_id=int(pk), actor=request.user)
        fresh = selectors.visible_rankings(scope=_scope(request)).get(pk=ranking.pk)
        return Response(RankingSerializer(fresh).data)


class UnitResultViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Units' monthly lines across the current rankings (filter by month, kind, unit, district)."""

    serializer_class = UnitResultSerializer
    filterset_class = UnitResultFilter
    pagination_class = LinesPagination
    permission_classes = [ReadsRankings]
    queryset = UnitResult.objects.none()

    def get_queryset(self) -> QuerySet[UnitResult]:
        if getattr(self, "swagger_fake_view", False):
            return UnitResult.objects.none()
        return selectors.current_results(scope=_scope(self.request))


class CallbackViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The callback queue (回访): pending callbacks, the most urgent first; `overdue=true` for late ones."""

    serializer_class = CallbackSerializer
    filterset_class = CallbackFilter
    lookup_value_regex = "[0-9]+"
    pagination_class = LinesPagination
    permission_classes = [CallsBack]
    queryset = Callback.objects.none()

    def get_queryset(self) -> QuerySet[Callback]:
        if getattr(self, "swagger_fake_view", False):
            return Callback.objects.none()
        return selectors.callback_queue()

    @extend_schema(request=CallbackAttemptInputSerializer, responses=CallbackSerializer)
    @action(detail=True, methods=["post"])
    def attempt(self, request: Request, pk: str) -> Response:
        """One callback attempt: not reached, or reached with the two answers. A completed callback
        answers 409 (callback_done) and stays as it was."""
        serializer = CallbackAttemptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        callback = callback_services.record_callback(
            callback_id=int(pk), answer=CallbackAnswer(**serializer.validated_data), actor=request.user
        )
        fresh = selectors.callbacks().get(pk=callback.pk)
        return Response(CallbackSerializer(fresh).data)


class AppealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Exclusions and appeals (不纳入考核 / 申诉): a unit requests, a hotline supervisor decides."""

    serializer_class = AppealSerializer
    filterset_class = AppealFilter
    pagination_class = LinesPagination
    permission_classes = [SeesAppeals]
    parser_classes = [StrictJSONParser, MultiPartParser, FormParser]
    queryset = Appeal.objects.none()

    def get_queryset(self) -> QuerySet[Appeal]:
        if getattr(self, "swagger_fake_view", False):
            return Appeal.objects.none()
        return selectors.appeals(unit_ids=selectors.appeal_scope(user=self.request.user))

    @extend_schema(request=AppealCreateSerializer, responses={201: AppealSerializer})
    def create(self, request: Request) -> Response:
        """Appeal a ticket your unit led (as its lead unit); others' tickets answer 404."""
        serializer = AppealCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        unit = selectors.appeal_unit_for(user=request.user, ticket_id=data["ticket"])
        require(unit is not None)
        appeal = appeal_services.request_appeal(
            ticket_id=data["ticket"],
            unit=unit,
            kind=data["kind"],
            reason=data["reason"],
            actor=request.user,
            callback_id=data.get("callback"),
            attachment=data.get("attachment"),
        )
        return Response(AppealSerializer(self.get_queryset().get(pk=appeal.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AppealDecisionSerializer, responses=AppealSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        """Approve (the ticket or callback leaves the rates) or reject (a note is required)."""
        appeal = self.get_object()
        serializer = AppealDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appeal_services.decide_appeal(
            appeal_id=appeal.pk,
            actor=request.user,
            approve=serializer.validated_data["approve"],
            note=serializer.validated_data["note"],
        )
        return Response(AppealSerializer(self.get_queryset().get(pk=appeal.pk)).data)
