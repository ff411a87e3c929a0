"""Forms of the topic pages; the services validate the rules again."""

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Model, Q
from django.utils.translation import gettext_lazy as _

from dispatch.forms import MultipleFileField, UnitChoiceField, UnitsChoiceField
from dispatch.models import HANDLING_KINDS
from hotline.models import Category, Community, Unit
from hotline.widgets import UnitPicker, UnitsPicker
from topics.models import STATUS_MOVES, Topic, TopicSource, TopicStatus
from topics.services import PLACE_KINDS, TopicInput

MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d"]


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value: Any) -> str | None:
        return value.strftime("%Y-%m") if hasattr(value, "strftime") else value


class CategoriesField(forms.ModelMultipleChoiceField):
    """The tree indented by level in one select."""

    def label_from_instance(self, obj: Model) -> str:
        assert isinstance(obj, Category)
        return "\u3000" * (obj.level - 1) + obj.label


class CategoryField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        assert isinstance(obj, Category)
        return obj.label


class TopicForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    problem = forms.CharField(label=_("Problem statement"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    categories = CategoriesField(
        label=_("Categories"),
        queryset=Category.objects.filter(is_active=True).order_by("code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("a ticket of one of these categories, or of a category below one, belongs to the topic"),
    )
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("one per line or separated by commas: a ticket whose summary or description names one belongs"),
    )
    places = UnitsChoiceField(
        label=_("Districts and streets"),
        queryset=Unit.objects.filter(kind__in=PLACE_KINDS),
        required=False,
        widget=UnitsPicker(kinds=sorted(PLACE_KINDS)),
        help_text=_("only tickets located in these places count; none: the whole city"),
    )
    community_codes = forms.CharField(
        label=_("Community codes"),
        required=False,
        max_length=2000,
        help_text=_("12-digit codes of communities (社区/村), separated by commas"),
    )
    lead_unit = UnitChoiceField(
        label=_("Lead unit"), queryset=Unit.objects.all(), widget=UnitPicker(kinds=HANDLING_KINDS)
    )
    co_units = UnitsChoiceField(
        label=_("Co-units"), queryset=Unit.objects.all(), required=False, widget=UnitsPicker(kinds=HANDLING_KINDS)
    )
    month = forms.DateField(label=_("Topic month"), input_formats=MONTH_FORMATS, widget=MonthInput)
    tracked_from = forms.DateField(
        label=_("Track tickets from"),
        required=False,
        input_formats=MONTH_FORMATS,
        widget=MonthInput,
        help_text=_("the months before the topic's month to compare with (default: 6 months)"),
    )
    source = forms.ChoiceField(choices=TopicSource.choices, initial=TopicSource.MANUAL, widget=forms.HiddenInput)

    def clean_community_codes(self) -> list[Community]:
        codes = [code.strip() for code in self.cleaned_data["community_codes"].replace("，", ",").split(",")]
        codes = [code for code in codes if code]
        found = list(Community.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {community.code for community in found})
        if missing:
            raise forms.ValidationError(_("Unknown community codes: %(codes)s") % {"codes": ", ".join(missing)})
        return found

    def topic_input(self) -> TopicInput:
        data = self.cleaned_data
        return TopicInput(
            title=data["title"],
            problem=data["problem"],
            lead_unit=data["lead_unit"],
            month=data["month"],
            categories=list(data["categories"]),
            keywords=data["keywords"],
            places=list(data["places"]),
            communities=data["community_codes"],
            co_units=list(data["co_units"]),
            tracked_from=data["tracked_from"],
            source=data["source"],
        )

    @classmethod
    def initial_of(cls, topic: Topic) -> dict[str, Any]:
        return {
            "title": topic.title,
            "problem": topic.problem,
            "categories": list(topic.categories.all()),
            "keywords": topic.keywords,
            "places": list(topic.places.all()),
            "community_codes": ", ".join(community.code for community in topic.communities.all()),
            "lead_unit": topic.lead_unit,
            "co_units": list(topic.co_units.all()),
            "month": topic.month,
            "tracked_from": topic.tracked_from,
            "source": topic.source,
        }


class MeasureForm(forms.Form):
    text = forms.CharField(label=_("Reform measure"), max_length=500)
    owner = UnitChoiceField(label=_("Owner unit"), queryset=Unit.objects.all(), widget=UnitPicker(kinds=HANDLING_KINDS))
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))


class ProgressForm(forms.Form):
    text = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    measure = forms.ModelChoiceField(label=_("Measure"), queryset=None, required=False)
    measure_done = forms.BooleanField(label=_("This measure is completed"), required=False)
    files = MultipleFileField(label=_("Photos and documents"), required=False)

    def __init__(self, *args: Any, topic: Topic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measure"].queryset = topic.measures.all()
        types = settings.HOTLINE_ATTACHMENT_TYPES
        self.fields["files"].widget.attrs["accept"] = ",".join(f".{ext}" for ext in types)
        self.fields["files"].help_text = _("%(types)s, at most %(size)s MB each") % {
            "types": ", ".join(types),
            "size": settings.HOTLINE_ATTACHMENT_MAX_BYTES // (1024 * 1024),
        }


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=())

    def __init__(self, *args: Any, topic: Topic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        moves = STATUS_MOVES.get(TopicStatus(topic.status), frozenset())
        self.fields["status"].choices = [(status.value, status.label) for status in TopicStatus if status in moves]


class ProactiveForm(forms.Form):
    category = CategoryField(label=_("Category"), queryset=Category.objects.none())
    note = forms.CharField(label=_("What to check or do"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)

    def __init__(self, *args: Any, topic: Topic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = [category.pk for category in topic.categories.all()]
        leaves = Category.objects.filter(level=3, is_active=True)
        if ids:
            leaves = leaves.filter(Q(pk__in=ids) | Q(parent_id__in=ids) | Q(parent__parent_id__in=ids))
        self.fields["category"].queryset = leaves.order_by("code")
        self.initial.setdefault("note", topic.title)
