"""Forms of the agent desk, the knowledge base and the public citizen pages."""

import time
import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.db.models import Model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hotline.models import Category, DeadlineTier, UnitKind
from hotline.selectors import districts, leaf_categories
from intake import selectors
from intake.models import CLOSING_DISPOSITIONS, Channel, Disposition, Kind, KnowledgeArticle, Ticket, Urgency
from intake.phones import normalize_phone
from intake.proactive import TEMPLATES, TEMPLATES_BY_CODE
from intake.services import ArticleData, NewTicket, Outcome, RiskPoint


class DataSelect(forms.Select):
    """A select whose options carry data-* attributes taken from their model instance.

    The small scripts of the intake pages read them: data-parent chains a select to
    another one (district → street), data-tier pre-fills the deadline tier.
    """

    def __init__(self, *args: Any, option_data: Callable[[Any], dict[str, Any]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.option_data = option_data

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"].update({f"data-{key}": str(data) for key, data in self.option_data(instance).items()})
        return option


class UnitTypeahead(DataSelect):
    """A select of every unit the field accepts, which static/js/unit-picker.js lets the agent
    type to like the dispatch pickers (hotline/widgets.py): name, short name, pinyin initials.

    Unlike those pickers the select keeps all its options (a district's 16, the 343 streets):
    the chained street select and the smart dispatch's place fill choose among them, and
    without JavaScript it is a plain select. `within` names the select whose unit (a district)
    the search is limited to.
    """

    template_name = "hotline/widgets/unit_picker.html"

    def __init__(self, *, kinds: tuple[str, ...], within: str = "", **kwargs: Any):
        kwargs.setdefault("option_data", lambda unit: {})
        super().__init__(**kwargs)
        self.kinds = kinds
        self.within = within

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["picker"] = {
            "search_url": reverse("unit-search"),
            "kinds": ",".join(self.kinds),
            "multiple": False,
            "within": self.within,
        }
        return context


class LeafCategoryField(forms.ModelChoiceField):
    """A third-level category, labelled with its path: 公共服务 › 供暖 › 不热."""

    def label_from_instance(self, obj: Model) -> str:
        return f"{obj.parent.parent.label} › {obj.parent.label} › {obj.label}"


class LeafCategoriesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        return f"{obj.parent.parent.label} › {obj.parent.label} › {obj.label}"


class ShortLeafCategoryField(forms.ModelChoiceField):
    """A third-level category under an already chosen top level: 供暖 › 不热."""

    def label_from_instance(self, obj: Model) -> str:
        return f"{obj.parent.label} › {obj.label}"


STREET_KINDS = (UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE)  # as selectors.streets()


def _street_field(*, typeahead: bool = False) -> forms.ModelChoiceField:
    chain = {"option_data": lambda unit: {"parent": unit.parent_id}, "attrs": {"data-chain": "id_district"}}
    widget = UnitTypeahead(kinds=STREET_KINDS, within="id_district", **chain) if typeahead else DataSelect(**chain)
    return forms.ModelChoiceField(
        label=_("Street/township"), queryset=selectors.streets(), required=False, widget=widget
    )


def _phone(value: str) -> str:
    return normalize_phone(value) if value else value


class DeskForm(forms.Form):
    """One contact taken in by an agent, and what becomes of it (the outcome).

    The outcome comes from the button pressed: the outcome buttons send `outcome`, an
    "answer directly" button of the knowledge-base panel sends `answer_with` (an article),
    a "merge" button of the repeat panel sends `merge_into` (a ticket id).
    """

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    phone = forms.CharField(
        label=_("Caller's phone"),
        max_length=32,
        widget=forms.TextInput(attrs={"autofocus": True, "inputmode": "tel", "autocomplete": "off"}),
    )
    caller_name = forms.CharField(label=_("Caller's name"), max_length=64, required=False)
    is_enterprise = forms.BooleanField(label=_("Enterprise"), required=False)
    enterprise_name = forms.CharField(label=_("Enterprise name"), max_length=128, required=False)
    confidential = forms.BooleanField(label=_("Caller asks for confidentiality"), required=False)
    sms_opt_out = forms.BooleanField(label=_("Caller wants no SMS"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c.value, c.label) for c in Channel if c not in (Channel.OPEN311, Channel.PROACTIVE)],
        initial=Channel.PHONE,
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "---------"), *Kind.choices])
    category = LeafCategoryField(
        label=_("Category"),
        queryset=leaf_categories(),
        widget=DataSelect(option_data=lambda category: {"tier": category.default_tier}),
    )
    district = forms.ModelChoiceField(
        label=_("District"), queryset=districts(), required=False, widget=UnitTypeahead(kinds=(UnitKind.DISTRICT,))
    )
    street = _street_field(typeahead=True)
    address = forms.CharField(label=_("Community / address"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}))
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    deadline_tier = forms.ChoiceField(
        label=_("Deadline tier"), choices=[("", _("By category")), *DeadlineTier.choices], required=False
    )
    tier_override_reason = forms.CharField(label=_("Reason for changing the tier"), max_length=200, required=False)
    answer = forms.CharField(
        label=_("Answer or note to the caller"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    disposition = forms.ChoiceField(
        label=_("Closing outcome"),
        choices=[("", "---------"), *[(d.value, d.label) for d in Disposition if d in CLOSING_DISPOSITIONS]],
        required=False,
        widget=forms.Select(attrs={"aria-label": _("Closing outcome")}),
    )
    outcome = forms.ChoiceField(
        choices=[(Outcome.DISPATCH, ""), (Outcome.ANSWER, ""), (Outcome.CLOSE, "")], required=False
    )
    answer_with = forms.ModelChoiceField(queryset=KnowledgeArticle.objects.all(), required=False)
    merge_into = forms.ModelChoiceField(queryset=Ticket.objects.all(), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # A refused submission comes back: the desk's script focuses its first error, not the phone.
            self.fields["phone"].widget.attrs.pop("autofocus", None)

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data["phone"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("merge_into"):
            data["outcome"] = Outcome.MERGE
        elif data.get("answer_with"):
            data["outcome"] = Outcome.ANSWER
        else:
            data["outcome"] = data.get("outcome") or Outcome.DISPATCH
        if data.get("is_enterprise") and not data.get("enterprise_name"):
            self.add_error("enterprise_name", _("Give the enterprise's name."))
        if data["outcome"] == Outcome.CLOSE and not data.get("disposition"):
            self.add_error("disposition", _("Choose how the contact was closed."))
        return data

    def new_ticket(self) -> NewTicket:
        data = self.cleaned_data
        return NewTicket(
            channel=data["channel"],
            kind=data["kind"],
            category=data["category"],
            description=data["description"],
            phone=data["phone"],
            caller_name=data["caller_name"],
            is_enterprise=data["is_enterprise"],
            enterprise_name=data["enterprise_name"] if data["is_enterprise"] else "",
            confidential=data["confidential"],
            sms_opt_out=data["sms_opt_out"],
            district=data["district"],
            street=data["street"],
            address=data["address"],
            urgency=data["urgency"],
            deadline_tier=data["deadline_tier"] or None,
            tier_override_reason=data["tier_override_reason"],
        )

    @staticmethod
    def new_key() -> str:
        return uuid.uuid4().hex


class CandidateQueryForm(forms.Form):
    """The fields of the desk form that repeat detection looks at (all optional)."""

    phone = forms.CharField(required=False, max_length=32)
    category = forms.IntegerField(required=False)
    street = forms.IntegerField(required=False)
    description = forms.CharField(required=False, max_length=4000)

    def clean_phone(self) -> str:
        try:
            return _phone(self.cleaned_data["phone"])
        except forms.ValidationError:
            return ""  # half-typed numbers simply match nothing yet


# The desk sends the knowledge-base search this much of the description: more than the words
# selectors.desk_articles reads, and a short URL.
KB_DESCRIPTION_CHARS = 200


class ArticleQueryForm(forms.Form):
    """What the desk's knowledge-base panel searches with (all optional; long text is cut)."""

    q = forms.CharField(required=False)
    category = forms.IntegerField(required=False, min_value=1)
    description = forms.CharField(required=False)

    def clean_q(self) -> str:
        return self.cleaned_data["q"][:100]

    def clean_description(self) -> str:
        return self.cleaned_data["description"][:KB_DESCRIPTION_CHARS]

    def articles(self) -> list[KnowledgeArticle]:
        self.is_valid()  # every field is optional; invalid ones are simply left out
        data = self.cleaned_data
        return selectors.desk_articles(
            query=data.get("q", ""), category_id=data.get("category"), description=data.get("description", "")
        )


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Body"), widget=forms.Textarea(attrs={"rows": 12}))
    title_en = forms.CharField(label=_("English title"), max_length=200, required=False)
    body_en = forms.CharField(
        label=_("English body"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("optional: shown instead of the Chinese text to staff using the English interface"),
    )
    categories = LeafCategoriesField(
        label=_("Categories"),
        queryset=leaf_categories(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    is_public = forms.BooleanField(
        label=_("Public"), required=False, initial=True, help_text=_("may be read out to citizens")
    )

    @classmethod
    def initial_from(cls, article: KnowledgeArticle) -> dict[str, Any]:
        return {
            "title": article.title,
            "body": article.body,
            "title_en": article.title_en,
            "body_en": article.body_en,
            "categories": list(article.categories.all()),
            "valid_from": article.valid_from,
            "valid_until": article.valid_until,
            "is_public": article.is_public,
        }

    def article_data(self) -> ArticleData:
        data = self.cleaned_data
        return ArticleData(
            title=data["title"],
            body=data["body"],
            title_en=data["title_en"],
            body_en=data["body_en"],
            categories=list(data["categories"]),
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            is_public=data["is_public"],
        )


PUBLIC_FORM_SALT = "intake.public_submit"


def public_form_token() -> str:
    """Signed when the form is rendered: when it was shown, and the submission's idempotency key."""
    return signing.dumps({"at": int(time.time()), "key": uuid.uuid4().hex}, salt=PUBLIC_FORM_SALT)


class PublicSubmitForm(forms.Form):
    """A citizen's request through the website: no login, so guarded against bots."""

    token = forms.CharField(widget=forms.HiddenInput)
    # Honeypot: hidden from people by CSS, filled in by naive bots.
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    kind = forms.ChoiceField(label=_("What kind of request is it?"), choices=[("", "---------"), *Kind.choices])
    topic = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Category.objects.filter(level=1, is_active=True).order_by("code"),
        required=False,
    )
    category = ShortLeafCategoryField(
        label=_("Matter"),
        queryset=leaf_categories(),
        widget=DataSelect(
            option_data=lambda category: {"parent": category.parent.parent_id}, attrs={"data-chain": "id_topic"}
        ),
    )
    description = forms.CharField(
        label=_("Describe your request"), max_length=2000, widget=forms.Textarea(attrs={"rows": 6})
    )
    phone = forms.CharField(
        label=_("Your phone number"),
        max_length=32,
        help_text=_("We call you back on it; you also need its last four digits to follow your request."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    name = forms.CharField(label=_("Your name"), max_length=64, required=False)
    confidential = forms.BooleanField(label=_("Keep my name and number confidential"), required=False)
    sms_opt_out = forms.BooleanField(label=_("Do not text me the result or a survey"), required=False)
    district = forms.ModelChoiceField(label=_("District"), queryset=districts(), required=False)
    street = _street_field()
    address = forms.CharField(label=_("Community / address"), max_length=200, required=False)

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"])

    def clean_token(self) -> dict[str, Any]:
        try:
            token = signing.loads(
                self.cleaned_data["token"], salt=PUBLIC_FORM_SALT, max_age=settings.HOTLINE_PUBLIC_FORM_MAX_AGE
            )
        except signing.BadSignature as error:  # also SignatureExpired
            raise forms.ValidationError(_("The form has expired. Please send it again."), code="expired") from error
        if time.time() - token["at"] < settings.HOTLINE_PUBLIC_MIN_FILL_SECONDS:
            raise forms.ValidationError(
                _("That was very fast. Please check your request and send it again."), code="too_fast"
            )
        return token

    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def new_ticket(self) -> NewTicket:
        data = self.cleaned_data
        return NewTicket(
            channel=Channel.WEB,
            kind=data["kind"],
            category=data["category"],
            description=data["description"],
            phone=data["phone"],
            caller_name=data["name"],
            confidential=data["confidential"],
            sms_opt_out=data["sms_opt_out"],
            district=data["district"],
            street=data["street"],
            address=data["address"],
        )


class PublicStatusForm(forms.Form):
    number = forms.CharField(label=_("Tracking number"), max_length=16)
    phone_last4 = forms.RegexField(
        label=_("Last four digits of your phone number"),
        regex=r"^\d{4}$",
        max_length=4,
        error_messages={"invalid": _("Enter four digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class ProactiveTicketForm(forms.Form):
    """A proactive ticket by hand: a template (optional) prefills the category and the note."""

    template = forms.ChoiceField(
        label=_("Template"),
        required=False,
        choices=[("", _("None")), *((t.code, t.name) for t in TEMPLATES)],
        help_text=_("Prefills the category and the note where they are left empty."),
    )
    place = forms.CharField(
        label=_("Place"),
        max_length=200,
        help_text=_("A district, a street/township or an address, e.g. 朝阳区 望京街道 望京西园"),
    )
    category = LeafCategoryField(label=_("Category"), queryset=leaf_categories(), required=False)
    note = forms.CharField(
        label=_("What to check or do"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        template = TEMPLATES_BY_CODE.get(data.get("template") or "")
        if template is not None:
            if not data.get("category"):
                data["category"] = Category.objects.filter(code=template.category_code).first()
            if not (data.get("note") or "").strip():
                data["note"] = str(template.note)
        if not data.get("category"):
            self.add_error("category", _("Choose a category or a template."))
        if not (data.get("note") or "").strip():
            self.add_error("note", _("Write what to check or do."))
        return data

    @staticmethod
    def initial_for(code: str) -> dict[str, Any]:
        """The form prefilled from a template (a link per template: no script needed)."""
        template = TEMPLATES_BY_CODE.get(code)
        if template is None:
            return {}
        category = Category.objects.filter(code=template.category_code).first()
        return {"template": template.code, "category": category, "note": str(template.note)}

    def risk_point(self) -> RiskPoint:
        data = self.cleaned_data
        return RiskPoint(place=data["place"], category=data["category"], note=data["note"])


class ProactiveImportForm(forms.Form):
    file = forms.FileField(
        label=_("List of risk points (CSV)"),
        help_text=_("UTF-8 CSV with the header place,category,note: one risk point a line, the category by its code."),
    )
