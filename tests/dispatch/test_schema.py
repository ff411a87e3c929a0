"""The dispatch API is documented in the OpenAPI schema, without generator warnings."""

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

DISPATCH_WORDS = ("dispatch", "Assignment", "ReturnRequest", "ExtensionRequest", "RoutingRule", "DispatchQueue")
# Choice fields of dispatch's serializers whose names other apps use too.
SHARED_ENUM_FIELDS = ('named "role"', 'named "status"', 'named "outcome"', 'named "reason"', 'named "kind"')


def test_schema_documents_every_step_with_request_and_response_bodies():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    # No warning about dispatch's views, serializers or enums
    warnings = [
        message
        for message in GENERATOR_STATS._warn_cache
        if any(word in message for word in (*DISPATCH_WORDS, *SHARED_ENUM_FIELDS))
    ]
    assert warnings == []
    paths = schema["paths"]
    for step in ("sign", "first-contact", "progress", "return", "extension", "whistle", "reply", "supervise"):
        operation = paths[f"/api/v1/assignments/{{id}}/{step}/"]["post"]
        assert operation["responses"], step
    for path in ("/api/v1/dispatch-queue/{id}/dispatch/", "/api/v1/return-requests/{id}/approve/"):
        assert "requestBody" in paths[path]["post"]
    assert "multipart/form-data" in paths["/api/v1/assignments/{id}/progress/"]["post"]["requestBody"]["content"]
    assert "/api/v1/routing-rules/{id}/" in paths
