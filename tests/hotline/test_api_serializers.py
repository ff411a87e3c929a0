"""Shared API serializer pieces: shallowly copied fields, and reference fields read per process."""

import pytest
from rest_framework import serializers

from hotline.api.serializers import ReferenceField, ShallowFieldsMixin
from hotline.models import Category
from tests.factories import CategoryFactory


class Form(ShallowFieldsMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("a", "A"), ("b", "B")])
    count = serializers.IntegerField(max_value=3)
    category = ReferenceField(Category, required=False)


def test_shallow_copies_are_bound_to_their_own_serializer_and_keep_their_own_errors():
    # Given two instances validating different data
    good, bad = Form(data={"kind": "a", "count": 1}), Form(data={"kind": "x", "count": 9})
    # Then each has its own fields, bound to itself, and the declared ones stay unbound
    assert good.fields["kind"] is not bad.fields["kind"]
    assert (good.fields["kind"].parent, bad.fields["kind"].parent) == (good, bad)
    assert Form._declared_fields["kind"].field_name is None
    # And validation of one does not leak into the other
    assert bad.is_valid() is False
    assert good.is_valid(), good.errors
    assert set(bad.errors) == {"kind", "count"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "code"),
    [(True, "incorrect_type"), ("abc", "incorrect_type"), ([1], "incorrect_type"), (10**9, "does_not_exist")],
)
def test_a_reference_field_refuses_what_is_not_an_existing_id(value, code):
    form = Form(data={"kind": "a", "count": 1, "category": value})
    assert not form.is_valid()
    assert form.errors["category"][0].code == code


@pytest.mark.django_db
def test_a_reference_field_takes_an_id_as_number_or_text():
    category = CategoryFactory()
    for value in (category.pk, str(category.pk)):
        form = Form(data={"kind": "a", "count": 1, "category": value})
        assert form.is_valid(), form.errors
        assert form.validated_data["category"] == category
