import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hotline import notifications, selectors
from hotline.api.pagination import CursorPagination
from hotline.api.serializers import (
    CategorySerializer,
    MarkedReadSerializer,
    MeSerializer,
    NotificationSerializer,
    UnitMatchSerializer,
    UnitSearchQuerySerializer,
    UnitSerializer,
    UnreadCountSerializer,
)
from hotline.filters import CategoryFilter, UnitFilter
from hotline.models import Category, Notification, Unit


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """The organisation tree: districts, streets/townships, departments, enterprises."""

    queryset = Unit.objects.order_by("id")
    serializer_class = UnitSerializer
    filterset_class = UnitFilter

    @extend_schema(parameters=[UnitSearchQuerySerializer], responses=UnitMatchSerializer(many=True))
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def search(self, request: Request) -> Response:
        """Active units for a picker, best match first, at most 20; an empty `q` finds none.
        Any signed-in user or API client may search: unit names are public."""
        query = UnitSearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        matches = selectors.search_units(query=params["q"], kinds=params.get("kind", ()), within=params["within"])
        return Response(UnitMatchSerializer(matches, many=True).data)


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The three-level category tree; leaves (level 3) are what tickets carry."""

    queryset = Category.objects.order_by("code")
    serializer_class = CategorySerializer
    filterset_class = CategoryFilter


class MeView(APIView):
    """The authenticated user and the roles they hold in which units."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(selectors.user_with_memberships(user_id=request.user.pk)).data)


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="unread")
    kind = django_filters.CharFilter()

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


class NotificationPagination(CursorPagination):
    """Keyset pages, newest first: a user's notifications only grow."""

    ordering = "-id"
    page_size = 50


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The authenticated user's own notifications; other users' ids are not found."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    lookup_value_regex = "[0-9]+"
    pagination_class = NotificationPagination

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Notification.objects.none()
        return notifications.notifications_for(user=self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        """Mark one notification read (idempotent)."""
        notification = notifications.mark_read(user=request.user, notification_id=int(pk))
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=MarkedReadSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark every unread notification read."""
        marked = notifications.mark_all_read(user=request.user)
        return Response({"marked": marked, "unread": 0})

    @extend_schema(responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count", filterset_class=None, pagination_class=None)
    def unread_count(self, request: Request) -> Response:
        """The number behind the header badge."""
        return Response({"unread": notifications.unread_count(user=request.user)})
