"""HTML pages of evaluation: the callback queue, the citizen survey, monthly rankings with their
drill-downs and exports, and appeals. Thin: check access, read through selectors, write through
services; whoever may not see a page gets 404 (hotline.permissions.require), and a refusal is shown
by hotline.forms.apply_domain_error.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dispatch.models import ReviewStatus
from evaluation import appeals as appeal_services
from evaluation import callbacks as callback_services
from evaluation import exports, rates, selectors
from evaluation import rankings as ranking_services
from evaluation.filters import AppealFilter, CallbackFilter
from evaluation.forms import (
    AppealForm,
    CallbackForm,
    ComputeForm,
    DecisionForm,
    RecomputeForm,
    SurveyForm,
    parse_month,
)
from evaluation.models import Appeal, Callback, CallbackStatus, MonthlyRanking, UnitResult
from evaluation.rates import Source
from evaluation.selectors import Metric, RankingScope
from hotline.errors import DomainError
from hotline.forms import apply_domain_error
from hotline.models import Unit, UnitKind, User
from hotline.permissions import not_found, require
from hotline.selectors import districts
from intake import services as intake_services
from intake.models import Ticket

CALLBACKS_PER_PAGE = 50
APPEALS_PER_PAGE = 50
TICKETS_PER_PAGE = 100

METRIC_LABELS = {
    Metric.RESPONSE_REQUIRED: gettext_lazy("Tickets requiring a response"),
    Metric.RESPONSE_FAILED: gettext_lazy("Not responded in time"),
    Metric.EXCLUDED: gettext_lazy("Excluded tickets"),
    Metric.CALLBACKS_ANSWERED: gettext_lazy("Callbacks answered"),
    Metric.NOT_RESOLVED: gettext_lazy("Not resolved (including partly resolved)"),
    Metric.NOT_SATISFIED: gettext_lazy("Not satisfied (including basically satisfied)"),
}


# --- Callback queue (回访) -------------------------------------------------------------------


@require_GET
def callback_queue(request: HttpRequest) -> HttpResponse:
    require(selectors.can_call_back(user=request.user))
    filterset = CallbackFilter(request.GET or None, queryset=selectors.callback_queue())
    page = Paginator(filterset.qs, CALLBACKS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "evaluation/callback_queue.html", {"filter": filterset, "page": page, "now": timezone.now()})


def _callback_message(callback: Callback, number: str) -> str:
    if callback.status == CallbackStatus.DONE:
        return _("Callback on ticket %(number)s recorded.") % {"number": number}
    if callback.status == CallbackStatus.NOT_REACHED:
        return _("The caller of ticket %(number)s was not reached after %(attempts)s attempts; callback closed.") % {
            "number": number,
            "attempts": callback.attempts,
        }
    return _("The caller of ticket %(number)s was not reached (attempt %(attempts)s).") % {
        "number": number,
        "attempts": callback.attempts,
    }


@require_http_methods(["GET", "POST"])
def callback_detail(request: HttpRequest, callback_id: int) -> HttpResponse:
    """One callback: the caller's phone (every view recorded), the unit's reply and the result form."""
    require(selectors.can_call_back(user=request.user))
    try:
        callback = selectors.callback_detail(callback_id=callback_id)
    except Callback.DoesNotExist as error:
        raise not_found() from error
    if request.method == "POST":
        form = CallbackForm(request.POST)
        if form.is_valid():
            try:
                result = callback_services.record_callback(
                    callback_id=callback.pk, answer=form.answer(), actor=request.user
                )
            except DomainError as error:
                apply_domain_error(request, error, form=form)
            else:
                messages.success(request, _callback_message(result, callback.ticket.number))
                return redirect("evaluation:callback_queue")
    else:
        form = CallbackForm()
    if callback.caller is not None:
        intake_services.record_personal_data_access(
            user=request.user, caller=callback.caller, ticket=callback.ticket, purpose="callback"
        )
    context = {
        "callback": callback,
        "lead": selectors.lead_reply_of(ticket_id=callback.ticket_id),
        "form": form,
        "now": timezone.now(),
    }
    return render(request, "evaluation/callback_detail.html", context)


# --- The citizen's online survey (no login) ---------------------------------------------------


def _survey_unavailable(request: HttpRequest) -> HttpResponse:
    """The same neutral page for forged, expired and already answered links: it tells nothing."""
    return render(request, "evaluation/survey_unavailable.html", status=404)


@login_not_required
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        callback = callback_services.callback_from_token(token=token)
    except (DomainError, Callback.DoesNotExist):
        return _survey_unavailable(request)
    if callback.status != CallbackStatus.PENDING:
        return _survey_unavailable(request)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            callback_services.answer_survey_online(token=token, answer=form.answer())
        except DomainError:
            return _survey_unavailable(request)
        return render(request, "evaluation/survey_thanks.html", {"number": callback.ticket.number})
    return render(request, "evaluation/survey.html", {"form": form, "ticket": callback.ticket})


# --- Rankings ---------------------------------------------------------------------------------


def _scope(request: HttpRequest) -> RankingScope:
    scope = selectors.ranking_scope(user=request.user)
    require(scope is not None)
    return scope


@dataclass(frozen=True)
class RankingQuery:
    """Which ranking a page or export shows: ?month=YYYY-MM&kind=street&version=2&district=ID."""

    month: date | None
    kind: str
    version: int | None
    district: Unit | None
    source: str | None = None

    @classmethod
    def parse(cls, params: Any, *, months: list[date] | None = None) -> "RankingQuery":
        month = parse_month(params.get("month"))
        if month is None and months is not None:
            month = months[0] if months else None
        kind = params.get("kind") or params.get("unit_kind") or UnitKind.STREET
        if kind not in {k.value for k in ranking_services.RANKED_KINDS}:
            kind = UnitKind.STREET
        version = params.get("version", "")
        district_id = params.get("district", "")
        district = None
        if district_id.isdigit():
            district = Unit.objects.filter(pk=int(district_id), kind=UnitKind.DISTRICT).first()
        source = params.get("source") or None
        if source not in Source.values:
            source = None
        return cls(month, kind, int(version) if version.isdigit() else None, district, source)

    def params(self, **overrides: Any) -> str:
        values = {
            "month": f"{self.month:%Y-%m}" if self.month else None,
            "kind": self.kind,
            "version": self.version,
            "district": self.district.pk if self.district else None,
            "source": self.source,
        }
        values.update(overrides)
        return urlencode({key: value for key, value in values.items() if value is not None})


BADGE_STYLES = {
    "is_advanced": "ok",
    "is_improved": "info",
    "is_rectify": "bad",
    "is_governance_focus": "warn",
    "governance_met": "ok",
    "governance_not_met": "bad",
    "sample_too_small": "muted",
}


@dataclass(frozen=True)
class Line:
    """One row of a ranking table, with what the template cannot compute (percentages, badges)."""

    result: UnitResult
    own: bool
    linked: bool

    @staticmethod
    def _percent(value: Any) -> str:
        return "—" if value is None else f"{value * 100:.2f}%"

    @property
    def response(self) -> str:
        return self._percent(self.result.response_rate)

    @property
    def resolution(self) -> str:
        return self._percent(self.result.resolution_rate)

    @property
    def satisfaction(self) -> str:
        return self._percent(self.result.satisfaction_rate)

    @property
    def badges(self) -> list[tuple[str, str]]:
        return [(BADGE_STYLES[key], label) for key, label in exports.classes(self.result)]


def _lines(results: list[UnitResult], scope: RankingScope) -> list[Line]:
    return [
        Line(result=result, own=result.unit_id in scope.own_unit_ids, linked=scope.details(result.unit_id))
        for result in results
    ]


def _parameters(ranking: MonthlyRanking) -> dict[str, Any]:
    """The parameters a snapshot was computed with, written shortly for the formula (0.1, 0.45, 0)."""
    shown = {
        name: format(Decimal(value).normalize(), "f") if isinstance(value, str) else value
        for name, value in ranking.scheme.items()
    }
    shown["governance_percent"] = format((Decimal(ranking.scheme["governance_share"]) * 100).normalize(), "f")
    return shown


@require_GET
def ranking(request: HttpRequest) -> HttpResponse:
    return _render_ranking(request, _scope(request), query=None)


def _render_ranking(
    request: HttpRequest,
    scope: RankingScope,
    *,
    query: RankingQuery | None,
    recompute_form: RecomputeForm | None = None,
    compute_form: ComputeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    is_admin = scope.sees_drafts
    months = selectors.ranking_months(drafts=is_admin)
    query = query or RankingQuery.parse(request.GET, months=months)
    snapshot = draft = None
    results: list[UnitResult] = []
    if query.month is not None:
        snapshot = selectors.ranking_for(
            month=query.month, unit_kind=query.kind, version=query.version, drafts=is_admin
        )
        if is_admin:
            draft = selectors.draft_of(month=query.month, unit_kind=query.kind)
    if snapshot is not None and query.source is not None:
        results = selectors.ranking_by_source(
            ranking=snapshot, source=query.source, scope=scope, district=query.district
        )
    elif snapshot is not None:
        results = list(selectors.ranking_results(ranking=snapshot, scope=scope, district=query.district))
    if is_admin and snapshot is not None and not snapshot.is_draft and draft is None and recompute_form is None:
        recompute_form = RecomputeForm(initial={"month": snapshot.month, "unit_kind": snapshot.unit_kind})
    if is_admin and compute_form is None:
        compute_form = ComputeForm(initial={"unit_kind": query.kind})
    ranked = [result for result in results if result.rank is not None]
    chart = {
        "labels": [result.unit.label for result in ranked],
        "composite": [float(result.composite) for result in ranked],
        "label": str(_("Composite score")),
    }
    visible_districts = [d for d in districts() if scope.shows(d.pk)]
    context = {
        "months": months,
        "query": query,
        "tabs": [
            (kind.label, kind == query.kind, query.params(kind=kind.value, version=None))
            for kind in ranking_services.RANKED_KINDS
        ],
        "params": query.params(version=None),
        "export_params": query.params(version=snapshot.version if snapshot else None),
        "show_district": query.kind in (UnitKind.STREET, UnitKind.DISTRICT_DEPARTMENT),
        "ranking": snapshot,
        "draft": draft,
        "lines": _lines(results, scope),
        "publication": (
            selectors.publication(ranking=snapshot)
            if snapshot is not None and scope.table_unit_ids is None and query.source is None
            else None
        ),
        "sources": Source.choices,
        "source_label": Source(query.source).label if query.source else None,
        "parameters": _parameters(snapshot) if snapshot else None,
        "audit": selectors.ranking_audit(month=query.month, unit_kind=query.kind, drafts=is_admin) if snapshot else [],
        "is_admin": is_admin,
        "recompute_form": recompute_form,
        "compute_form": compute_form,
        "districts": visible_districts,
        "chart": chart,
    }
    return render(request, "evaluation/ranking.html", context, status=status)


def _export_target(request: HttpRequest) -> tuple[MonthlyRanking, list[UnitResult]]:
    scope = _scope(request)
    query = RankingQuery.parse(request.GET, months=selectors.ranking_months(drafts=scope.sees_drafts))
    snapshot = None
    if query.month is not None:
        snapshot = selectors.ranking_for(
            month=query.month, unit_kind=query.kind, version=query.version, drafts=scope.sees_drafts
        )
    require(snapshot is not None)
    return snapshot, list(selectors.ranking_results(ranking=snapshot, scope=scope, district=query.district))


@require_GET
def ranking_csv(request: HttpRequest) -> HttpResponse:
    snapshot, results = _export_target(request)
    return exports.csv_response(ranking=snapshot, results=results)


@require_GET
def ranking_xlsx(request: HttpRequest) -> HttpResponse:
    snapshot, results = _export_target(request)
    return exports.xlsx_response(ranking=snapshot, results=results)


def _ranking_url(*, month: date, kind: str, version: int | None = None) -> str:
    params = {"month": f"{month:%Y-%m}", "kind": kind}
    if version is not None:
        params["version"] = str(version)
    return f"{reverse('evaluation:ranking')}?{urlencode(params)}"


@require_POST
def ranking_recompute(request: HttpRequest) -> HttpResponse:
    """Compute a published month again: a new draft version, the reason in the audit trail."""
    scope = _scope(request)
    require(scope.sees_drafts)
    form = RecomputeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            draft = ranking_services.compute_month(
                month=data["month"], unit_kind=data["unit_kind"], actor=request.user, reason=data["reason"]
            )
        except DomainError as error:
            apply_domain_error(request, error, form=form)
        else:
            messages.success(
                request,
                _("%(month)s computed again: draft version %(version)s is ready for review.")
                % {"month": f"{draft.month:%Y-%m}", "version": draft.version},
            )
            return redirect(_ranking_url(month=draft.month, kind=draft.unit_kind, version=draft.version))
    query = RankingQuery.parse(request.POST, months=selectors.ranking_months(drafts=True))
    return _render_ranking(request, scope, query=query, recompute_form=form, status=400)


@require_POST
def ranking_compute(request: HttpRequest) -> HttpResponse:
    """Compute drafts of a month (a draft is computed again); a published kind is left as it is."""
    scope = _scope(request)
    require(scope.sees_drafts)
    form = ComputeForm(request.POST)
    if not form.is_valid():
        return _render_ranking(request, scope, query=None, compute_form=form, status=400)
    month = form.cleaned_data["month"]
    kinds = form.kinds()
    drafts = ranking_services.compute_rankings(month=month, unit_kinds=kinds, actor=request.user, skip_published=True)
    label = {"month": f"{month:%Y-%m}"}
    if drafts:
        messages.success(request, _("%(month)s computed: review the drafts, then publish them.") % label)
    else:
        messages.info(request, _("%(month)s was already published; recompute it to change it.") % label)
    return redirect(_ranking_url(month=month, kind=kinds[0]))


@require_POST
def ranking_publish(request: HttpRequest) -> HttpResponse:
    """Publish a draft: units see it, and it is frozen."""
    require(_scope(request).sees_drafts)
    ranking_id = request.POST.get("ranking", "")
    require(ranking_id.isdigit())
    try:
        ranking = ranking_services.publish_ranking(ranking_id=int(ranking_id), actor=request.user)
    except DomainError as error:
        apply_domain_error(request, error)
        draft = MonthlyRanking.objects.filter(pk=int(ranking_id)).first()
        return redirect(_ranking_url(month=draft.month, kind=draft.unit_kind) if draft else "evaluation:ranking")
    messages.success(
        request,
        _("%(month)s published: version %(version)s is now current.")
        % {"month": f"{ranking.month:%Y-%m}", "version": ranking.version},
    )
    return redirect(_ranking_url(month=ranking.month, kind=ranking.unit_kind))


def _unit_in_scope(request: HttpRequest, unit_id: int) -> tuple[RankingScope, Unit]:
    scope = _scope(request)
    unit = Unit.objects.select_related("parent").filter(pk=unit_id).first()
    require(unit is not None and scope.details(unit.pk))
    return scope, unit


def _as_percent(value: Any) -> float | None:
    return None if value is None else round(float(value) * 100, 2)


@dataclass(frozen=True)
class Figure:
    label: str
    value: Any
    metric: str = ""  # the drill-down behind the number, if any


def _figures(result: UnitResult) -> list[Figure]:
    """The counts behind a unit's rates, each with the list of tickets it counts."""
    return [
        Figure(_("Tickets requiring a response"), result.required_response, Metric.RESPONSE_REQUIRED),
        Figure(_("Responded in time"), result.responded_in_time),
        Figure(_("Not responded in time"), result.required_response - result.responded_in_time, Metric.RESPONSE_FAILED),
        Figure(_("Excluded tickets"), result.excluded, Metric.EXCLUDED),
        Figure(_("Callbacks answered"), result.callbacks_answered, Metric.CALLBACKS_ANSWERED),
        Figure(_("Resolved"), result.resolved),
        Figure(_("Partly resolved"), result.partly_resolved),
        Figure(
            _("Not resolved (including partly resolved)"),
            result.callbacks_answered - result.resolved,
            Metric.NOT_RESOLVED,
        ),
        Figure(_("Satisfied"), result.satisfied),
        Figure(_("Basically satisfied"), result.basically_satisfied),
        Figure(
            _("Not satisfied (including basically satisfied)"),
            result.callbacks_answered - result.satisfied,
            Metric.NOT_SATISFIED,
        ),
    ]


@require_GET
def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    """A unit's trend over the last 12 months, and its numbers for one month with their tickets."""
    _scope, unit = _unit_in_scope(request, unit_id)
    months = selectors.ranking_months()
    until = parse_month(request.GET.get("month")) or (months[0] if months else timezone.localdate().replace(day=1))
    trend = selectors.unit_trend(unit=unit, until=until)
    current = next((result for result in trend if result.ranking.month == until), None)
    chart = {
        "labels": [f"{result.ranking.month:%Y-%m}" for result in trend],
        "series": [
            {
                "label": str(_("Composite score")),
                "data": [None if r.composite is None else float(r.composite) for r in trend],
            },
            {"label": str(_("Response rate")), "data": [_as_percent(r.response_rate) for r in trend]},
            {"label": str(_("Resolution rate")), "data": [_as_percent(r.resolution_rate) for r in trend]},
            {"label": str(_("Satisfaction rate")), "data": [_as_percent(r.satisfaction_rate) for r in trend]},
        ],
    }
    context = {
        "unit": unit,
        "month": until,
        "figures": _figures(current) if current else [],
        "months": months,
        "trend": [Line(result=result, own=result.ranking.month == until, linked=False) for result in trend],
        "current": current,
        "chart": chart,
        "metrics": METRIC_LABELS,
        "ranking_kind": rates.ranking_kind_of(unit.kind),
        "proactive": selectors.proactive_by_month(unit=unit, until=until),
    }
    return render(request, "evaluation/unit_detail.html", context)


@require_GET
def unit_tickets(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The tickets behind one number of a unit's month (the same filters as the ranking's counts)."""
    _scope, unit = _unit_in_scope(request, unit_id)
    month = parse_month(request.GET.get("month"))
    metric = request.GET.get("metric", "")
    require(month is not None and metric in Metric.ALL)
    if metric in Metric.RESPONSE:
        rows = selectors.response_rows(unit=unit, month=month, metric=metric)
    else:
        rows = selectors.callback_rows(unit=unit, month=month, metric=metric)
    page = Paginator(rows, TICKETS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "unit": unit,
        "month": month,
        "metric": metric,
        "metric_label": METRIC_LABELS[metric],
        "is_response": metric in Metric.RESPONSE,
        "page": page,
    }
    return render(request, "evaluation/unit_tickets.html", context)


@require_GET
def district_detail(request: HttpRequest, district_id: int) -> HttpResponse:
    """A district in the districts' ranking, and its streets and zones in the streets' ranking."""
    scope, district = _unit_in_scope(request, district_id)
    require(district.kind == UnitKind.DISTRICT)
    months = selectors.ranking_months()
    month = parse_month(request.GET.get("month")) or (months[0] if months else None)
    line = None
    ranked = 0
    if month is not None:
        district_ranking = selectors.ranking_for(month=month, unit_kind=UnitKind.DISTRICT)
        if district_ranking is not None:
            line = district_ranking.results.filter(unit=district).first()
            ranked = district_ranking.results.filter(rank__isnull=False).count()
    streets = selectors.district_streets(district=district, month=month, scope=scope) if month else []
    context = {
        "district": district,
        "month": month,
        "months": months,
        "line": _lines([line], scope)[0] if line else None,
        "ranked": ranked,
        "lines": _lines(streets, scope),
    }
    return render(request, "evaluation/district_detail.html", context)


# --- Appeals (申诉 / 不纳入考核) --------------------------------------------------------------


def _appeal_scope(user: User) -> set[int] | None:
    unit_ids = selectors.appeal_scope(user=user)
    require(unit_ids is None or bool(unit_ids))
    return unit_ids


@require_GET
def appeal_list(request: HttpRequest) -> HttpResponse:
    unit_ids = _appeal_scope(request.user)
    filterset = AppealFilter(request.GET or None, queryset=selectors.appeals(unit_ids=unit_ids))
    page = Paginator(filterset.qs, APPEALS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page": page,
        "is_admin": selectors.is_evaluation_admin(user=request.user),
    }
    return render(request, "evaluation/appeal_list.html", context)


@require_http_methods(["GET", "POST"])
def appeal_create(request: HttpRequest) -> HttpResponse:
    """A unit appeals a ticket it led: /evaluation/appeals/new/?ticket=<id> (linked from the workbench)."""
    ticket_id = request.GET.get("ticket", "")
    require(ticket_id.isdigit())
    unit = selectors.appeal_unit_for(user=request.user, ticket_id=int(ticket_id))
    require(unit is not None)
    ticket = Ticket.objects.select_related("category").get(pk=int(ticket_id))
    callbacks = selectors.appealable_callbacks(ticket_id=ticket.pk, unit=unit)
    if request.method == "POST":
        form = AppealForm(request.POST, request.FILES, callbacks=callbacks)
        if form.is_valid():
            data = form.cleaned_data
            try:
                appeal = appeal_services.request_appeal(
                    ticket_id=ticket.pk,
                    unit=unit,
                    kind=data["kind"],
                    reason=data["reason"],
                    actor=request.user,
                    callback_id=data["callback"].pk if data["callback"] else None,
                    attachment=data["attachment"],
                )
            except DomainError as error:
                apply_domain_error(request, error, form=form)
            else:
                messages.success(request, _("Appeal on ticket %(number)s sent for review.") % {"number": ticket.number})
                return redirect("evaluation:appeal_detail", appeal_id=appeal.pk)
    else:
        form = AppealForm(callbacks=callbacks, initial={"kind": request.GET.get("kind")})
    return render(request, "evaluation/appeal_form.html", {"form": form, "ticket": ticket, "unit": unit})


def _visible_appeal(user: User, appeal_id: int) -> Appeal:
    appeal = selectors.appeals(unit_ids=_appeal_scope(user)).filter(pk=appeal_id).first()
    require(appeal is not None)
    return appeal


@require_http_methods(["GET", "POST"])
def appeal_detail(request: HttpRequest, appeal_id: int) -> HttpResponse:
    appeal = _visible_appeal(request.user, appeal_id)
    is_admin = selectors.is_evaluation_admin(user=request.user)
    form = None
    if is_admin:
        form = DecisionForm(request.POST or None)
    if request.method == "POST":
        require(is_admin)
        if form.is_valid():
            try:
                appeal_services.decide_appeal(
                    appeal_id=appeal.pk, actor=request.user, approve=form.approve, note=form.cleaned_data["note"]
                )
            except DomainError as error:
                apply_domain_error(request, error, form=form)
            else:
                messages.success(request, _("Appeal on ticket %(number)s decided.") % {"number": appeal.ticket.number})
                return redirect("evaluation:appeal_review")
    context = {"appeal": appeal, "form": form, "can_decide": is_admin and appeal.status == ReviewStatus.PENDING}
    return render(request, "evaluation/appeal_detail.html", context)


@require_GET
def appeal_attachment(request: HttpRequest, appeal_id: int) -> FileResponse:
    """The evidence file, for those who may see the appeal (media files are not public)."""
    appeal = _visible_appeal(request.user, appeal_id)
    require(bool(appeal.attachment))
    return FileResponse(appeal.attachment.open("rb"), as_attachment=True, filename=appeal.attachment_name)


@require_GET
def appeal_review(request: HttpRequest) -> HttpResponse:
    """The hotline supervisors' queue of appeals awaiting a decision, oldest first."""
    require(selectors.is_evaluation_admin(user=request.user))
    page = Paginator(selectors.pending_appeals(), APPEALS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "evaluation/appeal_review.html", {"page": page})
