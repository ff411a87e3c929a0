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


# The element of the assignment page holding the district's id: the pass-down pickers search its units.
DISTRICT_ELEMENT_ID = "district-of-assignment"
# A district passes its tickets down to its streets/townships and departments, never to itself.
BELOW_DISTRICT_KINDS = HANDLING_KINDS - {UnitKind.DISTRICT}


class SubdispatchForm(forms.Form):
    """下派: the district's sub-centre passes its ticket down to a unit inside the district. The
    fields are named as the service names them in its refusals (lead, assisting, due_at)."""

    prefix = "subdispatch"
    lead = UnitChoiceField(
        label=_("Lead unit"),
        queryset=Unit.objects.none(),
        widget=UnitPicker(kinds=BELOW_DISTRICT_KINDS, within=DISTRICT_ELEMENT_ID),
        help_text=_("a street/township or department of the district"),
    )
    assisting = UnitsChoiceField(
        label=_("Assisting units"),
        queryset=Unit.objects.none(),
        required=False,
        widget=UnitsPicker(kinds=BELOW_DISTRICT_KINDS),
        help_text=_("units of the district, or city-wide utilities"),
    )
    due_at = forms.DateTimeField(
        label=_("Handling deadline"),
        required=False,
        help_text=_("empty: the district's own deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(label=_("Note for the units"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    override_reason = override_reason_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any handling unit is accepted here: the service says which are not inside the district.
        units = selectors.handling_units()
        self.fields["lead"].queryset = units
        self.fields["assisting"].queryset = units


class ConfirmForm(ReplyForm):
    """The district's reply to the hotline, prefilled with the reply of the unit it passed the
    ticket down to: sent as it is, or edited."""

    prefix = "confirm"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].widget.attrs["data-explain"] = f"id_{self.prefix}-explanation"


class MergeForm(forms.Form):
    """A "merge into this ticket" button of the repeat candidates: the open ticket to join
    (intake's merge service checks that it is open)."""

    parent = forms.ModelChoiceField(
        queryset=Ticket.objects.all(), error_messages={"required": _("Choose the ticket to merge into.")}
    )


class Decision:
    APPROVE = "approve"
    REJECT = "reject"
    PASS_UP = "pass_up"


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


class DistrictReturnDecisionForm(ReturnDecisionForm):
    """The district decides the return of a unit it passed its ticket down to: approved, the ticket
    is back with the district, or passed at once to another of its units."""

    prefix = "return_decision"
    request = forms.IntegerField(widget=forms.HiddenInput)
    redispatch_to = UnitChoiceField(
        label=_("Pass down at once to"),
        queryset=Unit.objects.none(),
        required=False,
        help_text=_("leave empty to take the ticket back to the district"),
        widget=UnitPicker(kinds=BELOW_DISTRICT_KINDS, within=DISTRICT_ELEMENT_ID),
    )


class ExtensionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(Decision.APPROVE, _("Approve")), (Decision.REJECT, _("Deny"))], widget=forms.HiddenInput
    )
    note = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class DistrictExtensionDecisionForm(forms.Form):
    """The district decides the extension a unit below it asks for: approve, deny, or pass it up
    to the hotline (the unit's new deadline would end after the district's own)."""

    prefix = "extension_decision"
    request = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        choices=[(Decision.APPROVE, _("Approve")), (Decision.REJECT, _("Deny")), (Decision.PASS_UP, _("Pass up"))],
        widget=forms.HiddenInput,
    )
    note = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("required to deny; passed on to the hotline with the request"),
    )


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


class FeedbackTemplateForm(forms.Form):
    """The caller's reply SMS for one outcome (checked by dispatch.feedback.check_template)."""

    text = forms.CharField(
        label=_("SMS text"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("Placeholders: {number} tracking number, {summary} the reply, {link} the status page."),
    )
    is_active = forms.BooleanField(label=_("Send this SMS"), required=False)
