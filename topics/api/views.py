"""Monthly-topic API (每月一题): the register, its figures, measures, progress and relinking.

Thin: validate input, call a service, answer. City admins and hotline supervisors read every
topic, the staff of a topic's lead unit and co-units theirs; city admins adopt and edit. Whoever may
not see something gets 404; errors come in the common format.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from hotline.api.pagination import PageNumberPagination
from hotline.api.parsers import StrictJSONParser
from hotline.api.permissions import NotFoundUnless
from hotline.models import User
from hotline.permissions import require
from topics import selectors, services
from topics.api.serializers import (
    TopicFiguresSerializer,
    TopicInputSerializer,
    TopicMeasureInputSerializer,
    TopicMeasureSerializer,
    TopicProgressInputSerializer,
    TopicProgressSerializer,
    TopicRelinkedSerializer,
    TopicSerializer,
    TopicStatusInputSerializer,
)
from topics.models import Topic, TopicMeasure, TopicProgress
from topics.services import TopicInput

# Actions that change a topic's definition: city admins only.
ADMIN_ACTIONS = frozenset({"create", "update", "set_status", "relink"})


class SeesTopics(NotFoundUnless):
    def allowed(self, user: User, view: viewsets.GenericViewSet) -> bool:
        action_name = getattr(view, "action", None)
        if action_name in ADMIN_ACTIONS or (action_name == "measures" and view.request.method == "POST"):
            return selectors.can_administer(user=user)
        return selectors.topic_access(user=user) is not None


class TopicPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _input(data: dict[str, Any]) -> TopicInput:
    return TopicInput(
        title=data["title"],
        problem=data["problem"],
        lead_unit=data["lead_unit"],
        month=data["month"],
        categories=data["categories"],
        keywords="\n".join(data["keywords"]),
        places=data["places"],
        communities=data["communities"],
        co_units=data["co_units"],
        tracked_from=data["tracked_from"],
        source=data["source"],
    )


class TopicViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Monthly topics (每月一题): high-frequency problems the city adopts and tackles at the root.

    A topic's tickets are linked by its rule (categories or keywords, within its places, since
    `tracked_from`), recomputed in SQL on every edit and nightly.
    """

    serializer_class = TopicSerializer
    pagination_class = TopicPagination
    permission_classes = [SeesTopics]
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "put", "head", "options"]
    queryset = Topic.objects.none()

    def get_queryset(self) -> QuerySet[Topic]:
        if getattr(self, "swagger_fake_view", False):
            return Topic.objects.none()
        return selectors.visible_topics(user=self.request.user).prefetch_related(
            "categories", "places", "communities", "co_units"
        )

    def _fresh(self, topic_id: int) -> dict[str, Any]:
        return TopicSerializer(self.get_queryset().get(pk=topic_id)).data

    @extend_schema(request=TopicInputSerializer, responses={201: TopicSerializer})
    def create(self, request: Request) -> Response:
        """Adopt a topic (city admins); its tickets are linked at once."""
        serializer = TopicInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        topic = services.adopt_topic(actor=request.user, data=_input(serializer.validated_data))
        return Response(self._fresh(topic.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=TopicInputSerializer, responses=TopicSerializer)
    def update(self, request: Request, pk: str) -> Response:
        """Edit a topic (city admins); its tickets are relinked by the edited rule at once."""
        topic = self.get_object()
        serializer = TopicInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.update_topic(actor=request.user, topic_id=topic.pk, data=_input(serializer.validated_data))
        return Response(self._fresh(topic.pk))

    @extend_schema(request=TopicStatusInputSerializer, responses=TopicSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str) -> Response:
        """Move the topic: adopted → in progress → resolved or continuing (409 topic_status otherwise)."""
        topic = self.get_object()
        serializer = TopicStatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.change_status(actor=request.user, topic_id=topic.pk, status=serializer.validated_data["status"])
        return Response(self._fresh(topic.pk))

    @extend_schema(request=None, responses=TopicRelinkedSerializer)
    @action(detail=True, methods=["post"])
    def relink(self, request: Request, pk: str) -> Response:
        """Recompute the topic's tickets by its rule now (the nightly run does it for every topic)."""
        topic = self.get_object()
        result = services.relink_topic(topic_id=topic.pk)
        return Response(TopicRelinkedSerializer({"added": result.added, "removed": result.removed}).data)

    @extend_schema(responses=TopicFiguresSerializer)
    @action(detail=True, methods=["get"])
    def figures(self, request: Request, pk: str) -> Response:
        """The topic's tickets per month and per place before and after its month, and their rates."""
        topic = self.get_object()
        today = timezone.localdate()
        volume = selectors.topic_volume(topic=topic, today=today)
        rates = selectors.topic_rates(topic=topic, today=today)

        def rate_data(sums: Any) -> dict[str, Any]:
            return {
                "response": sums.response,
                "resolution": sums.resolution,
                "satisfaction": sums.satisfaction,
                "required": sums.required,
                "answered": sums.answered,
            }

        data = {
            "months": volume.months,
            "places": volume.places,
            "before_average": volume.before_average,
            "after_average": volume.after_average,
            "change": volume.change,
            "rates_before": rate_data(rates.before),
            "rates_after": rate_data(rates.after),
        }
        return Response(TopicFiguresSerializer(data).data)

    @extend_schema(methods=["GET"], request=None, responses=TopicMeasureSerializer(many=True))
    @extend_schema(methods=["POST"], request=TopicMeasureInputSerializer, responses={201: TopicMeasureSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def measures(self, request: Request, pk: str) -> Response:
        """The topic's reform measures by due date; POST adds one (city admins)."""
        topic = self.get_object()
        if request.method == "POST":
            serializer = TopicMeasureInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            measure = services.add_measure(actor=request.user, topic_id=topic.pk, **serializer.validated_data)
            return Response(TopicMeasureSerializer(measure).data, status=status.HTTP_201_CREATED)
        measures = TopicMeasure.objects.filter(topic=topic).select_related("owner")
        return Response(TopicMeasureSerializer(measures, many=True).data)

    @extend_schema(methods=["GET"], request=None, responses=TopicProgressSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": TopicProgressInputSerializer},
        responses={201: TopicProgressSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser, StrictJSONParser],
        pagination_class=None,
    )
    def progress(self, request: Request, pk: str) -> Response:
        """The whole progress timeline, newest first (a topic has tens of updates); POST posts an
        update (lead unit, co-units, city admins), with optional photos and documents (multipart
        `files`)."""
        topic = self.get_object()
        if request.method == "POST":
            require(selectors.can_post_progress(user=request.user, topic=topic))
            files = request.FILES.getlist("files") if hasattr(request.FILES, "getlist") else []
            serializer = TopicProgressInputSerializer(
                data={
                    "text": request.data.get("text", ""),
                    "measure": request.data.get("measure"),
                    "measure_done": request.data.get("measure_done", False),
                    "files": files,
                }
            )
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            progress = services.post_progress(
                actor=request.user,
                topic_id=topic.pk,
                text=data["text"],
                measure_id=data["measure"],
                measure_done=data["measure_done"],
                files=data["files"],
            )
            fresh = TopicProgress.objects.select_related("unit", "author").prefetch_related("attachments")
            return Response(TopicProgressSerializer(fresh.get(pk=progress.pk)).data, status=status.HTTP_201_CREATED)
        timeline = (
            TopicProgress.objects.filter(topic=topic)
            .select_related("unit", "author")
            .prefetch_related("attachments")
            .order_by("-created_at", "-id")
        )
        return Response(TopicProgressSerializer(timeline, many=True).data)
