"""Serializer fields as strict as the schema they document."""

import re

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

WHOLE_NUMBER = re.compile(r"-?\d+")


class CharField(serializers.CharField):
    """Text only (DRF's CharField also takes a JSON number or boolean and stores its str()), at
    most `max_length` as sent (DRF counts after trimming whitespace)."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class IntegerField(serializers.IntegerField):
    """A whole number: DRF's IntegerField also takes "7.0"."""

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, str) and not WHOLE_NUMBER.fullmatch(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


class QuerySerializer(serializers.Serializer):
    """Query parameters. DRF reads a blank value of an optional field as if it were not given;
    the schema types these fields (integer, enum, date), so a blank one is an error, as in the
    filters (hotline.api.filters). Text fields may be blank where they say so."""

    def to_internal_value(self, data: object) -> dict:
        blank = {
            name: [_("This field may not be blank.")]
            for name, field in self.fields.items()
            if not isinstance(field, serializers.CharField)
            and name in data
            and any(str(value).strip() == "" for value in _values(data, name))
        }
        if blank:
            raise ValidationError(blank)
        return super().to_internal_value(data)


def _values(data: object, name: str) -> list:
    return data.getlist(name) if hasattr(data, "getlist") else [data[name]]
