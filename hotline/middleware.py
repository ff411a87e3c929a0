"""Requests the product cannot read are refused up front, before any view or query sees them.

PostgreSQL cannot store NUL in text, Django replaces invalid UTF-8 silently, and an oversized
body or too many fields would otherwise surface as a server error deep inside a view. Each is
answered here as 400 or 413 in the format of the part of the site asked (see `bad_input`).

A refusal "not_found" (hotline.permissions.require) that leaves an HTML view becomes its 404 page.
"""

import time
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from hotline.errors import DomainError, ErrorCode
from hotline.views import bad_input_response


def _readable(raw: bytes) -> bool:
    """UTF-8 without NUL: what every text field of the database can hold."""
    if b"\x00" in raw:
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _unreadable_field(encoded: str | bytes) -> str | None:
    """The name of the first field of a query string or urlencoded form that is not readable."""
    raw = encoded if isinstance(encoded, bytes) else encoded.encode("iso-8859-1", "replace")
    for pair in raw.split(b"&"):
        name, _sep, value = (unquote_to_bytes(part.replace(b"+", b" ")) for part in pair.partition(b"="))
        if not (_readable(name) and _readable(value)):
            return name.replace(b"\x00", b"").decode("utf-8", "replace") or "?"
    return None


class BadInputMiddleware:
    """400 for NUL bytes in the path, NUL or invalid UTF-8 in the query or a form; 413 for a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE; 400 for more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields.
    JSON bodies are checked by the API's parser (hotline.api.parsers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        # Django keeps invalid UTF-8 in a path as %XX text (harmless, a 404 at worst); NUL it decodes.
        if "\x00" in request.path:
            return bad_input_response(request, status=400, code="invalid_path", message=_("The address is not valid."))
        field = _unreadable_field(request.META.get("QUERY_STRING", ""))
        if field is not None:
            return _unreadable(request, field=field, code="invalid_query")
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        return self._body_refusal(request)

    def _body_refusal(self, request: HttpRequest) -> HttpResponse | None:
        content_type = request.content_type
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # Files in a multipart body have their own limits (the forms'); its text fields are
        # measured by Django's parser below.
        if content_type != "multipart/form-data" and limit is not None and length > limit:
            return _too_big(request)
        try:
            if content_type == "application/x-www-form-urlencoded":
                field = _unreadable_field(request.body)
                if field is not None:
                    return _unreadable(request, field=field, code="invalid_body")
                request.POST  # noqa: B018 - parsed here so that too many fields are refused here
            elif content_type == "multipart/form-data":
                for name, values in request.POST.lists():
                    if "\x00" in name or any("\x00" in value for value in values):
                        return _unreadable(request, field=name.replace("\x00", "") or "?", code="invalid_body")
        except RequestDataTooBig:
            return _too_big(request)
        except (SuspiciousOperation, MultiPartParserError):
            # TooManyFieldsSent, TooManyFilesSent, a broken multipart body.
            return bad_input_response(
                request, status=400, code="invalid_body", message=_("The request body could not be read.")
            )
        return None


def _too_big(request: HttpRequest) -> HttpResponse:
    return bad_input_response(request, status=413, code="too_large", message=_("The request body is too large."))


def _unreadable(request: HttpRequest, *, field: str, code: str) -> HttpResponse:
    return bad_input_response(
        request,
        status=400,
        code=code,
        message=_("Contains NUL or characters that are not UTF-8."),
        field=field,
    )


class NotFoundMiddleware:
    """A DomainError "not_found" out of an HTML view is Django's Http404, so the product's 404 page
    shows. Views and services refuse with hotline.permissions.require and need not catch it; the
    API answers the same error itself (hotline.api.errors), so it never gets here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DomainError) and exception.code == ErrorCode.NOT_FOUND:
            raise Http404(exception.message) from exception
        return None


class IdleSessionTimeoutMiddleware:
    """Logs out a browser session unused for SESSION_IDLE_TIMEOUT (SESSION_COOKIE_AGE stays the
    absolute limit). The last activity is written at most once a minute, not on every request.
    API tokens are not sessions: request.user is anonymous here for them, so they are unaffected."""

    KEY = "last_activity"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.KEY)
            if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT.total_seconds():
                logout(request)
            elif last is None or now - last >= 60:
                request.session[self.KEY] = now
        return self.get_response(request)


def stamp_login(sender: type, request: HttpRequest | None, **kwargs: object) -> None:
    """A new session starts active (user_logged_in): its first request then writes nothing."""
    if request is not None and hasattr(request, "session"):
        request.session[IdleSessionTimeoutMiddleware.KEY] = int(time.time())
