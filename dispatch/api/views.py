"""Dispatch API: the unit inbox and every step as an explicit POST action, the dispatcher's queue
and review queues, and the dispatch catalogue. Thin: validate input, call a service, answer.

Whatever a user may not see or do answers 404, as in the HTML pages (dispatch/permissions.py).
"""

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch import permissions, selectors, services
from dispatch.api.serializers import (
    ApproveReturnInputSerializer,
    AssignmentDetailSerializer,
    AssignmentSerializer,
    BulkDispatchInputSerializer,
    BulkResultSerializer,
    CallerPhoneSerializer,
    CatalogueQuerySerializer,
    ConfirmInputSerializer,
    DispatchInputSerializer,
    EventSerializer,
    ExtensionInputSerializer,
    ExtensionRequestSerializer,
    IdsSerializer,
    NoteSerializer,
    ProgressInputSerializer,
    ProgressNoteSerializer,
    QueueTicketSerializer,
    ReasonInputSerializer,
    ReplyInputSerializer,
    ReturnInputSerializer,
    ReturnRequestSerializer,
    RevealedTextSerializer,
    RoutingRuleSerializer,
    SubdispatchInputSerializer,
    SuperviseInputSerializer,
    TabCountsSerializer,
    WhistleInputSerializer,
    assignment_rows,
)
from dispatch.filters import (
    AssignmentFilter,
    ExtensionRequestFilter,
    QueueFilter,
    ReturnRequestFilter,
    RoutingRuleFilter,
)
from dispatch.models import Assignment, ExtensionRequest, ReturnRequest, RoutingRule
from hotline.api.pagination import CursorPagination
from hotline.api.parsers import StrictJSONParser
from hotline.permissions import require
from hotline.uploads import FILE_SIGNATURES
from intake.models import Ticket


class NewestFirst(CursorPagination):
    """Keyset pagination: deep pages cost the same as the first one."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class OldestFirst(NewestFirst):
    ordering = "id"


def _valid(serializer_class: type, request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Actions of unit staff work on their own units' assignments only.
UNIT_ACTIONS = frozenset(
    {
        "sign",
        "first_contact",
        "progress",
        "request_return",
        "extension",
        "whistle",
        "reply",
        "caller_phone",
        "reveal_description",
        "subdispatch",
        "confirm",
    }
)


class AssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The unit workbench: assignments (派单) of the user's units, and each handling step.

    `tab` picks a workbench tab (to_sign, in_progress, due_soon, overdue, replied, review, all; for a
    district's staff also to_pass_down, passed_down, to_confirm, to_decide).
    """

    queryset = Assignment.objects.none()  # for the schema; get_queryset scopes by user and action
    filterset_class = AssignmentFilter
    pagination_class = NewestFirst
    serializer_class = AssignmentSerializer

    def get_queryset(self) -> QuerySet[Assignment]:
        user = self.request.user
        if self.action in UNIT_ACTIONS:
            assignments = Assignment.objects.filter(unit_id__in=permissions.acting_unit_ids(user=user))
        elif self.action == "supervise":
            assignments = selectors.supervisable_assignments(user=user)
        else:
            assignments = selectors.visible_assignments(user=user)
        if self.action == "list":
            # The units, the category and what `allowed_steps` reads come with the page
            # (`paginate_queryset`): a query for the page, not one a row.
            return assignments.select_related(*selectors.LIST_RELATED)
        return assignments.select_related(
            "unit", "parent", "ticket__category", "ticket__caller", "ticket__district", "ticket__street"
        )

    def paginate_queryset(self, queryset: QuerySet[Assignment]) -> list[Assignment] | None:
        page = super().paginate_queryset(queryset)
        return None if page is None else selectors.with_step_rows(selectors.with_reference_rows(page))

    # The rows rendered by hand (assignment_rows), exactly as `serializer_class` would: the inbox
    # is the units' hot path. No docstring: the schema describes the list from the class's.
    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None  # NewestFirst always paginates
        return self.get_paginated_response(assignment_rows(page, user=request.user))

    def _answer(self, assignment_id: int, *, code: int = status.HTTP_200_OK) -> Response:
        assignment = selectors.assignment_detail(user=self.request.user, assignment_id=assignment_id)
        return Response(AssignmentDetailSerializer(assignment, context={"request": self.request}).data, status=code)

    @extend_schema(responses=AssignmentDetailSerializer)
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return self._answer(self.get_object().pk)

    @extend_schema(responses=TabCountsSerializer)
    @action(detail=False, methods=["get"])
    def counts(self, request: Request) -> Response:
        """How many assignments each workbench tab holds (all but "all")."""
        return Response(TabCountsSerializer(selectors.tab_counts(user=request.user)).data)

    @extend_schema(request=None, responses=AssignmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str) -> Response:
        """签收: acknowledge the ticket (the lead's signing starts the handling)."""
        assignment = services.sign(assignment_id=self.get_object().pk, actor=request.user)
        return self._answer(assignment.pk)

    @extend_schema(request=IdsSerializer, responses=BulkResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-sign")
    def bulk_sign(self, request: Request) -> Response:
        """Sign several assignments; each succeeds or fails on its own."""
        result = services.bulk_sign(assignment_ids=_valid(IdsSerializer, request)["ids"], actor=request.user)
        return Response(BulkResultSerializer(result).data)

    @extend_schema(request=NoteSerializer, responses=AssignmentDetailSerializer)
    @action(detail=True, methods=["post"], url_path="first-contact")
    def first_contact(self, request: Request, pk: str) -> Response:
        """Record that the lead unit reached the caller."""
        assignment = self.get_object()
        data = _valid(NoteSerializer, request)
        services.record_first_contact(assignment_id=assignment.pk, actor=request.user, note=data["note"])
        return self._answer(assignment.pk)

    @extend_schema(responses=CallerPhoneSerializer, request=None)
    @action(detail=True, methods=["post"], url_path="caller-phone")
    def caller_phone(self, request: Request, pk: str) -> Response:
        """The caller's full number, for the lead unit to call; each reveal is recorded.
        Refused (409) for confidential callers and outside the handling."""
        phone = services.reveal_caller_phone(assignment_id=self.get_object().pk, actor=request.user)
        return Response(CallerPhoneSerializer({"phone": phone}).data)

    @extend_schema(responses=RevealedTextSerializer, request=None)
    @action(detail=True, methods=["post"], url_path="reveal-description")
    def reveal_description(self, request: Request, pk: str) -> Response:
        """The ticket's description, summary and address unredacted, for the live lead unit; each
        reveal is recorded. Refused (409) for confidential callers, tickets without a caller, and
        to assisting units."""
        text = services.reveal_description(assignment_id=self.get_object().pk, actor=request.user)
        return Response(RevealedTextSerializer(text).data)

    @extend_schema(request={"multipart/form-data": ProgressInputSerializer}, responses={201: ProgressNoteSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, StrictJSONParser])
    def progress(self, request: Request, pk: str) -> Response:
        """A progress note with optional photos and documents (multipart `files`)."""
        assignment = self.get_object()
        serializer = ProgressInputSerializer(data={"text": request.data.get("text", ""), "files": _files(request)})
        serializer.is_valid(raise_exception=True)
        note = services.add_progress(
            assignment_id=assignment.pk,
            actor=request.user,
            text=serializer.validated_data["text"],
            files=serializer.validated_data["files"],
        )
        return Response(ProgressNoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReturnInputSerializer, responses={201: ReturnRequestSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def request_return(self, request: Request, pk: str) -> Response:
        """退单: ask the hotline to take the ticket back (lead unit, before signing)."""
        assignment = self.get_object()
        data = _valid(ReturnInputSerializer, request)
        created = services.request_return(assignment_id=assignment.pk, actor=request.user, **data)
        data = ReturnRequestSerializer(created, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ExtensionInputSerializer, responses={201: ExtensionRequestSerializer})
    @action(detail=True, methods=["post"])
    def extension(self, request: Request, pk: str) -> Response:
        """延期: ask for more days, before the deadline."""
        assignment = self.get_object()
        data = _valid(ExtensionInputSerializer, request)
        created = services.request_extension(assignment_id=assignment.pk, actor=request.user, **data)
        data = ExtensionRequestSerializer(created, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WhistleInputSerializer, responses={201: AssignmentSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["post"])
    def whistle(self, request: Request, pk: str) -> Response:
        """吹哨报到: the lead street summons departments as assisting units."""
        assignment = self.get_object()
        data = _valid(WhistleInputSerializer, request)
        created = services.whistle(
            assignment_id=assignment.pk, actor=request.user, unit_ids=data["units"], note=data["note"]
        )
        summoned = Assignment.objects.filter(pk__in=[a.pk for a in created]).select_related(
            "unit", "ticket__category", "ticket__caller", "ticket__district", "ticket__street"
        )
        data = AssignmentSerializer(summoned, many=True, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReplyInputSerializer, responses=AssignmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str) -> Response:
        """The final reply: an assisting unit's to the lead, the lead's to the caller and the hotline,
        a unit's below a district to the district."""
        assignment = self.get_object()
        data = _valid(ReplyInputSerializer, request)
        services.reply(assignment_id=assignment.pk, actor=request.user, **data)
        return self._answer(assignment.pk)

    @extend_schema(request=SubdispatchInputSerializer, responses={201: AssignmentSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["post"])
    def subdispatch(self, request: Request, pk: str) -> Response:
        """区里再往下派: the district's sub-centre passes its signed ticket down to a lead unit inside the
        district (and assisting units); answers the new assignments, the lead's first. A unit
        outside the district is a 400; anyone but the district's staff gets 404."""
        assignment = self.get_object()
        data = _valid(SubdispatchInputSerializer, request)
        created = services.subdispatch(
            assignment_id=assignment.pk,
            actor=request.user,
            lead_unit_id=data["lead"],
            assist_unit_ids=data["assisting"],
            note=data["note"],
            due_at=data["due_at"],
            override_reason=data["override_reason"],
        )
        rows = {
            row.pk: row
            for row in Assignment.objects.filter(pk__in=[a.pk for a in created]).select_related(
                "unit", "parent", "ticket__category", "ticket__caller", "ticket__district", "ticket__street"
            )
        }
        data = AssignmentSerializer([rows[a.pk] for a in created], many=True, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ConfirmInputSerializer, responses=AssignmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        """The district confirms its unit's reply as its own reply to the hotline; any of `text`,
        `outcome`, `explanation` given replaces the unit's words."""
        assignment = self.get_object()
        data = _valid(ConfirmInputSerializer, request)
        services.confirm_reply(assignment_id=assignment.pk, actor=request.user, **data)
        return self._answer(assignment.pk)

    @extend_schema(request=SuperviseInputSerializer, responses={201: EventSerializer})
    @action(detail=True, methods=["post"])
    def supervise(self, request: Request, pk: str) -> Response:
        """督办: a unit leader, district supervisor, or the district that passed the ticket down
        presses the unit, which is notified."""
        assignment = self.get_object()
        data = _valid(SuperviseInputSerializer, request)
        event = services.supervise(assignment_id=assignment.pk, actor=request.user, comment=data["comment"])
        return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)


def _files(request: Request) -> list:
    return request.FILES.getlist("files") if hasattr(request.FILES, "getlist") else []


class AttachmentDownloadView(APIView):
    """A photo or document of a progress note, for whoever may see its assignment."""

    @extend_schema(
        responses={
            (200, content_type): OpenApiTypes.BINARY
            for content_type in sorted({content_type for _head, content_type in FILE_SIGNATURES.values()})
        }
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        found = selectors.attachment_for(user=request.user, attachment_id=pk)
        require(found is not None)
        return FileResponse(
            found.file.open("rb"),
            as_attachment=not found.is_image,
            filename=found.name,
            content_type=found.content_type,
        )


class DispatchQueueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The dispatcher's queue: tickets awaiting dispatch, oldest first, with routing suggestions."""

    permission_classes = [IsAuthenticated, permissions.IsDispatcher]
    filterset_class = QueueFilter
    lookup_value_regex = "[0-9]+"
    pagination_class = OldestFirst
    serializer_class = QueueTicketSerializer

    def get_queryset(self) -> QuerySet[Ticket]:
        return selectors.dispatch_queue()

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {"request": request, "suggestions": selectors.suggestions(tickets=page)}
        return self.get_paginated_response(QueueTicketSerializer(page, many=True, context=context).data)

    @extend_schema(request=DispatchInputSerializer, responses={201: AssignmentDetailSerializer})
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_ticket(self, request: Request, pk: str) -> Response:
        """派单: send the ticket to a lead unit and optional assisting units. A functional-department
        matter sent to a street/township is refused (409 `functional_to_street`) unless
        `override_reason` says why."""
        ticket = get_object_or_404(Ticket, pk=pk)
        data = _valid(DispatchInputSerializer, request)
        assignment = services.dispatch_ticket(
            ticket_id=ticket.pk,
            lead_unit_id=data["lead_unit"],
            assist_unit_ids=data["assist_units"],
            actor=request.user,
            note=data["note"],
            override_reason=data["override_reason"],
        )
        detail = selectors.assignment_detail(user=request.user, assignment_id=assignment.pk)
        data = AssignmentDetailSerializer(detail, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BulkDispatchInputSerializer, responses=BulkResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-dispatch")
    def bulk_dispatch(self, request: Request) -> Response:
        """Dispatch many tickets at once; `done` lists the lead assignments created, `failed` the rest."""
        data = _valid(BulkDispatchInputSerializer, request)
        items = [
            services.DispatchItem(ticket_id=i["ticket"], lead_unit_id=i["lead_unit"], assist_unit_ids=i["assist_units"])
            for i in data["items"]
        ]
        result = services.bulk_dispatch(items=items, actor=request.user, note=data["note"])
        return Response(BulkResultSerializer(result).data)


class ReturnRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Return requests (退单) for the hotline to review. Late ones (after the return window) can be
    decided by hotline supervisors only. A district's staff review those of the units their
    district passed its tickets down to."""

    permission_classes = [IsAuthenticated, permissions.ReviewsRequests]
    filterset_class = ReturnRequestFilter
    pagination_class = NewestFirst
    serializer_class = ReturnRequestSerializer

    def get_queryset(self) -> QuerySet[ReturnRequest]:
        return selectors.review_requests(user=self.request.user, model=ReturnRequest)

    @extend_schema(request=ApproveReturnInputSerializer, responses=ReturnRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Approve: the ticket goes back to the dispatch queue, or at once to `redispatch_to`."""
        data = _valid(ApproveReturnInputSerializer, request)
        decided = services.decide_return(
            return_request_id=self.get_object().pk,
            actor=request.user,
            approve=True,
            note=data["note"],
            redispatch_to_id=data["redispatch_to"],
            assist_unit_ids=data["assist_units"],
            override_reason=data["override_reason"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=decided.pk)).data)

    @extend_schema(request=ReasonInputSerializer, responses=ReturnRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        """Reject with a reason: the unit must sign; its deadlines move by the review time."""
        data = _valid(ReasonInputSerializer, request)
        decided = services.decide_return(
            return_request_id=self.get_object().pk, actor=request.user, approve=False, note=data["note"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=decided.pk)).data)


class ExtensionRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Extension requests (延期) for the hotline to review; a district's staff review those of the
    units their district passed its tickets down to, and may pass one up to the hotline."""

    permission_classes = [IsAuthenticated, permissions.ReviewsRequests]
    filterset_class = ExtensionRequestFilter
    pagination_class = NewestFirst
    serializer_class = ExtensionRequestSerializer

    def get_queryset(self) -> QuerySet[ExtensionRequest]:
        return selectors.review_requests(user=self.request.user, model=ExtensionRequest)

    @extend_schema(request=NoteSerializer, responses=ExtensionRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Approve: the deadline moves by the days asked."""
        data = _valid(NoteSerializer, request)
        decided = services.decide_extension(
            extension_request_id=self.get_object().pk, actor=request.user, approve=True, note=data["note"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=decided.pk)).data)

    @extend_schema(request=ReasonInputSerializer, responses=ExtensionRequestSerializer)
    @action(detail=True, methods=["post"])
    def deny(self, request: Request, pk: str) -> Response:
        """Deny with a reason: the deadline stays."""
        data = _valid(ReasonInputSerializer, request)
        decided = services.decide_extension(
            extension_request_id=self.get_object().pk, actor=request.user, approve=False, note=data["note"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=decided.pk)).data)

    @extend_schema(request=NoteSerializer, responses=ExtensionRequestSerializer)
    @action(detail=True, methods=["post"], url_path="pass-up")
    def pass_up(self, request: Request, pk: str) -> Response:
        """A district passes its unit's request up: it asks the hotline for the same days on its own
        assignment, and the hotline's decision decides both."""
        data = _valid(NoteSerializer, request)
        decided = services.decide_extension(
            extension_request_id=self.get_object().pk,
            actor=request.user,
            approve=False,
            note=data["note"],
            pass_up=True,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=decided.pk)).data)


@extend_schema_view(list=extend_schema(parameters=[CatalogueQuerySerializer]))
class RoutingRuleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The dispatch catalogue (派单目录): category × district/street → unit, with effective dates.

    Dispatchers read it; hotline supervisors change it. Changing a rule in effect ends it and
    starts a new version from the given day (today at the earliest); deleting one in effect ends it.
    """

    permission_classes = [IsAuthenticated, permissions.CatalogueAccess]
    serializer_class = RoutingRuleSerializer
    filterset_class = RoutingRuleFilter
    pagination_class = NewestFirst
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[RoutingRule]:
        if self.action != "list":
            return RoutingRule.objects.all()
        query = CatalogueQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.catalogue(on=query.validated_data.get("on"), include_history=query.validated_data["history"])

    def perform_create(self, serializer: RoutingRuleSerializer) -> None:
        serializer.instance = services.create_rule(data=serializer.rule_data(), actor=self.request.user)

    def perform_update(self, serializer: RoutingRuleSerializer) -> None:
        serializer.instance = services.update_rule(
            rule_id=serializer.instance.pk, data=serializer.rule_data(), actor=self.request.user
        )

    def perform_destroy(self, instance: RoutingRule) -> None:
        services.retire_rule(rule_id=instance.pk, actor=self.request.user)
