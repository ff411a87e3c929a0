"""HTML pages of dispatch: the unit workbench, supervision, the dispatcher's queue and reviews,
the dispatch catalogue. Thin: read through selectors, write through services; a DomainError is
shown by hotline.forms.apply_domain_error, and whatever the user may not see is a 404
(hotline.permissions.require).
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dispatch import advice, feedback, permissions, selectors, services, steps
from dispatch.filters import AssignmentFilter, QueueFilter
from dispatch.forms import (
    CatalogueFilterForm,
    ConfirmForm,
    Decision,
    DispatchForm,
    DistrictExtensionDecisionForm,
    DistrictReturnDecisionForm,
    ExtensionDecisionForm,
    ExtensionForm,
    FeedbackTemplateForm,
    FirstContactForm,
    MergeForm,
    ProgressForm,
    ReplyForm,
    ReturnDecisionForm,
    ReturnForm,
    RoutingRuleForm,
    SubdispatchForm,
    SuperviseForm,
    WhistleForm,
)
from dispatch.models import Assignment, AssignmentStatus, ReplyOutcome, ReturnRequest, ReviewStatus, RoutingRule
from dispatch.selectors import Live, Tab
from dispatch.steps import StepName
from hotline.errors import DomainError
from hotline.forms import apply_domain_error
from hotline.models import User
from hotline.permissions import not_found, require
from hotline.roles import WORKBENCH_ROLES, user_roles
from hotline.selectors import is_hotline_staff
from hotline.widgets import suggest
from intake import selectors as intake_selectors
from intake import services as intake_services
from intake.lifecycle import Status
from intake.models import Ticket
from intake.phones import mask_name, mask_phone

PAGE_SIZE = 50
SUPERVISION_LIST_SIZE = 200


def _may_use_workbench(user: User) -> bool:
    return is_hotline_staff(user=user) or bool(user_roles(user=user) & WORKBENCH_ROLES)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# The unit workbench


@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    require(_may_use_workbench(request.user))
    tab = request.GET.get("tab") or Tab.TO_SIGN
    tabs = selectors.workbench_tabs(user=request.user)
    require(tab in tabs)
    params = request.GET.copy()
    params.pop("tab", None)
    params.pop("page", None)
    filterset = AssignmentFilter(params, queryset=selectors.inbox(user=request.user, tab=tab), request=request)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_reference_rows(list(page.object_list))
    counts = selectors.tab_counts(user=request.user)
    return render(
        request,
        "dispatch/workbench.html",
        {
            "tab": tab,
            "tabs": [(shown.value, shown.label, counts.get(shown.value)) for shown in tabs],
            "filter": filterset,
            "page": page,
            "query": _query_without_page(request),
            "now": timezone.now(),
            "can_sign": bool(permissions.acting_unit_ids(user=request.user)),
        },
    )


@require_POST
def bulk_sign(request: HttpRequest) -> HttpResponse:
    require(bool(permissions.acting_unit_ids(user=request.user)))
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    if not ids:
        messages.error(request, _("Select the tickets to sign."))
        return redirect("dispatch:workbench")
    result = services.bulk_sign(assignment_ids=ids, actor=request.user)
    if result.done:
        messages.success(request, _("Signed %(count)s tickets.") % {"count": len(result.done)})
    for failure in result.failed:
        messages.error(request, f"#{failure['id']}: {failure['message']}")
    return redirect("dispatch:workbench")


# The sections of the assignment page's action panel, and the steps (dispatch/steps.py) each offers.
PANEL_SECTIONS: dict[str, frozenset[StepName]] = {
    "sign": frozenset({StepName.SIGN, StepName.ASSIST_SIGN, StepName.SUB_SIGN}),
    "request_return": frozenset({StepName.REQUEST_RETURN, StepName.SUB_REQUEST_RETURN}),
    "contact": frozenset({StepName.RECORD_CONTACT}),
    "phone": frozenset({StepName.REVEAL_PHONE}),
    "description": frozenset({StepName.REVEAL_DESCRIPTION}),
    "progress": frozenset({StepName.ADD_PROGRESS}),
    "extension": frozenset({StepName.REQUEST_EXTENSION}),
    "whistle": frozenset({StepName.WHISTLE}),
    "reply": frozenset({StepName.REPLY, StepName.ASSIST_REPLY, StepName.SUB_REPLY}),
    "subdispatch": frozenset({StepName.SUBDISPATCH}),
    "supervise": frozenset({StepName.SUPERVISE}),
}


def _redacted_any(ticket: Ticket) -> bool:
    """Whether unit staff read any of the ticket's text redacted."""
    texts = (ticket.title, ticket.description, ticket.address)
    return any(intake_selectors.without_identity(text, ticket=ticket) != text for text in texts)


STEP_FORMS: dict[str, type[forms.Form]] = {
    "contact": FirstContactForm,
    "progress": ProgressForm,
    "return": ReturnForm,
    "extension": ExtensionForm,
    "whistle": WhistleForm,
    "reply": ReplyForm,
    "supervise": SuperviseForm,
    "subdispatch": SubdispatchForm,
    # The district's reply to the hotline, edited from its unit's (its "as it is" has no form).
    "confirm": ConfirmForm,
    # The district's decisions on the requests of a unit it passed its ticket down to.
    "decide_return": DistrictReturnDecisionForm,
    "decide_extension": DistrictExtensionDecisionForm,
}
STEPS_WITHOUT_FORM = frozenset({"sign", "confirm_as_is"})
# Their refusals all stay on the form, which the page shows again with what was typed.
DISTRICT_FORMS = frozenset({"subdispatch", "confirm", "decide_return", "decide_extension"})


def _flag(step: str) -> str:
    return {"return": "request_return"}.get(step, step)


def _levels(assignments: list[Assignment]) -> list[tuple[Assignment, list[Assignment]]]:
    """The ticket's assignments by level: each one the hotline dispatched, with those its district
    passed the ticket down to; leads first, then in dispatch order."""
    below: dict[int, list[Assignment]] = {}
    assignments = sorted(assignments, key=lambda item: (not item.is_lead, item.dispatched_at, item.pk))
    for item in assignments:
        if item.parent_id is not None:
            below.setdefault(item.parent_id, []).append(item)
    return [(item, below.get(item.pk, [])) for item in assignments if item.parent_id is None]


def _pending(requests: Any) -> Any:
    return next((item for item in requests.all() if item.status == ReviewStatus.PENDING), None)


def _district_panel(request: HttpRequest, assignment: Assignment, panel: dict[str, bool]) -> dict[str, Any]:
    """The district sub-centre's part of the page: on the district's assignment, the unit it passed
    the ticket down to and that unit's reply to confirm; on that unit's, the district's decisions
    on its pending requests. Sets the panel's flags; returns the template's context."""
    user = request.user
    sub_lead = steps.passed_down_lead(assignment)
    # The district's reply is its unit's, confirmed or edited; until the unit replies, none.
    panel["confirm"] = panel["reply"] and sub_lead is not None and sub_lead.status == AssignmentStatus.REPLIED
    panel["reply"] = panel["reply"] and not panel["confirm"]
    refusal = selectors.step_refusal(user=user, assignment=assignment, step=StepName.REPLY)
    panel["sub_reply_pending"] = refusal is not None and refusal.code == "sub_reply_pending"
    decides = assignment.parent is not None and assignment.parent.unit_id in permissions.acting_unit_ids(user=user)
    pending_return = _pending(assignment.return_requests) if decides else None
    pending_extension = _pending(assignment.extension_requests) if decides else None
    # A request the district passed up to the hotline is the hotline's to decide now.
    if pending_extension is not None and pending_extension.passed_up_to_id is not None:
        pending_extension = None
    panel["decide_return"] = pending_return is not None
    panel["decide_extension"] = pending_extension is not None and assignment.is_live
    district_id = assignment.unit_id if panel["subdispatch"] else assignment.parent.unit_id if decides else None
    return {
        "sub_lead": sub_lead,
        "pending_return": pending_return,
        "pending_extension": pending_extension,
        "district_id": district_id,
    }


def _unbound_form(name: str, assignment: Assignment, district: dict[str, Any]) -> forms.Form:
    if name == "confirm":
        sub_lead = district["sub_lead"]
        return ConfirmForm(
            initial={"text": sub_lead.reply, "outcome": sub_lead.outcome, "explanation": sub_lead.explanation}
        )
    if name == "decide_return":
        return DistrictReturnDecisionForm(initial={"request": district["pending_return"].pk})
    if name == "decide_extension":
        return DistrictExtensionDecisionForm(initial={"request": district["pending_extension"].pk})
    return STEP_FORMS[name]()


def _assignment_page(
    request: HttpRequest, pk: int, *, bound: dict[str, forms.Form] | None = None, status: int = 200, **extra: Any
) -> HttpResponse:
    try:
        assignment = selectors.assignment_detail(user=request.user, assignment_id=pk)
    except Assignment.DoesNotExist:
        raise not_found() from None
    available = set(selectors.available_steps(user=request.user, assignment=assignment))
    panel = {section: bool(available & offered) for section, offered in PANEL_SECTIONS.items()}
    # The full description is offered only when the unit reads some of it redacted.
    panel["description"] = panel["description"] and _redacted_any(assignment.ticket)
    district = _district_panel(request, assignment, panel)
    step_forms = {name: _unbound_form(name, assignment, district) for name in STEP_FORMS if panel[_flag(name)]}
    step_forms.update(bound or {})
    if district["district_id"] is not None:
        # The catalogue's suggestions, kept to the district's units (not the one returning it).
        suggestions = selectors.suggestions_within(
            ticket=assignment.ticket,
            district_id=district["district_id"],
            excluding=[assignment.unit_id] if panel["decide_return"] else [],
        )
        district["suggestions"] = suggestions
        for name, fields in (("subdispatch", ["lead", "assisting"]), ("decide_return", ["redispatch_to"])):
            if name in step_forms:
                suggest(step_forms[name], units=[s.unit for s in suggestions], fields=fields)
    caller = assignment.ticket.caller
    assignments = list(assignment.ticket.assignments.all())
    return render(
        request,
        "dispatch/assignment.html",
        {
            "assignment": assignment,
            "ticket": assignment.ticket,
            "levels": _levels(assignments) if len(assignments) > 1 else [],
            "panel": panel,
            "forms": step_forms,
            "district": district,
            # Under the district's assignment, its staff follow links to the units it passed it down to.
            "acting_unit_ids": permissions.acting_unit_ids(user=request.user),
            "caller_phone": mask_phone(caller.phone) if caller else "",
            "caller_name": mask_name(caller.name) if caller else "",
            "now": timezone.now(),
            **extra,
        },
        status=status,
    )


@require_GET
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _assignment_page(request, pk)


def _run_step(step: str, user: User, pk: int, data: dict) -> tuple[str, int]:
    """Call the service of one step; returns the success message and the assignment to show next."""
    if step == "sign":
        services.sign(assignment_id=pk, actor=user)
        return _("Signed. The handling deadline is running."), pk
    if step == "contact":
        services.record_first_contact(assignment_id=pk, actor=user, note=data["note"])
        return _("First contact recorded."), pk
    if step == "progress":
        services.add_progress(assignment_id=pk, actor=user, text=data["text"], files=data["files"])
        return _("Progress recorded."), pk
    if step == "return":
        returned = services.request_return(
            assignment_id=pk, actor=user, reason=data["reason"], legal_basis=data["legal_basis"], note=data["note"]
        )
        if returned.assignment.parent_id is not None:
            return _("Return requested. The district will review it."), pk
        return _("Return requested. The hotline will review it."), pk
    if step == "extension":
        extension = services.request_extension(
            assignment_id=pk, actor=user, extra_days=data["extra_days"], reason=data["reason"]
        )
        if extension.assignment.parent_id is not None:
            return _("Extension requested. The district will review it."), pk
        return _("Extension requested. The hotline will review it."), pk
    if step == "whistle":
        services.whistle(assignment_id=pk, actor=user, unit_ids=[u.pk for u in data["units"]], note=data["note"])
        return _("The departments have been summoned."), pk
    if step == "reply":
        services.reply(
            assignment_id=pk, actor=user, text=data["text"], outcome=data["outcome"], explanation=data["explanation"]
        )
        return _("Reply sent."), pk
    if step in DISTRICT_FORMS or step == "confirm_as_is":
        return _run_district_step(step, user, pk, data)
    services.supervise(assignment_id=pk, actor=user, comment=data["comment"])
    return _("Supervision sent to the unit."), pk


def _run_district_step(step: str, user: User, pk: int, data: dict) -> tuple[str, int]:
    """The district sub-centre's steps: pass down, confirm its unit's reply, decide its unit's requests."""
    if step == "subdispatch":
        created = services.subdispatch(
            assignment_id=pk,
            actor=user,
            lead_unit_id=data["lead"].pk,
            assist_unit_ids=[unit.pk for unit in data["assisting"]],
            note=data["note"],
            due_at=data["due_at"],
            override_reason=data["override_reason"],
        )
        return _("Passed down to %(unit)s.") % {"unit": created[0].unit.label}, pk
    if step == "confirm_as_is":
        services.confirm_reply(assignment_id=pk, actor=user)
        return _("The unit's reply was confirmed and sent to the hotline."), pk
    if step == "confirm":
        services.confirm_reply(
            assignment_id=pk, actor=user, text=data["text"], outcome=data["outcome"], explanation=data["explanation"]
        )
        return _("The reply was sent to the hotline."), pk
    if step == "decide_return":
        approve = data["decision"] == Decision.APPROVE
        decided = services.decide_return(
            return_request_id=data["request"],
            actor=user,
            approve=approve,
            note=data["note"],
            redispatch_to_id=data["redispatch_to"].pk if data["redispatch_to"] else None,
            override_reason=data["override_reason"],
        )
        if not approve:
            return _("Return rejected."), pk
        # The ticket is back with the district: its page, to pass the ticket down again.
        return _("Return approved."), decided.assignment.parent_id or pk
    decision = data["decision"]
    services.decide_extension(
        extension_request_id=data["request"],
        actor=user,
        approve=decision == Decision.APPROVE,
        note=data["note"],
        pass_up=decision == Decision.PASS_UP,
    )
    messages_by_decision = {
        Decision.APPROVE: _("Extension approved."),
        Decision.REJECT: _("Extension denied."),
        Decision.PASS_UP: _("The extension request was passed up to the hotline."),
    }
    return messages_by_decision[decision], pk


@require_POST
def assignment_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    require(step in STEPS_WITHOUT_FORM or step in STEP_FORMS)
    form = STEP_FORMS[step](request.POST, request.FILES) if step in STEP_FORMS else None
    if form is not None and not form.is_valid():
        return _assignment_page(request, pk, bound={step: form}, status=400)
    try:
        done, shown = _run_step(step, request.user, pk, form.cleaned_data if form else {})
    except DomainError as error:
        apply_domain_error(request, error, form=form)
        if form is not None:
            return _assignment_page(request, pk, bound={step: form}, status=400)
        return redirect("dispatch:assignment", pk=pk)
    messages.success(request, done)
    return redirect("dispatch:assignment", pk=shown)


def _revealed_page(request: HttpRequest, pk: int, reveal: Callable[..., object], shown_as: str) -> HttpResponse:
    """The assignment page with personal data shown once: never in a redirect or message (which
    would store it), and not cached."""
    try:
        revealed = reveal(assignment_id=pk, actor=request.user)
    except DomainError as error:
        apply_domain_error(request, error)
        return redirect("dispatch:assignment", pk=pk)
    response = _assignment_page(request, pk, **{shown_as: revealed})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def caller_phone(request: HttpRequest, pk: int) -> HttpResponse:
    return _revealed_page(request, pk, services.reveal_caller_phone, "revealed_phone")


@require_POST
def description(request: HttpRequest, pk: int) -> HttpResponse:
    return _revealed_page(request, pk, services.reveal_description, "revealed")


@require_GET
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    found = selectors.attachment_for(user=request.user, attachment_id=pk)
    require(found is not None)
    return FileResponse(
        found.file.open("rb"),
        as_attachment=not found.is_image,
        filename=found.name,
        content_type=found.content_type,
    )


@require_GET
def supervision(request: HttpRequest) -> HttpResponse:
    """Overdue and due-soon work per unit, for unit leaders, district supervisors and the hotline;
    ?unit=<id>&show=open|due_soon|overdue lists that unit's live tickets, each with 督办."""
    require(permissions.can_read_overview(user=request.user))
    rows = selectors.supervision_counts(user=request.user)
    context: dict[str, Any] = {"rows": rows, "now": timezone.now(), "shows": Live.choices}
    unit_id = request.GET.get("unit", "")
    if unit_id.isdigit():
        # Only a unit with live work in the user's scope has a row, so this also keeps other units out.
        unit = next((row for row in rows if row["unit_id"] == int(unit_id)), None)
        require(unit is not None)
        show = request.GET.get("show") or Live.OVERDUE
        require(show in Live.values)
        tickets = selectors.with_reference_rows(
            list(selectors.live_tickets(user=request.user, unit_id=unit["unit_id"], show=show)[:SUPERVISION_LIST_SIZE])
        )
        context.update(
            unit=unit,
            show=show,
            tickets=tickets,
            can_supervise=permissions.can_supervise(user=request.user, unit_id=unit["unit_id"]),
        )
    else:
        context.update(
            overdue=selectors.with_reference_rows(list(selectors.inbox(user=request.user, tab=Tab.OVERDUE)[:100])),
            due_soon=selectors.with_reference_rows(list(selectors.inbox(user=request.user, tab=Tab.DUE_SOON)[:100])),
        )
    return render(request, "dispatch/supervision.html", context)


@require_POST
def supervise(request: HttpRequest, pk: int) -> HttpResponse:
    """督办 in one click from supervision's list of a unit's tickets, or from the district's list of
    the tickets it passed down: the comment typed, or a standard one; back to the same list."""
    comment = request.POST.get("comment", "").strip() or _("Please handle this ticket without delay and reply in time.")
    try:
        services.supervise(assignment_id=pk, actor=request.user, comment=comment)
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        messages.success(request, _("Supervision sent to the unit."))
    if request.POST.get("tab") == Tab.PASSED_DOWN:  # from the district's workbench: back to its tab
        return redirect(f"{reverse('dispatch:workbench')}?{urlencode({'tab': Tab.PASSED_DOWN})}")
    unit, show = request.POST.get("unit", ""), request.POST.get("show", "")
    if not (unit.isdigit() and show in Live.values):
        return redirect("dispatch:supervision")
    return redirect(f"{reverse('dispatch:supervision')}?{urlencode({'unit': unit, 'show': show})}")


# The dispatcher


def _require_dispatcher(request: HttpRequest) -> None:
    require(permissions.can_dispatch(user=request.user))


@require_http_methods(["GET", "POST"])
def queue(request: HttpRequest) -> HttpResponse:
    """Tickets awaiting dispatch with suggestions; POST dispatches the checked ones at once."""
    _require_dispatcher(request)
    if request.method == "POST":
        items = [
            services.DispatchItem(ticket_id=int(ticket_id), lead_unit_id=int(request.POST.get(f"lead_{ticket_id}")))
            for ticket_id in request.POST.getlist("tickets")
            if ticket_id.isdigit() and (request.POST.get(f"lead_{ticket_id}") or "").isdigit()
        ]
        if not items:
            messages.error(request, _("Select tickets that have a unit chosen."))
        else:
            result = services.bulk_dispatch(items=items, actor=request.user)
            if result.done:
                messages.success(request, _("Dispatched %(count)s tickets.") % {"count": len(result.done)})
            for failure in result.failed:
                messages.error(request, f"#{failure['id']}: {failure['message']}")
        return redirect(request.get_full_path())
    filterset = QueueFilter(request.GET, queryset=selectors.dispatch_queue())
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    suggestions = selectors.suggestions(tickets=list(page))
    read = advice.top_categories(tickets=list(page))
    rows = [(ticket, suggestions[ticket.pk], read[ticket.pk]) for ticket in page]
    return render(
        request,
        "dispatch/queue.html",
        {"filter": filterset, "page": page, "rows": rows, "query": _query_without_page(request)},
    )


@require_http_methods(["GET", "POST"])
def dispatch_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    _require_dispatcher(request)
    ticket = get_object_or_404(
        Ticket.objects.select_related("category__parent__parent", "caller", "district", "street"), pk=pk
    )
    suggestions = selectors.suggestions(tickets=[ticket])[ticket.pk]
    routes = advice.ticket_routes(ticket=ticket)
    awaiting = ticket.status == Status.AWAITING_DISPATCH
    if request.method == "POST":
        form = DispatchForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.dispatch_ticket(
                    ticket_id=ticket.pk,
                    lead_unit_id=data["lead_unit"].pk,
                    assist_unit_ids=[unit.pk for unit in data["assist_units"]],
                    actor=request.user,
                    note=data["note"],
                    override_reason=data["override_reason"],
                )
            except DomainError as error:
                # The page shows the form only while the ticket awaits dispatch, read again: another
                # dispatcher may have dispatched or merged it meanwhile (then the refusal is a message).
                ticket.refresh_from_db(fields=["status"])
                awaiting = ticket.status == Status.AWAITING_DISPATCH
                apply_domain_error(request, error, form=form if awaiting else None)
            else:
                messages.success(
                    request,
                    _("Ticket %(number)s dispatched to %(unit)s.")
                    % {"number": ticket.number, "unit": data["lead_unit"]},
                )
                return redirect("dispatch:queue")
    else:
        form = DispatchForm(initial={"lead_unit": suggestions[0].unit.pk if suggestions else None})
    # The catalogue's units for the recorded category, then for what the classifier reads instead.
    other_readings = [route.units[0].unit for route in routes if not route.is_recorded and route.units]
    suggest(form, units=[s.unit for s in suggestions] + other_readings, fields=["lead_unit", "assist_units"])
    return render(
        request,
        "dispatch/dispatch_ticket.html",
        {
            "ticket": ticket,
            "suggestions": suggestions,
            "routes": routes,
            "form": form,
            "awaiting": awaiting,
            # Offered instead of a new dispatch (DESIGN.md §4): the same selector as the agent desk.
            "candidates": intake_selectors.ticket_repeat_candidates(ticket=ticket) if awaiting else [],
        },
        status=400 if form.errors else 200,
    )


@require_POST
def merge_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge a ticket awaiting dispatch into one of its repeat candidates, through intake's merge;
    refused merges (the parent closed, the ticket dispatched or merged meanwhile) change nothing."""
    _require_dispatcher(request)
    ticket = get_object_or_404(Ticket, pk=pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["parent"][0])
        return redirect("dispatch:dispatch_ticket", pk=ticket.pk)
    parent = form.cleaned_data["parent"]
    try:
        intake_services.merge_into(ticket_id=ticket.pk, parent_id=parent.pk, actor=request.user)
    except DomainError as error:
        apply_domain_error(request, error)
        return redirect("dispatch:dispatch_ticket", pk=ticket.pk)
    messages.success(
        request,
        _("Ticket %(number)s merged into ticket %(parent)s.") % {"number": ticket.number, "parent": parent.number},
    )
    return redirect("dispatch:queue")


@require_GET
def returns(request: HttpRequest) -> HttpResponse:
    _require_dispatcher(request)
    return render(
        request,
        "dispatch/returns.html",
        {
            "requests": selectors.pending_returns(user=request.user)[:200],
            "extensions": selectors.pending_extensions()[:200],
        },
    )


@require_http_methods(["GET", "POST"])
def return_review(request: HttpRequest, pk: int) -> HttpResponse:
    _require_dispatcher(request)
    found = get_object_or_404(
        ReturnRequest.objects.select_related(
            "requested_by",
            "assignment__unit",
            "assignment__ticket__category__parent__parent",
            "assignment__ticket__district",
            "assignment__ticket__street",
        ),
        pk=pk,
    )
    require(permissions.can_review_return(user=request.user, late=found.needs_supervisor))
    ticket = found.assignment.ticket
    if request.method == "POST":
        form = ReturnDecisionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            approve = data["decision"] == Decision.APPROVE
            try:
                services.decide_return(
                    return_request_id=found.pk,
                    actor=request.user,
                    approve=approve,
                    note=data["note"],
                    redispatch_to_id=data["redispatch_to"].pk if data["redispatch_to"] else None,
                    override_reason=data["override_reason"],
                )
            except DomainError as error:
                # The page shows the form only while the request is pending, read again: another
                # reviewer may have decided it meanwhile (then the refusal is a message).
                found.refresh_from_db(fields=["status"])
                pending = found.status == ReviewStatus.PENDING
                apply_domain_error(request, error, form=form if pending else None)
            else:
                messages.success(request, _("Return approved.") if approve else _("Return rejected."))
                return redirect("dispatch:returns")
    else:
        form = ReturnDecisionForm()
    suggestions = [
        s for s in selectors.suggestions(tickets=[ticket])[ticket.pk] if s.unit.pk != found.assignment.unit_id
    ]
    suggest(form, units=[s.unit for s in suggestions], fields=["redispatch_to"])
    return render(
        request,
        "dispatch/return_review.html",
        {"request_": found, "ticket": ticket, "form": form, "suggestions": suggestions},
        status=400 if form.errors else 200,
    )


@require_POST
def extension_decide(request: HttpRequest, pk: int) -> HttpResponse:
    _require_dispatcher(request)
    form = ExtensionDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The input is not valid."))
        return redirect("dispatch:returns")
    approve = form.cleaned_data["decision"] == Decision.APPROVE
    try:
        services.decide_extension(
            extension_request_id=pk, actor=request.user, approve=approve, note=form.cleaned_data["note"]
        )
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        messages.success(request, _("Extension approved.") if approve else _("Extension denied."))
    return redirect("dispatch:returns")


# The dispatch catalogue


def _rule_data(form: RoutingRuleForm) -> services.RuleData:
    return services.RuleData(**form.cleaned_data)


@require_http_methods(["GET", "POST"])
def catalogue(request: HttpRequest) -> HttpResponse:
    _require_dispatcher(request)
    can_edit = permissions.can_edit_catalogue(user=request.user)
    form = RoutingRuleForm(request.POST or None, initial={"valid_from": timezone.localdate()})
    if request.method == "POST":
        require(can_edit)
        if form.is_valid():
            try:
                services.create_rule(data=_rule_data(form), actor=request.user)
            except DomainError as error:
                apply_domain_error(request, error, form=form)
            else:
                messages.success(request, _("Rule added to the dispatch catalogue."))
                return redirect("dispatch:catalogue")
    history = request.GET.get("history") == "1"
    filters = CatalogueFilterForm(request.GET)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    found = selectors.catalogue(
        include_history=history, category=chosen.get("category"), district=chosen.get("district")
    )
    rules = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    filter_query = request.GET.copy()
    for name in ("page", "history"):
        filter_query.pop(name, None)
    return render(
        request,
        "dispatch/catalogue.html",
        {
            "rules": rules,
            "filters": filters,
            "filter_query": filter_query.urlencode(),
            "form": form,
            "can_edit": can_edit,
            "history": history,
            "today": timezone.localdate(),
            "query": _query_without_page(request),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(permissions.can_edit_catalogue(user=request.user))
    rule = get_object_or_404(RoutingRule, pk=pk)
    initial = {name: getattr(rule, name) for name in RoutingRuleForm.base_fields}
    form = RoutingRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_rule(rule_id=rule.pk, data=_rule_data(form), actor=request.user)
        except DomainError as error:
            apply_domain_error(request, error, form=form)
        else:
            messages.success(request, _("Rule saved."))
            return redirect("dispatch:catalogue")
    return render(request, "dispatch/rule_form.html", {"rule": rule, "form": form}, status=400 if form.errors else 200)


@require_POST
def rule_retire(request: HttpRequest, pk: int) -> HttpResponse:
    require(permissions.can_edit_catalogue(user=request.user))
    get_object_or_404(RoutingRule, pk=pk)
    services.retire_rule(rule_id=pk, actor=request.user)
    messages.success(request, _("Rule removed from the dispatch catalogue."))
    return redirect("dispatch:catalogue")


# The caller's reply SMS (双反馈)


def _template_row(template: Any) -> dict[str, Any]:
    try:
        shown = feedback.preview(text=template.text)
    except DomainError as error:  # a row saved before a stricter setting: shown with its problem
        return {"template": template, "preview": None, "problems": error.fields.get("text", [error.message])}
    return {"template": template, "preview": shown, "problems": []}


@require_GET
def feedback_templates(request: HttpRequest) -> HttpResponse:
    require(permissions.can_edit_feedback_templates(user=request.user))
    rows = [_template_row(template) for template in selectors.feedback_templates()]
    context = {"rows": rows, "max_chars": feedback.max_chars(), "link_configured": bool(feedback.status_link())}
    return render(request, "dispatch/feedback_templates.html", context)


@require_http_methods(["GET", "POST"])
def feedback_template_edit(request: HttpRequest, outcome: str) -> HttpResponse:
    require(permissions.can_edit_feedback_templates(user=request.user))
    require(outcome in ReplyOutcome.values)
    template = next((t for t in selectors.feedback_templates() if t.outcome == outcome), None)
    initial = {"text": template.text, "is_active": template.is_active} if template else {"is_active": True}
    form = FeedbackTemplateForm(request.POST or None, initial=initial)
    shown = None
    if request.method == "POST" and form.is_valid():
        text, is_active = form.cleaned_data["text"], form.cleaned_data["is_active"]
        try:
            if "preview" in request.POST:
                shown = feedback.preview(text=text)
            else:
                feedback.update_template(outcome=outcome, text=text, is_active=is_active, actor=request.user)
        except DomainError as error:
            apply_domain_error(request, error, form=form)
        else:
            if shown is None:
                messages.success(request, _("SMS template saved."))
                return redirect("dispatch:feedback_templates")
    context = {
        "form": form,
        "outcome_label": ReplyOutcome(outcome).label,
        "preview": shown,
        "max_chars": feedback.max_chars(),
    }
    return render(request, "dispatch/feedback_template_form.html", context, status=400 if form.errors else 200)
