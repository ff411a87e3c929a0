"""The committed OpenAPI schema (openapi.yaml) and property-based runs of schemathesis.

openapi.yaml is what API clients read; it must be what the code generates, without
generation warnings. schemathesis then calls every read operation (and ticket creation)
with generated input, through the WSGI application in this process: no 5xx, and every
documented response conforms to the schema. A bounded run with every check schemathesis has
(valid input accepted, invalid input refused, every status documented, …) calls every
operation with valid and invalid input as a hotline agent and as a unit officer, configured by
the repository's schemathesis.toml as `st run` is. A second run drives the official Open311
GeoReport v2 Swagger file against /open311/v2/ and expects no 5xx.
"""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import translation
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token

from hotline.models import Category, Role, Unit, UnitKind

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "openapi.yaml"
OPEN311_SPEC = ROOT.parent / "shared" / "data" / "open311_georeport_v2-1_swagger.yaml"
SCHEMATHESIS_CONFIG = ROOT / "schemathesis.toml"
REGENERATE = "python manage.py spectacular --lang en --validate --fail-on-warn --file openapi.yaml"


def generate() -> tuple[dict, bytes, list[str]]:
    """The schema as `manage.py spectacular --lang en` makes it, and the warnings it emitted."""
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence(), translation.override("en"):
        schema = SchemaGenerator().get_schema(request=None, public=True)
    problems = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    return schema, OpenApiYamlRenderer().render(schema, renderer_context={}), problems


def test_schema_generates_without_warnings_and_is_valid():
    schema, _text, problems = generate()
    assert problems == [], f"fix the schema warnings (see `{REGENERATE}`):\n" + "\n".join(problems)
    validate_schema(schema)


def test_committed_schema_matches_the_code():
    _schema, text, _problems = generate()
    committed = COMMITTED.read_bytes() if COMMITTED.exists() else b""
    assert committed == text, f"openapi.yaml is out of date: run `{REGENERATE}` and commit it"


# --- schemathesis -------------------------------------------------------------------------


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's WSGI application, serving inside the test's transaction.

    Like Django's test client, it must not close the connection around a request, which
    would break the transaction the test runs in.
    """
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def run_schemathesis(
    schema: Any,
    *,
    checks: list[Callable],
    headers: dict[str, str] | None = None,
    fixed: dict[str, dict[str, str]] | None = None,
    max_examples: int = 10,
    more_examples: dict[str, int] | None = None,
    modes: tuple[str, ...] = ("positive",),
) -> dict[str, list[str]]:
    """Every operation of `schema` with `max_examples` generated cases per generation mode
    ("positive": valid input, "negative": invalid input); the failures per operation.

    `fixed` holds parameters not to generate ({"query": {…}, "path_parameters": {…}});
    `more_examples` raises the number of cases for some operations ({"POST /path": 50}).
    Hypothesis is derandomized, so every run sends the same requests.
    """
    from schemathesis import GenerationMode

    failures: dict[str, list[str]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        examples = (more_examples or {}).get(operation.label, max_examples)
        for mode in modes:
            found = _run_operation(
                operation,
                checks=checks,
                headers=headers or {},
                fixed=fixed or {},
                max_examples=examples,
                mode=GenerationMode(mode),
            )
            if found:
                failures.setdefault(operation.label, []).extend(found)
    return failures


def _run_operation(
    operation: Any, *, checks: list[Callable], headers: dict[str, str], fixed: dict, max_examples: int, mode: Any
) -> list[str]:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.core.failures import FailureGroup

    found: list[str] = []

    @settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode, **fixed))
    def call(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=checks)
        except (AssertionError, FailureGroup) as error:
            found.append(str(error)[:3000])

    try:
        call()
    except Unsatisfiable:
        # Nothing of the operation can be made invalid (no parameters, no body): nothing to send.
        assert mode == GenerationMode.NEGATIVE, f"{operation.label}: no valid input could be generated"
    return found


# Most generated tickets are invalid (400); enough cases that some are created (201).
CREATE_EXAMPLES = {"POST /api/v1/tickets/": 60}


def reads_and_ticket_creation(context: Any) -> bool:
    operation = context.operation
    return operation.method.upper() == "GET" or (
        operation.method.upper() == "POST" and operation.path == "/api/v1/tickets/"
    )


def no_limits(settings) -> None:
    """Lift the rates, not the throttle classes: DRF binds the classes when its views module is
    first imported, so emptying them here would switch throttling off for the whole process."""
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/second")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def project_schema(wsgi_app: WSGIHandler) -> Any:
    """The project's schema as schemathesis drives it, configured by schemathesis.toml."""
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    raw, _text, _problems = generate()
    # Real category ids, so that some generated tickets are valid and get created.
    category = raw["components"]["schemas"]["TicketCreate"]["properties"]["category"]
    category["enum"] = list(Category.objects.filter(level=3, code__startswith="01").values_list("pk", flat=True))
    schema = schemathesis.openapi.from_dict(raw, config=SchemathesisConfig.from_path(SCHEMATHESIS_CONFIG))
    schema.app = wsgi_app
    return schema


def token_header(user) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


@pytest.fixture
def rest_api(wsgi_app, beijing, make_user, settings) -> tuple[Any, dict[str, str]]:
    """The project's schema as schemathesis drives it, and a hotline agent's token header."""
    no_limits(settings)
    schema = project_schema(wsgi_app)
    return schema.include(reads_and_ticket_creation), token_header(make_user(Role.AGENT))


@pytest.mark.slow
@pytest.mark.django_db
def test_schemathesis_finds_no_server_error_in_the_rest_api(rest_api):
    from schemathesis.checks import not_a_server_error

    # when schemathesis calls the read operations and ticket creation, as an agent, with generated input
    schema, headers = rest_api
    failures = run_schemathesis(schema, headers=headers, checks=[not_a_server_error], more_examples=CREATE_EXAMPLES)
    # then no answer is a server error
    assert failures == {}, "\n\n".join(f"{op}:\n{errors[0]}" for op, errors in failures.items())


@pytest.mark.slow
@pytest.mark.django_db
def test_schemathesis_finds_rest_api_responses_as_documented(rest_api):
    from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

    # when schemathesis calls the read operations and ticket creation with generated input
    schema, headers = rest_api
    checks = [response_schema_conformance, content_type_conformance]
    failures = run_schemathesis(schema, headers=headers, checks=checks, more_examples=CREATE_EXAMPLES)
    # then every documented response has the documented content type and shape
    assert failures == {}, "\n\n".join(f"{op}:\n{errors[0]}" for op, errors in failures.items())


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.AGENT, Role.UNIT_OFFICER])
def test_schemathesis_every_check_passes_on_every_operation(wsgi_app, beijing, make_user, settings, role):
    from schemathesis.checks import CHECKS, load_all_checks

    # given the schema and schemathesis.toml as `st run` reads them, and a user of the role in a street
    no_limits(settings)
    schema = project_schema(wsgi_app)
    street = Unit.objects.filter(kind=UnitKind.STREET).order_by("code").first()
    headers = token_header(make_user(role, unit=street))
    load_all_checks()
    # when every operation is called with valid and with invalid generated input
    failures = run_schemathesis(
        schema, headers=headers, checks=CHECKS.get_all(), max_examples=6, modes=("positive", "negative")
    )
    # then no check fails: valid input accepted, invalid input refused, every answer documented
    assert failures == {}, "\n\n".join(f"{op}:\n{errors[0]}" for op, errors in failures.items())


@pytest.mark.slow
@pytest.mark.django_db
def test_schemathesis_finds_no_server_error_against_the_official_open311_spec(wsgi_app, beijing, settings):
    import schemathesis
    from schemathesis.checks import not_a_server_error

    from open311 import services

    if not OPEN311_SPEC.exists():
        pytest.skip(f"the official Open311 spec is not at {OPEN311_SPEC} (../shared is not beside the repository)")
    # given the official GeoReport v2 Swagger file, pointed at our endpoint, and a valid api_key
    no_limits(settings)
    _client, key = services.create_client(name="schemathesis")
    raw = yaml.safe_load(OPEN311_SPEC.read_text())
    raw["basePath"] = "/open311/v2"
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = wsgi_app
    # when schemathesis calls every operation with generated input, in both formats
    for response_format in ("json", "xml"):
        fixed = {
            "query": {"jurisdiction_id": "beijing.gov.cn", "api_key": key, "service_code": "010101"},
            "path_parameters": {"response_format": response_format},
        }
        failures = run_schemathesis(schema, checks=[not_a_server_error], fixed=fixed)
        # then none answered with a server error
        assert failures == {}, "\n\n".join(f"{op}:\n{errors[0]}" for op, errors in failures.items())
