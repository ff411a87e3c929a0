from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from hotline.api.pagination import CursorPagination
from hotline.api.permissions import NotFoundUnless
from hotline.models import User
from hotline.permissions import require
from webhooks import selectors, services
from webhooks.api.serializers import DeliverySerializer, SubscriptionSecretSerializer, SubscriptionSerializer
from webhooks.models import Delivery, Subscription


class IsApiClient(NotFoundUnless):
    """Webhook subscriptions belong to client systems (the API-client role); for others they do not exist."""

    def allowed(self, user: User, view: APIView) -> bool:
        return services.is_api_client(user=user)


class DeliveryPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class SubscriptionViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The client's own webhook subscriptions (others' ids are not found), their delivery log,
    replay of a delivery and rotation of the signing secret."""

    serializer_class = SubscriptionSerializer
    permission_classes = [permissions.IsAuthenticated, IsApiClient]
    lookup_value_regex = "[0-9]+"
    filterset_class = None

    def get_queryset(self) -> QuerySet[Subscription]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Subscription.objects.none()
        return selectors.subscriptions_of(owner=self.request.user)

    @extend_schema(request=SubscriptionSerializer, responses={201: SubscriptionSecretSerializer})
    def create(self, request: Request) -> Response:
        """Subscribe; the answer shows the signing secret, this once."""
        serializer = SubscriptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = services.create_subscription(owner=request.user, **serializer.service_fields())
        return Response(SubscriptionSecretSerializer(subscription).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: BaseSerializer) -> None:
        serializer.instance = services.update_subscription(
            subscription_id=serializer.instance.pk, owner=self.request.user, **serializer.service_fields()
        )

    def perform_destroy(self, instance: Subscription) -> None:
        services.delete_subscription(subscription_id=instance.pk, owner=self.request.user)

    @extend_schema(request=None, responses=SubscriptionSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        """A new signing secret, shown this once; the old one signs nothing more."""
        subscription = services.rotate_secret(subscription_id=int(pk), owner=request.user)
        return Response(SubscriptionSecretSerializer(subscription).data)

    @extend_schema(responses=DeliverySerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        serializer_class=DeliverySerializer,
        pagination_class=DeliveryPagination,
    )
    def deliveries(self, request: Request, pk: str) -> Response:
        """The subscription's delivery log, newest first: status, attempts, last response code and latency."""
        require(self.get_queryset().filter(pk=int(pk)).exists())
        rows = selectors.deliveries_of(owner=request.user, subscription_id=int(pk))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses=DeliverySerializer)
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>[0-9]+)/replay")
    def replay(self, request: Request, pk: str, delivery_id: str) -> Response:
        """Send a delivered, failed or dead delivery again, with the same event id (409
        `delivery_in_progress` while it is pending or being sent)."""
        require(
            selectors.deliveries_of(owner=request.user, subscription_id=int(pk)).filter(pk=int(delivery_id)).exists()
        )
        delivery: Delivery = services.replay(delivery_id=int(delivery_id), owner=request.user)
        return Response(DeliverySerializer(delivery).data)
