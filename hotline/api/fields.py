"""Serializer fields as strict as the schema they document."""

from rest_framework import serializers


class CharField(serializers.CharField):
    """Text only: DRF's CharField also takes a JSON number or boolean and stores its str()."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
