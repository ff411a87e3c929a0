"""The API's pagination classes: a page size that is not a positive whole number, or a blank page,
is an error (400), where DRF silently falls back to the default."""

from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.views import APIView


class StrictPageSizeMixin:
    page_size: int | None
    page_size_query_param: str | None
    max_page_size: int | None

    def get_page_size(self, request: Request) -> int | None:
        param = self.page_size_query_param
        raw = request.query_params.get(param) if param else None
        if raw is None:
            return self.page_size
        size = int(raw) if raw.strip().isdecimal() else 0
        if size < 1:
            raise ValidationError({param: [_("Give a whole number of at least 1.")]})
        return min(size, self.max_page_size) if self.max_page_size else size

    def get_schema_operation_parameters(self, view: APIView) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                if self.max_page_size:
                    parameter["description"] = _(
                        "Number of results per page, at most %(max)d (larger asks get %(max)d)."
                    ) % {"max": self.max_page_size}
        return parameters


class PageNumberPagination(StrictPageSizeMixin, pagination.PageNumberPagination):
    def get_page_number(self, request: Request, paginator: Paginator) -> int | str:
        # DRF reads a blank page as the first; the schema says a page is a number.
        if request.query_params.get(self.page_query_param, "x").strip() == "":
            raise ValidationError({self.page_query_param: [_("This field may not be blank.")]})
        return super().get_page_number(request, paginator)


class CursorPagination(StrictPageSizeMixin, pagination.CursorPagination):
    pass
