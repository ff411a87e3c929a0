"""POST /api/v1/dispatch-suggestions/: smart dispatch for text not yet a ticket (the desk, client systems)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.advice import DispatchAdvice, dispatch_advice
from dispatch.models import STREET_KINDS
from hotline.api import fields
from hotline.models import Category, Unit, UnitKind
from intake.api.views import CanTakeIn


class SuggestionInputSerializer(serializers.Serializer):
    title = fields.CharField(max_length=100, required=False, allow_blank=True, default="")
    text = fields.CharField(max_length=4000, allow_blank=True)
    address = fields.CharField(max_length=200, required=False, allow_blank=True, default="")
    district = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.filter(kind=UnitKind.DISTRICT, is_active=True), required=False, allow_null=True
    )
    street = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.filter(kind__in=STREET_KINDS, is_active=True).select_related("parent"),
        required=False,
        allow_null=True,
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )

    def validate(self, data: dict) -> dict:
        if not any(data.get(name, "").strip() for name in ("title", "text", "address")):
            raise serializers.ValidationError({"text": [_("Give the text of the request or an address.")]})
        district, street = data.get("district"), data.get("street")
        if district is not None and street is not None and street.parent_id != district.pk:
            raise serializers.ValidationError({"street": [_("This street/township is not in the chosen district.")]})
        return data


class PlaceUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = fields.CharField()
    label = fields.CharField(help_text="the name in the request's language")
    code = fields.CharField(help_text="12-digit statistical code")


class CommunitySerializer(serializers.Serializer):
    code = fields.CharField(help_text="12-digit statistical code")
    name = fields.CharField()


class PlaceCandidateSerializer(serializers.Serializer):
    street = PlaceUnitSerializer()
    community = CommunitySerializer(allow_null=True)
    confidence = serializers.FloatField()


class PlaceSerializer(serializers.Serializer):
    district = PlaceUnitSerializer(allow_null=True)
    street = PlaceUnitSerializer(allow_null=True)
    community = CommunitySerializer(allow_null=True)
    confidence = serializers.FloatField()
    candidates = PlaceCandidateSerializer(many=True, help_text="every street still possible, best first")


class CategorySuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="category.pk")
    path = fields.CharField(help_text="the category's path, in the request's language")
    confidence = serializers.FloatField()


class UnitSuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="unit.pk")
    name = fields.CharField(source="unit.name")
    label = fields.CharField(source="unit.label", help_text="the name in the request's language")
    kind = fields.CharField(source="unit.kind")
    reason = fields.CharField()


class DispatchAdviceSerializer(serializers.Serializer):
    categories = CategorySuggestionSerializer(many=True)
    place = PlaceSerializer(allow_null=True)
    units = UnitSuggestionSerializer(many=True)


class DispatchSuggestionsView(APIView):
    """Smart dispatch (智能派单) for a request's text: the categories the classifier reads in it
    (best first, with a confidence), the district, street and community its address (or, without
    one, its text) names, and the units the dispatch catalogue names for the first category there.
    A category, district or street given in the body is used as given."""

    permission_classes = [CanTakeIn]

    @extend_schema(request=SuggestionInputSerializer, responses=DispatchAdviceSerializer)
    def post(self, request: Request) -> Response:
        serializer = SuggestionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        advice: DispatchAdvice = dispatch_advice(
            title=data["title"],
            text=data["text"],
            address=data["address"],
            district=data.get("district"),
            street=data.get("street"),
            category=data.get("category"),
        )
        return Response(DispatchAdviceSerializer(advice).data)
