from rest_framework import serializers

from hotline.models import Category, Membership, Notification, Unit, User


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name", "kind", "division_type", "parent", "code", "population", "is_active"]


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
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
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
