"""django-filter for the API: the filtersets the HTML pages share, read as strictly as the schema
describes them.

HTML forms send a blank value for "any" and browsers send what their selects offer, so the
filtersets are lenient there. An API client's query is checked against the documented types:
a blank value for anything but free text is an error, a boolean is "true" or "false", and an id
that names no row matches nothing (an empty page), as any other value that matches nothing.
"""

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.views import APIView

BOOLEANS = frozenset({"true", "false", "1", "0"})


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request: Request, queryset: QuerySet, view: APIView) -> QuerySet:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        errors = _strict_errors(filterset, request)
        valid = filterset.is_valid()
        for name, problems in filterset.errors.as_data().items():
            if not _names_no_row(filterset.filters.get(name), problems, request.query_params.get(name)):
                errors.setdefault(name, [message for problem in problems for message in problem.messages])
        if errors:
            raise ValidationError(errors)
        # Invalid now means only ids that name no row: nothing matches them.
        return filterset.qs if valid else queryset.none()


def _strict_errors(filterset: django_filters.FilterSet, request: Request) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, filter_ in filterset.filters.items():
        for param in _params(name, filter_):
            for value in request.query_params.getlist(param):
                if value.strip() == "" and not isinstance(filter_, django_filters.CharFilter):
                    errors[param] = [_("This field may not be blank.")]
                elif isinstance(filter_, django_filters.BooleanFilter) and value.lower() not in BOOLEANS:
                    errors[param] = [_("Must be a valid boolean.")]
    return errors


def _params(name: str, filter_: django_filters.Filter) -> list[str]:
    """The query parameters a filter reads (a date range reads two)."""
    suffixes = getattr(filter_.field.widget, "suffixes", None)
    if isinstance(filter_, django_filters.RangeFilter) and suffixes:
        return [f"{name}_{suffix}" if suffix else name for suffix in suffixes]
    return [name]


def _names_no_row(filter_: django_filters.Filter | None, problems: list, value: str | None) -> bool:
    """An integer id of a model choice that is not there: no error, nothing matches."""
    if not isinstance(filter_, django_filters.ModelChoiceFilter) or value is None:
        return False
    try:
        int(value)
    except ValueError:
        return False
    return all(problem.code == "invalid_choice" for problem in problems)
