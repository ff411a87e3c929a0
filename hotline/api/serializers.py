from rest_framework import serializers

from hotline.models import Category, Membership, Unit, User


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
