from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hotline import selectors
from hotline.api.serializers import CategorySerializer, MeSerializer, UnitSerializer
from hotline.filters import CategoryFilter, UnitFilter
from hotline.models import Category, Unit


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """The organisation tree: districts, streets/townships, departments, enterprises."""

    queryset = Unit.objects.order_by("id")
    serializer_class = UnitSerializer
    filterset_class = UnitFilter


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
