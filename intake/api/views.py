from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from hotline.api.pagination import CursorPagination
from hotline.api.permissions import NotFoundUnless
from hotline.models import User
from hotline.roles import INTAKE_API_ROLES, PROACTIVE_ROLES, has_role, holds
from hotline.selectors import is_hotline_staff
from intake import selectors, services
from intake.api.serializers import (
    AnswerSerializer,
    ArticleSerializer,
    CandidateQuerySerializer,
    CloseAtIntakeSerializer,
    MergeSerializer,
    ProactiveImportResultSerializer,
    ProactiveImportSerializer,
    ProactiveTicketSerializer,
    RepeatCandidateSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketListSerializer,
    ticket_summary,
)
from intake.filters import ArticleFilter, TicketFilter
from intake.models import IDEMPOTENCY_KEY_MAX_LENGTH, KnowledgeArticle, Ticket
from intake.phones import PHONE_PATTERN


class CanTakeIn(permissions.BasePermission):
    message = _("Only hotline agents and client systems take in tickets.")

    def has_permission(self, request: Request, view: viewsets.GenericViewSet) -> bool:
        return has_role(user=request.user, roles=INTAKE_API_ROLES)


class ReadsIntake(NotFoundUnless):
    """The intake's own reads (knowledge base, repeat candidates) do not exist for other roles."""

    def allowed(self, user: User, view: APIView) -> bool:
        return has_role(user=user, roles=INTAKE_API_ROLES)


class NewestFirstCursorPagination(CursorPagination):
    """Keyset pagination: deep pages cost the same as the first one."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class TicketViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tickets (工单): take in, list, read with the event timeline, and close at intake.

    Lists and reads are scoped: hotline roles see every ticket, unit staff those assigned to
    their units (others answer 404). Callers' phone numbers are masked except for hotline
    roles reading one ticket, and each such unmasked read is recorded.

    An external platform's client (manage.py create_channel_client) posts its platform's requests
    here with its token: the channel is its platform's, and each request carries the platform's
    `external_id`, unique per channel; posted again, the first ticket answers (200).
    """

    filterset_class = TicketFilter
    pagination_class = NewestFirstCursorPagination

    def get_permissions(self) -> list[permissions.BasePermission]:
        if self.action == "candidates":
            return [permissions.IsAuthenticated(), ReadsIntake()]
        if self.action in ("create", "answer", "close", "queue", "merge"):
            return [permissions.IsAuthenticated(), CanTakeIn()]
        return [permissions.IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Ticket]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no real user
            return Ticket.objects.none()
        return selectors.ticket_list(user=self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer]:
        return {
            "create": TicketCreateSerializer,
            "list": TicketListSerializer,
            "answer": AnswerSerializer,
            "close": CloseAtIntakeSerializer,
            "merge": MergeSerializer,
        }.get(self.action, TicketDetailSerializer)

    def _detail(self, ticket_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        ticket = selectors.api_ticket_detail(user=self.request.user, ticket_id=ticket_id)
        unmask = ticket.caller is not None and is_hotline_staff(user=self.request.user)
        if unmask:
            services.record_personal_data_access(
                user=self.request.user, caller=ticket.caller, ticket=ticket, purpose="api_ticket_detail"
            )
        data = TicketDetailSerializer(ticket, context={"request": self.request, "unmask": unmask}).data
        return Response(data, status=status_code)

    @extend_schema(
        request=TicketCreateSerializer,
        responses={201: TicketListSerializer, 200: TicketListSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                location=OpenApiParameter.HEADER,
                required=False,
                description=_(
                    "Repeat a request with the same key (at most 64 characters, longer is 400) to get the first "
                    "ticket back (200)."
                ),
            )
        ],
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        raw_key = request.headers.get("Idempotency-Key", "")
        if len(raw_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            raise ValidationError(
                {"Idempotency-Key": [_("Use at most %(count)s characters.") % {"count": IDEMPOTENCY_KEY_MAX_LENGTH}]}
            )
        # Keys are the client's own: namespaced by user, so one client cannot read another's ticket.
        key = f"api:{request.user.pk}:{raw_key}" if raw_key else None
        data = serializer.validated_data
        merge_into = data.get("merge_into")
        submission = services.submit_intake(
            data=serializer.new_ticket(),
            actor=request.user,
            outcome=data["outcome"],
            idempotency_key=key,
            article=data.get("article"),
            answer=data.get("answer", ""),
            disposition=data.get("disposition", ""),
            merge_into_id=merge_into.pk if merge_into else None,
        )
        ticket = submission.ticket
        # The summary of the ticket as written, without reading it back: intake is the hot path.
        # Its timeline is at the Location.
        return Response(
            ticket_summary(ticket),
            status=status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK,
            headers={"Location": reverse("ticket-detail", args=[ticket.pk])},
        )

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return self._detail(self.get_object().pk)

    @extend_schema(request=AnswerSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str) -> Response:
        """Answer a received ticket directly (knowledge-base article or written answer) and close it."""
        ticket = self.get_object()
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.answer_directly(
            ticket_id=ticket.pk,
            actor=request.user,
            article=serializer.validated_data.get("article"),
            answer=serializer.validated_data.get("answer", ""),
        )
        return self._detail(ticket.pk)

    @extend_schema(request=CloseAtIntakeSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        """Close a received ticket at intake: transferred to 110/119/120/122, legal route or explained."""
        ticket = self.get_object()
        serializer = CloseAtIntakeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.close_at_intake(
            ticket_id=ticket.pk,
            actor=request.user,
            disposition=serializer.validated_data["disposition"],
            note=serializer.validated_data.get("note", ""),
        )
        return self._detail(ticket.pk)

    @extend_schema(request=None, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def queue(self, request: Request, pk: str) -> Response:
        """Queue a received ticket for dispatch."""
        ticket = self.get_object()
        services.queue_for_dispatch(ticket_id=ticket.pk, actor=request.user)
        return self._detail(ticket.pk)

    @extend_schema(request=MergeSerializer, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str) -> Response:
        """Merge this repeat contact into an open ticket; its caller will be called back too."""
        ticket = self.get_object()
        serializer = MergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.merge_into(ticket_id=ticket.pk, parent_id=serializer.validated_data["parent"].pk, actor=request.user)
        return self._detail(ticket.pk)

    @extend_schema(responses=RepeatCandidateSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def candidates(self, request: Request, pk: str) -> Response:
        """Open tickets this one may repeat, best first (at most 10): what to merge it into."""
        ticket = self.get_object()
        candidates = selectors.ticket_repeat_candidates(ticket=ticket)
        return Response(RepeatCandidateSerializer(candidates, many=True, context={"request": request}).data)


class RepeatCandidatesView(APIView):
    """Open tickets a contact not yet taken in may repeat, best first (at most 10), found as on the
    agent desk: the same caller; the same category in the same street/township within the repeat
    window; a similar description. Merge into one with `outcome=merge` and `merge_into`."""

    permission_classes = [permissions.IsAuthenticated, ReadsIntake]

    @extend_schema(
        parameters=[
            CandidateQuerySerializer,
            # The numbers the phone field reads, which its serializer field cannot tell the schema.
            OpenApiParameter("phone", {"type": "string", "maxLength": 20, "pattern": PHONE_PATTERN}),
        ],
        responses=RepeatCandidateSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = CandidateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        candidates = selectors.repeat_candidates(
            phone=data.get("phone", ""),
            category_id=data.get("category"),
            street_id=data.get("street"),
            text=data.get("description", ""),
        )
        return Response(RepeatCandidateSerializer(candidates, many=True, context={"request": request}).data)


class ArticleViewSet(viewsets.ReadOnlyModelViewSet):
    """Knowledge-base articles (知识库) valid today, to answer directly with (`article` of
    POST /tickets/ and /tickets/{id}/answer/). Internal articles are for hotline roles only."""

    permission_classes = [permissions.IsAuthenticated, ReadsIntake]
    serializer_class = ArticleSerializer
    filterset_class = ArticleFilter
    pagination_class = NewestFirstCursorPagination

    def get_queryset(self) -> QuerySet[KnowledgeArticle]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no real user
            return KnowledgeArticle.objects.none()
        return selectors.active_articles(include_internal=is_hotline_staff(user=self.request.user))


class CreatesProactive(NotFoundUnless):
    """Proactive tickets are the hotline's own work: they do not exist for other roles."""

    def allowed(self, user: User, view: APIView) -> bool:
        return holds(user=user, roles=PROACTIVE_ROLES)


class ProactiveTicketView(APIView):
    """Create one proactive ticket (主动治理, 未诉先办): no caller, the proactive channel, queued for
    dispatch like any ticket, closed after the unit's reply without a callback, never in the rates."""

    permission_classes = [permissions.IsAuthenticated, CreatesProactive]

    @extend_schema(request=ProactiveTicketSerializer, responses={201: TicketListSerializer})
    def post(self, request: Request) -> Response:
        serializer = ProactiveTicketSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.create_proactive_ticket(actor=request.user, point=serializer.risk_point())
        return Response(
            ticket_summary(ticket),
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("ticket-detail", args=[ticket.pk])},
        )


class ProactiveImportView(APIView):
    """Import a list of risk points as proactive tickets: a CSV with the header place,category,note.
    All or nothing: a bad line is a 400 whose `fields.file` names every bad line. The same file
    imported again creates nothing (200, `created` false)."""

    permission_classes = [permissions.IsAuthenticated, CreatesProactive]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": ProactiveImportSerializer},
        responses={201: ProactiveImportResultSerializer, 200: ProactiveImportResultSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = ProactiveImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        result = services.import_risk_points(actor=request.user, content=upload.read(), file_name=upload.name or "")
        batch = result.batch
        data = {
            "id": batch.pk,
            "file_name": batch.file_name,
            "ticket_count": batch.ticket_count,
            "created": result.created,
        }
        return Response(data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
