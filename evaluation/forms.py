"""Forms of the evaluation pages: callback results, the citizen survey, rankings, appeals."""

from datetime import date, datetime
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evaluation.callbacks import CallbackAnswer
from evaluation.models import AppealKind, Resolution, Satisfaction
from evaluation.rankings import RANKED_KINDS

MONTH_FORMAT = "%Y-%m"

RANKED_KIND_CHOICES = [(kind.value, kind.label) for kind in RANKED_KINDS]


def parse_month(value: str | None) -> date | None:
    """Parse "2026-10" (or an ISO date) to the first day of that month; None when it is not a month."""
    try:
        return datetime.strptime((value or "")[:7], MONTH_FORMAT).date()
    except ValueError:
        return None


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs=attrs, format=MONTH_FORMAT)


class MonthField(forms.DateField):
    """A calendar month, entered as YYYY-MM; cleaned to its first day."""

    widget = MonthInput
    input_formats = [MONTH_FORMAT, "%Y-%m-%d"]

    def to_python(self, value: Any) -> date | None:
        parsed = super().to_python(value)
        return parsed.replace(day=1) if parsed else parsed


class CallbackForm(forms.Form):
    """What the callback agent heard: reached or not; when reached, the two answers."""

    reached = forms.TypedChoiceField(
        label=_("Caller reached?"),
        choices=[("yes", _("Reached")), ("no", _("Not reached"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    resolution = forms.ChoiceField(
        label=_("Was the matter resolved?"), choices=Resolution.choices, required=False, widget=forms.RadioSelect
    )
    satisfaction = forms.ChoiceField(
        label=_("Was the caller satisfied?"), choices=Satisfaction.choices, required=False, widget=forms.RadioSelect
    )
    unit_at_fault = forms.BooleanField(
        label=_("The unit is at fault"),
        required=False,
        help_text=_("An unresolved or unsatisfied answer with the unit at fault reopens the ticket to the unit."),
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("reached"):
            if not data.get("resolution"):
                self.add_error("resolution", _("Choose whether the matter was resolved."))
            if not data.get("satisfaction"):
                self.add_error("satisfaction", _("Choose whether the caller was satisfied."))
        return data

    def answer(self) -> CallbackAnswer:
        data = self.cleaned_data
        if not data["reached"]:
            return CallbackAnswer(reached=False, comment=data["comment"])
        return CallbackAnswer(
            reached=True,
            resolution=data["resolution"],
            satisfaction=data["satisfaction"],
            unit_at_fault=data["unit_at_fault"],
            comment=data["comment"],
        )


class SurveyForm(forms.Form):
    """The citizen's own answers through the link in the SMS."""

    resolution = forms.ChoiceField(
        label=_("Has your matter been resolved?"), choices=Resolution.choices, widget=forms.RadioSelect
    )
    satisfaction = forms.ChoiceField(
        label=_("Are you satisfied with how it was handled?"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def answer(self) -> CallbackAnswer:
        data = self.cleaned_data
        return CallbackAnswer(
            reached=True, resolution=data["resolution"], satisfaction=data["satisfaction"], comment=data["comment"]
        )


class RecomputeForm(forms.Form):
    """Recompute a published month: a new version with the reason in the audit trail."""

    month = MonthField(label=_("Month"), widget=forms.HiddenInput)
    unit_kind = forms.ChoiceField(label=_("Unit kind"), choices=RANKED_KIND_CHOICES, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for recomputing"), max_length=200)


def _before_this_month(value: date) -> None:
    if value >= timezone.localdate().replace(day=1):
        raise forms.ValidationError(_("Only a month that has ended can be computed."))


class ComputeForm(forms.Form):
    """Publish a month that has no ranking yet (the monthly task normally does this)."""

    month = MonthField(label=_("Month"), validators=[_before_this_month])
    unit_kind = forms.ChoiceField(
        label=_("Unit kind"),
        choices=lambda: [("", _("All unit kinds")), *RANKED_KIND_CHOICES],
        required=False,
    )

    def kinds(self) -> list[str]:
        kind = self.cleaned_data["unit_kind"]
        return [kind] if kind else [k.value for k in RANKED_KINDS]


class CallbackChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        completed = timezone.localtime(obj.completed_at).strftime("%Y-%m-%d") if obj.completed_at else ""
        return _("Round %(round)s · %(resolution)s · %(satisfaction)s · %(date)s") % {
            "round": obj.round,
            "resolution": obj.get_resolution_display(),
            "satisfaction": obj.get_satisfaction_display(),
            "date": completed,
        }


class AppealForm(forms.Form):
    """A unit's request to take a ticket out of its rates, or to set aside a callback result."""

    kind = forms.ChoiceField(label=_("What do you appeal?"), choices=AppealKind.choices, widget=forms.RadioSelect)
    callback = CallbackChoiceField(
        label=_("Callback result"),
        queryset=None,
        required=False,
        help_text=_("only when appealing a callback result"),
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    attachment = forms.FileField(
        label=_("Attachment (optional)"),
        required=False,
        validators=[FileExtensionValidator(settings.HOTLINE_ATTACHMENT_TYPES)],
        help_text=_("evidence such as a photo, a document or a spreadsheet"),
    )

    def __init__(self, *args: Any, callbacks: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["callback"].queryset = callbacks


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("required when rejecting"),
    )

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "approve"
