"""Topic pages (每月一题): the register, adopting (from a candidate line or by hand), a topic's page
with its volume before and after, rates, measures and progress timeline, and its actions.

Thin: check access (404 for anyone without it), call a selector or a service, render.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hotline.errors import DomainError
from hotline.forms import apply_domain_error
from hotline.models import Category, Unit
from hotline.permissions import require
from hotline.roles import PROACTIVE_ROLES, holds
from topics import selectors, services
from topics.forms import MeasureForm, ProactiveForm, ProgressForm, StatusForm, TopicForm
from topics.models import Topic, TopicSource
from topics.services import PLACE_KINDS

TOPICS_PER_PAGE = 30


@require_GET
def topic_list(request: HttpRequest) -> HttpResponse:
    topics = selectors.visible_topics(user=request.user)
    page = Paginator(topics, TOPICS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "topics/topic_list.html",
        {"page": page, "can_adopt": selectors.can_administer(user=request.user)},
    )


def _prefill(request: HttpRequest) -> dict[str, Any]:
    """The form's start from a candidate or hot-spot line: ?category=&street=&source=."""
    initial: dict[str, Any] = {"month": timezone.localdate().replace(day=1), "source": TopicSource.MANUAL}
    category_id, street_id = request.GET.get("category", ""), request.GET.get("street", "")
    category = Category.objects.filter(pk=category_id).first() if category_id.isdecimal() else None
    street = (
        Unit.objects.filter(pk=street_id, kind__in=PLACE_KINDS).select_related("parent").first()
        if street_id.isdecimal()
        else None
    )
    if category is not None:
        initial.update(categories=[category], keywords=category.name, title=category.label)
    if street is not None:
        initial.update(places=[street], lead_unit=street)
        if category is not None:
            initial["title"] = f"{street.label}{category.label}"
    source = request.GET.get("source", "")
    if source in TopicSource.values:
        initial["source"] = source
    return initial


@require_http_methods(["GET", "POST"])
def topic_create(request: HttpRequest) -> HttpResponse:
    """Adopt a topic (city admins); from a candidate or hot spot the rule comes prefilled."""
    require(selectors.can_administer(user=request.user))
    form = TopicForm(request.POST or None, initial=_prefill(request))
    if request.method == "POST" and form.is_valid():
        try:
            topic = services.adopt_topic(actor=request.user, data=form.topic_input())
        except DomainError as error:
            apply_domain_error(request, error, form=form)
        else:
            messages.success(request, _("Topic adopted: its tickets are linked."))
            return redirect("topics:detail", topic.pk)
    return render(request, "topics/topic_form.html", {"form": form, "topic": None})


@require_http_methods(["GET", "POST"])
def topic_edit(request: HttpRequest, topic_id: int) -> HttpResponse:
    require(selectors.can_administer(user=request.user))
    topic = selectors.topic_for(user=request.user, topic_id=topic_id)
    form = TopicForm(request.POST or None, initial=TopicForm.initial_of(topic))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_topic(actor=request.user, topic_id=topic.pk, data=form.topic_input())
        except DomainError as error:
            apply_domain_error(request, error, form=form)
        else:
            messages.success(request, _("Topic saved: its tickets are relinked."))
            return redirect("topics:detail", topic.pk)
    return render(request, "topics/topic_form.html", {"form": form, "topic": topic})


def _chart(labels: list[str], series: list[tuple[str, list]], **options: Any) -> dict[str, Any]:
    data = [{"label": str(label), "data": values} for label, values in series]
    return {"type": "bar", "labels": labels, "series": data, **options}


def _detail(request: HttpRequest, topic: Topic, **forms_given: forms.Form) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    volume = selectors.topic_volume(topic=topic, today=today)
    rates = selectors.topic_rates(topic=topic, today=today)
    is_admin = selectors.can_administer(user=user)
    can_post = is_admin or selectors.posting_unit(user=user, topic=topic) is not None
    may_create_proactive = holds(user=user, roles=PROACTIVE_ROLES)
    context: dict[str, Any] = {
        "topic": topic,
        "volume": volume,
        "rates": rates,
        "is_admin": is_admin,
        "measures": topic.measures.all(),
        "timeline": topic.progress.all(),
        "chart": _chart(
            [f"{month.month:%Y-%m}" for month in volume.months],
            [
                (_("Before the topic"), [None if month.after else month.count for month in volume.months]),
                (_("Since the topic"), [month.count if month.after else None for month in volume.months]),
            ],
            stacked=True,
        ),
        "progress_form": forms_given.get("progress_form") or (ProgressForm(topic=topic) if can_post else None),
        "measure_form": forms_given.get("measure_form") or (MeasureForm(prefix="measure") if is_admin else None),
        "status_form": forms_given.get("status_form") or (StatusForm(topic=topic) if is_admin else None),
        "proactive_form": forms_given.get("proactive_form")
        or (ProactiveForm(topic=topic, prefix="proactive") if may_create_proactive else None),
    }
    return render(request, "topics/topic_detail.html", context)


@require_GET
def topic_detail(request: HttpRequest, topic_id: int) -> HttpResponse:
    return _detail(request, selectors.topic_for(user=request.user, topic_id=topic_id))


@require_POST
def topic_progress(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = selectors.topic_for(user=request.user, topic_id=topic_id)
    require(selectors.can_post_progress(user=request.user, topic=topic))
    form = ProgressForm(request.POST, request.FILES, topic=topic)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.post_progress(
                actor=request.user,
                topic_id=topic.pk,
                text=data["text"],
                measure_id=data["measure"].pk if data["measure"] else None,
                measure_done=data["measure_done"],
                files=data["files"],
            )
        except DomainError as error:
            apply_domain_error(request, error, form=form)
        else:
            messages.success(request, _("Progress posted."))
            return redirect("topics:detail", topic.pk)
    return _detail(request, topic, progress_form=form)


@require_POST
def topic_measure(request: HttpRequest, topic_id: int) -> HttpResponse:
    require(selectors.can_administer(user=request.user))
    topic = selectors.topic_for(user=request.user, topic_id=topic_id)
    form = MeasureForm(request.POST, prefix="measure")
    if form.is_valid():
        try:
            services.add_measure(actor=request.user, topic_id=topic.pk, **form.cleaned_data)
        except DomainError as error:
            apply_domain_error(request, error, form=form)
        else:
            messages.success(request, _("Measure added."))
            return redirect("topics:detail", topic.pk)
    return _detail(request, topic, measure_form=form)


@require_POST
def topic_status(request: HttpRequest, topic_id: int) -> HttpResponse:
    require(selectors.can_administer(user=request.user))
    topic = selectors.topic_for(user=request.user, topic_id=topic_id)
    form = StatusForm(request.POST, topic=topic)
    if form.is_valid():
        try:
            services.change_status(actor=request.user, topic_id=topic.pk, status=form.cleaned_data["status"])
        except DomainError as error:
            apply_domain_error(request, error, form=form)
        else:
            messages.success(request, _("Status changed."))
            return redirect("topics:detail", topic.pk)
    return _detail(request, topic, status_form=form)


@require_POST
def topic_relink(request: HttpRequest, topic_id: int) -> HttpResponse:
    require(selectors.can_administer(user=request.user))
    topic = selectors.topic_for(user=request.user, topic_id=topic_id)
    result = services.relink_topic(topic_id=topic.pk)
    messages.success(
        request,
        _("Tickets relinked: %(added)s added, %(removed)s removed.")
        % {"added": result.added, "removed": result.removed},
    )
    return redirect("topics:detail", topic.pk)


@require_POST
def topic_proactive(request: HttpRequest, topic_id: int) -> HttpResponse:
    """Proactive work orders (未诉先办) for the topic's places, one per place."""
    require(holds(user=request.user, roles=PROACTIVE_ROLES))
    topic = selectors.topic_for(user=request.user, topic_id=topic_id)
    form = ProactiveForm(request.POST, topic=topic, prefix="proactive")
    if form.is_valid():
        try:
            tickets = services.create_proactive_tickets(
                actor=request.user,
                topic_id=topic.pk,
                category=form.cleaned_data["category"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            apply_domain_error(request, error, form=form)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s proactive ticket queued for dispatch.",
                    "%(count)s proactive tickets queued for dispatch.",
                    len(tickets),
                )
                % {"count": len(tickets)},
            )
            return redirect("topics:detail", topic.pk)
    return _detail(request, topic, proactive_form=form)


@require_GET
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """A progress photo or document, for whoever sees the topic (media files are not public)."""
    found = selectors.attachment_for(user=request.user, attachment_id=attachment_id)
    return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)
