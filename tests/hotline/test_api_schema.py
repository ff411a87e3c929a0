"""The OpenAPI schema documents every error status an operation can answer, in the one error shape."""

from tests.test_openapi import generate

ERROR = {"$ref": "#/components/schemas/Error"}


def statuses(schema: dict, method: str, path: str) -> set[str]:
    return set(schema["paths"][path][method]["responses"])


def test_every_error_response_is_the_one_error_shape():
    schema, _text, _problems = generate()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status >= "400":
                    assert response["content"]["application/json"]["schema"] == ERROR, (method, path, status)


def test_each_operation_documents_the_statuses_it_can_answer():
    schema, _text, _problems = generate()
    # a plain read: bad input, not signed in, no matching renderer, throttled
    assert statuses(schema, "get", "/api/v1/me/") == {"200", "400", "401", "406", "429"}
    # a list: also a page or cursor that is not there
    assert "404" in statuses(schema, "get", "/api/v1/tickets/")
    # a read other roles may not see answers 404 for them, never 403
    assert {"404"} <= statuses(schema, "get", "/api/v1/articles/")
    assert "403" not in statuses(schema, "get", "/api/v1/articles/") | statuses(schema, "get", "/api/v1/candidates/")
    # taking in a ticket: refused (403) to other roles, a rule broken (409), a body too large or of another type
    assert statuses(schema, "post", "/api/v1/tickets/") >= {"201", "200", "400", "401", "403", "409", "413", "415"}
    # deleting has no body to be too large or of another type
    assert {"413", "415"}.isdisjoint(statuses(schema, "delete", "/api/v1/routing-rules/{id}/"))


def test_requests_are_documented_as_json_and_uploads_as_multipart():
    schema, _text, _problems = generate()
    body = schema["paths"]["/api/v1/tickets/"]["post"]["requestBody"]["content"]
    upload = schema["paths"]["/api/v1/assignments/{id}/progress/"]["post"]["requestBody"]["content"]
    assert list(body) == ["application/json"]
    assert "multipart/form-data" in upload
