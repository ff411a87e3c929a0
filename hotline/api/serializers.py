from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hotline import reference
from hotline.api import fields
from hotline.models import Category, Membership, Notification, Unit, UnitKind, User
from hotline.unit_search import UnitMatch


class ShallowFieldsMixin:
    """Copies the declared fields shallowly for each serializer instance.

    DRF deep-copies them, lazy choice labels and querysets included: half a millisecond for
    the intake form's 25 fields, a twentieth of the whole request. The copies share only the
    configuration their constructors built, which no field changes afterwards; binding sets
    each copy's own attributes.
    """

    _declared_fields: dict[str, serializers.Field]

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: _shallow_copy(field) for name, field in self._declared_fields.items()}


def _shallow_copy(field: serializers.Field) -> serializers.Field:
    # copy.copy's generic protocol (__reduce_ex__, copyreg) cost four times this.
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    return clone


class ReferenceField(serializers.PrimaryKeyRelatedField):
    """A category or unit by id, read from the process's reference rows (hotline.reference)
    instead of a query per request. Only existence is checked here: which rows a use accepts
    (a third-level category, a street) is the service's rule."""

    def __init__(self, model: type[Category] | type[Unit], **kwargs) -> None:
        super().__init__(queryset=model.objects.all(), **kwargs)

    def to_internal_value(self, data: object) -> Category | Unit:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = int(data)
        except ValueError:
            self.fail("incorrect_type", data_type=type(data).__name__)
        row = reference.get(self.queryset.model, pk=pk)
        if row is None:
            self.fail("does_not_exist", pk_value=data)
        return row


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name", "name_en", "kind", "division_type", "parent", "code", "population", "is_active"]


class UnitSearchQuerySerializer(fields.QuerySerializer):
    q = fields.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=64,
        help_text="name, short name, pinyin or pinyin initials",
    )
    kind = serializers.MultipleChoiceField(
        choices=UnitKind.choices, required=False, help_text="any of these kinds (repeat the parameter); none: any kind"
    )
    within = fields.IntegerField(
        required=False, allow_null=True, default=None, help_text="a district's id: only its units"
    )


class DistrictRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="district_id")
    name = fields.CharField(source="district_name")
    label = fields.CharField(source="district_label", help_text="the name in the request's language")


class UnitMatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = fields.CharField()
    label = fields.CharField(help_text="the name in the request's language (English name in English)")
    kind = serializers.ChoiceField(choices=UnitKind.choices)
    kind_label = fields.CharField()
    district = serializers.SerializerMethodField()
    code = fields.CharField(allow_null=True)

    @extend_schema_field(DistrictRefSerializer(allow_null=True))
    def get_district(self, match: UnitMatch) -> dict | None:
        return DistrictRefSerializer(match).data if match.district_id is not None else None


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name", "name_en", "parent", "level", "default_tier", "is_functional", "is_active"]


class MembershipSerializer(serializers.ModelSerializer):
    unit = UnitSerializer()

    class Meta:
        model = Membership
        fields = ["unit", "role"]


class MeSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "memberships"]


class NotificationSerializer(serializers.ModelSerializer):
    kind_display = fields.CharField(source="get_kind_display", read_only=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_display", "title", "body", "link", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    unread = serializers.IntegerField()
