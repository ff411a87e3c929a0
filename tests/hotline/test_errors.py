"""The error vocabulary: every code the product raises is an ErrorCode, and a code reads as its string."""

import re
from pathlib import Path

import pytest
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer

from hotline.api.errors import error_body
from hotline.errors import DomainError, ErrorCode

ROOT = Path(__file__).resolve().parents[2]
APPS = ("hotline", "intake", "dispatch", "evaluation", "analytics", "open311")
LISTED = {code.value for code in ErrorCode}
# A code written where an error is made: the first argument of DomainError, of dispatch's Refusal
# and of the services' _conflict helper, or the code= of the API's own error bodies.
RAISED = re.compile(r'\b(?:DomainError|Refusal|_conflict)\(\s*"(\w+)"')
ANSWERED = re.compile(r'\b(?:error_body|bad_input_response|_unreadable)\([^()]*?\bcode="(\w+)"', re.S)


def raised_codes() -> dict[str, set[str]]:
    """Each code written in the sources, with the files that write it."""
    codes: dict[str, set[str]] = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            for match in [*RAISED.finditer(text), *ANSWERED.finditer(text)]:
                codes.setdefault(match.group(1), set()).add(str(path.relative_to(ROOT)))
    return codes


def drf_exceptions(cls: type[exceptions.APIException]) -> list[type[exceptions.APIException]]:
    return [cls, *(sub for child in cls.__subclasses__() for sub in drf_exceptions(child))]


def test_every_code_raised_in_the_sources_is_listed():
    codes = raised_codes()
    assert {"lead_only", "appeal_open", "too_large", "server_error"} <= codes.keys()  # the scan sees them

    unlisted = {code: sorted(files) for code, files in codes.items() if code not in LISTED}
    assert unlisted == {}, "add these codes to hotline.errors.ErrorCode"


def test_every_code_of_drfs_exceptions_is_listed():
    # hotline.api.errors answers DRF's exceptions with their own codes (validation errors as "invalid");
    # the product raises only DRF's named exceptions, never the bare base class.
    codes = {cls.default_code for cls in drf_exceptions(exceptions.APIException)[1:]}

    assert codes - LISTED == set()


def test_every_code_has_a_description():
    assert all(code.description for code in ErrorCode)


def test_a_code_given_as_its_string_is_the_member():
    error = DomainError("lead_only", "Only the lead unit can do this.")

    assert error.code is ErrorCode.LEAD_ONLY
    assert error.code == "lead_only"


def test_a_code_reads_as_its_string_in_the_api():
    body = error_body(status_code=409, code=ErrorCode.APPEAL_OPEN, message="Already open.")

    assert b'"code":"appeal_open"' in JSONRenderer().render(body)


def test_an_unlisted_code_cannot_be_raised():
    with pytest.raises(ValueError, match="no_such_code"):
        DomainError("no_such_code", "Nothing.")
