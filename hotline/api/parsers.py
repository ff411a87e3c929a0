"""The API's JSON parser: DRF's, refusing what PostgreSQL or Python cannot take."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No request of ours nests deeper than a few levels; this leaves room and stops a body of
# thousands of brackets long before Python's recursion limit.
MAX_DEPTH = 32


def _check(data: Any) -> None:
    """Depth at most MAX_DEPTH and no NUL in any key or string (PostgreSQL text cannot hold it)."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise ParseError(_("JSON strings must not contain NUL characters."))
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise ParseError(_("JSON nested deeper than %(depth)s levels.") % {"depth": MAX_DEPTH})
        items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
        for key, item in items:
            if isinstance(key, str) and "\x00" in key:
                raise ParseError(_("JSON strings must not contain NUL characters."))
            pending.append((item, depth + 1))


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON nested deeper than %(depth)s levels.") % {"depth": MAX_DEPTH}) from exc
        _check(data)
        return data
