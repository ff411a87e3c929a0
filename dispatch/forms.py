"""Forms of the workbench and the dispatcher's pages; the services validate the rules again."""

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from dispatch import selectors
from dispatch.models import (
    HANDLING_KINDS,
    OVERRIDE_REASON_MAX_LENGTH,
    STREET_KINDS,
    WHISTLE_KINDS,
    ReplyOutcome,
    ReturnReason,
)
from hotline.models import Category, Unit, UnitKind
from hotline.widgets import UnitPicker, UnitsPicker
from intake.filters import CategoryChoiceField
from intake.models import Ticket


class UnitChoiceField(forms.ModelChoiceField):
    """A unit labelled with its district when it is a street or a district department, picked
    by searching (hotline.widgets): the page lists only the chosen unit and the suggestions."""

    widget = UnitPicker

    def label_from_instance(self, obj: Model) -> str:
        if obj.parent is not None and obj.parent.kind == UnitKind.DISTRICT:
            return _("%(unit)s (%(district)s)") % {"unit": obj.label, "district": obj.parent.label}
        return obj.label


class UnitsChoiceField(forms.ModelMultipleChoiceField):
    widget = UnitsPicker

    def label_from_instance(self, obj: Model) -> str:
        return UnitChoiceField.label_from_instance(self, obj)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class FirstContactForm(forms.Form):
    note = forms.CharField(
        label=_("How the caller was reached and what was agreed"),
        required=False,
        widget=forms.Textarea,
        max_length=2000,
    )


class ProgressForm(forms.Form):
    text = forms.CharField(label=_("Progress"), widget=forms.Textarea, max_length=4000)
    files = MultipleFileField(label=_("Photos and documents"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = settings.HOTLINE_ATTACHMENT_TYPES
        self.fields["files"].widget.attrs["accept"] = ",".join(f".{ext}" for ext in types)
        self.fields["files"].help_text = _("%(types)s, at most %(size)s MB each") % {
            "types": ", ".join(types),
            "size": settings.HOTLINE_ATTACHMENT_MAX_BYTES // (1024 * 1024),
        }


class ReturnForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=ReturnReason.choices)
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("the law, regulation or responsibility list that puts the matter elsewhere"),
    )
    note = forms.CharField(label=_("Explanation"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ExtensionForm(forms.Form):
    extra_days = forms.IntegerField(label=_("Extra days"), min_value=1, max_value=settings.HOTLINE_MAX_EXTENSION_DAYS)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class WhistleForm(forms.Form):
    units = UnitsChoiceField(
        label=_("Departments to summon"), queryset=Unit.objects.none(), widget=UnitsPicker(kinds=WHISTLE_KINDS)
    )
    note = forms.CharField(label=_("What they should do"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = selectors.summonable_units()


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Result"), widget=forms.Textarea, max_length=4000)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=ReplyOutcome.choices,
        # static/js/dispatch.js makes the explanation required unless the matter is resolved.
        widget=forms.Select(attrs={"data-explain": "id_explanation"}),
    )
    explanation = forms.CharField(
        label=_("Explanation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("required when the matter is only partly resolved or cannot be resolved"),
    )


class SuperviseForm(forms.Form):
    comment = forms.CharField(label=_("Supervision comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


def override_reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason to override the dispatch catalogue"),
        required=False,
        max_length=OVERRIDE_REASON_MAX_LENGTH,
        help_text=_("only to send a functional-department matter to a street/township; kept in the ticket's log"),
    )


class DispatchForm(forms.Form):
    lead_unit = UnitChoiceField(
        label=_("Lead unit"), queryset=Unit.objects.none(), widget=UnitPicker(kinds=HANDLING_KINDS)
    )
    assist_units = UnitsChoiceField(
        label=_("Assisting units"),
        queryset=Unit.objects.none(),
        required=False,
        widget=UnitsPicker(kinds=HANDLING_KINDS),
    )
    note = forms.CharField(label=_("Note for the units"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    override_reason = override_reason_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = selectors.handling_units()
        self.fields["lead_unit"].queryset = units
        self.fields["assist_units"].queryset = units


class MergeForm(forms.Form):
    """A "merge into this ticket" button of the repeat candidates: the open ticket to join
    (intake's merge service checks that it is open)."""

    parent = forms.ModelChoiceField(
        queryset=Ticket.objects.all(), error_messages={"required": _("Choose the ticket to merge into.")}
    )


class Decision:
    APPROVE = "approve"
    REJECT = "reject"


class ReturnDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(Decision.APPROVE, _("Approve the return")), (Decision.REJECT, _("Reject: the unit must handle it"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("required when rejecting"),
    )
    redispatch_to = UnitChoiceField(
        label=_("Re-dispatch at once to"),
        queryset=Unit.objects.none(),
        required=False,
        help_text=_("leave empty to put the ticket back in the dispatch queue"),
        widget=UnitPicker(kinds=HANDLING_KINDS),
    )
    override_reason = override_reason_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["redispatch_to"].queryset = selectors.handling_units()


class ExtensionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(Decision.APPROVE, _("Approve")), (Decision.REJECT, _("Deny"))], widget=forms.HiddenInput
    )
    note = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class RoutingRuleForm(forms.Form):
    category = CategoryChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True).order_by("code")
    )
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("code"),
        required=False,
        help_text=_("empty: the whole city"),
    )
    street = UnitChoiceField(
        label=_("Street/township"),
        queryset=Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE])
        .select_related("parent")
        .order_by("code"),
        required=False,
        widget=UnitPicker(kinds=STREET_KINDS),
    )
    unit = UnitChoiceField(
        label=_("Handling unit"), queryset=Unit.objects.none(), widget=UnitPicker(kinds=HANDLING_KINDS)
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = selectors.handling_units()


class CatalogueFilterForm(forms.Form):
    """The catalogue page's filters: a category of any level, and a district."""

    category = CategoryChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True).order_by("code"), required=False
    )
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("code"),
        required=False,
        help_text=_("its own rules and the city-wide ones"),
    )
