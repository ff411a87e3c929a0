"""Unit pickers: a select that holds only the chosen units and the suggestions, which
static/js/unit-picker.js turns into a combobox searching the API (GET /api/v1/units/search/).

The field keeps validating against its full queryset, so any unit the search finds is
accepted; the page never lists the ~500 units. `within` names an element of the page whose value
(a district's id) limits the search to that district's units. Without JavaScript the select still offers the
suggestions. The page loads static/js/unit-picker.js and static/css/unit-picker.css.
"""

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hotline.models import Unit


class UnitPickerMixin:
    template_name = "hotline/widgets/unit_picker.html"
    choices: Any  # the field's ModelChoiceIterator
    allow_multiple_selected: bool

    def __init__(self, *, kinds: Collection[str] = (), within: str = "", attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)  # type: ignore[call-arg]
        self.kinds = tuple(kinds)
        self.within = within
        self.suggestions: Sequence[Unit] = ()

    def optgroups(self, name: str, value: list[str], attrs: dict[str, Any] | None = None) -> list:
        """The empty choice (single picker), the suggestions, then the chosen units not among
        them: never the whole queryset."""
        groups: list = []
        suggested = {str(unit.pk) for unit in self.suggestions}
        field = self.choices.field
        if not self.allow_multiple_selected and field.empty_label is not None:
            groups.append(self._group(name, None, [("", field.empty_label)], value, len(groups)))
        if self.suggestions:
            choices = [self.choices.choice(unit) for unit in self.suggestions]
            groups.append(self._group(name, _("Suggested"), choices, value, len(groups)))
        chosen_ids = [pk for pk in value if pk.isdigit() and pk not in suggested]
        if chosen_ids:
            chosen = self.choices.queryset.filter(pk__in=chosen_ids)
            choices = [self.choices.choice(unit) for unit in chosen]
            groups.append(self._group(name, None, choices, value, len(groups)))
        return groups

    def _group(
        self, name: str, label: Any, choices: Iterable[tuple[Any, str]], value: list[str], index: int
    ) -> tuple[Any, list[dict[str, Any]], int]:
        options = [
            self.create_option(name, option_value, option_label, str(option_value) in value, index)  # type: ignore[attr-defined]
            for option_value, option_label in choices
        ]
        return label, options, index

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)  # type: ignore[misc]
        context["widget"]["picker"] = {
            "search_url": reverse("unit-search"),
            "kinds": ",".join(self.kinds),
            "multiple": self.allow_multiple_selected,
            "within": self.within,
        }
        return context


class UnitPicker(UnitPickerMixin, forms.Select):
    """Picks one unit."""


class UnitsPicker(UnitPickerMixin, forms.SelectMultiple):
    """Picks several units, shown as removable chips."""


def suggest(form: forms.Form, *, units: Sequence[Unit], fields: Iterable[str]) -> None:
    """Offer these units first in the form's unit pickers (e.g. the dispatch catalogue's suggestions)."""
    for name in fields:
        form.fields[name].widget.suggestions = units
