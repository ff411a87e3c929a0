"""HTML pages of intake: agent desk, ticket list and detail, knowledge base, public citizen pages."""

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hotline import ratelimit
from hotline.errors import DomainError
from hotline.forms import apply_domain_error
from hotline.permissions import not_found, require
from hotline.roles import DESK_ROLES, OVERSIGHT_ROLES, PROACTIVE_ROLES, holds
from hotline.selectors import is_hotline_staff
from intake import selectors, services
from intake.filters import TicketFilter
from intake.forms import (
    KB_DESCRIPTION_CHARS,
    ArticleForm,
    ArticleQueryForm,
    CandidateQueryForm,
    DeskForm,
    ProactiveImportForm,
    ProactiveTicketForm,
    PublicStatusForm,
    PublicSubmitForm,
    public_form_token,
)
from intake.lifecycle import Status
from intake.models import Disposition, KnowledgeArticle, SmsPreferenceChange, Ticket
from intake.phones import mask_name, mask_phone, normalize_phone
from intake.proactive import TEMPLATES

TICKETS_PER_PAGE = 50
ARTICLES_PER_PAGE = 25

# What citizens read on the status page: plain words, not the internal workflow.
PUBLIC_STATUS_LABELS = {
    Status.RECEIVED: gettext_lazy("Received"),
    Status.AWAITING_DISPATCH: gettext_lazy("Received, being assigned"),
    Status.DISPATCHED: gettext_lazy("Being handled"),
    Status.RETURN_REQUESTED: gettext_lazy("Being handled"),
    Status.IN_PROGRESS: gettext_lazy("Being handled"),
    Status.AWAITING_CALLBACK: gettext_lazy("Replied, we will call you back"),
    Status.CLOSED: gettext_lazy("Completed"),
    # The parent was itself merged later on: its matter goes on elsewhere.
    Status.MERGED: gettext_lazy("Handled together with the same matter"),
}


# --- Agent desk -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def desk(request: HttpRequest) -> HttpResponse:
    require(holds(user=request.user, roles=DESK_ROLES))
    if request.method == "POST":
        form = DeskForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.submit_intake(
                    data=form.new_ticket(),
                    actor=request.user,
                    outcome=data["outcome"],
                    idempotency_key=data["idempotency_key"],
                    article=data["answer_with"],
                    answer=data["answer"],
                    disposition=data["disposition"],
                    merge_into_id=data["merge_into"].pk if data["merge_into"] else None,
                ).ticket
            except DomainError as error:
                apply_domain_error(request, error, form=form)
            else:
                messages.success(request, _outcome_message(ticket))
                return redirect("intake:desk")
    else:
        form = DeskForm(initial={"idempotency_key": DeskForm.new_key()})
    # A refused submission keeps what the agent had: the panel shows the articles for it.
    kb_query = ArticleQueryForm({"category": form.data.get("category"), "description": form.data.get("description")})
    context = {
        "form": form,
        "articles": kb_query.articles(),
        "kb_description_chars": KB_DESCRIPTION_CHARS,
        # The smart dispatch API (dispatch's, by URL name: intake imports no dispatch code).
        "suggestions_url": reverse("api-dispatch-suggestions"),
        "place_autofill_confidence": settings.PLACE_AUTOFILL_CONFIDENCE,
    }
    return render(request, "intake/desk.html", context)


def _outcome_message(ticket: Ticket) -> str:
    """Told from the ticket's state, so a repeated submission reports what the first one did."""
    if ticket.status == Status.MERGED:
        return _("Ticket %(number)s merged into ticket %(parent)s.") % {
            "number": ticket.number,
            "parent": ticket.parent.number,
        }
    if ticket.status == Status.CLOSED and ticket.disposition == Disposition.ANSWERED_DIRECTLY:
        return _("Ticket %(number)s answered directly and closed.") % {"number": ticket.number}
    if ticket.status == Status.CLOSED:
        return _("Ticket %(number)s closed: %(outcome)s.") % {
            "number": ticket.number,
            "outcome": Disposition(ticket.disposition).label,
        }
    return _("Ticket %(number)s taken in and queued for dispatch.") % {"number": ticket.number}


@require_GET
def desk_caller(request: HttpRequest) -> HttpResponse:
    """Fragment: who calls from this number, and their previous tickets."""
    require(holds(user=request.user, roles=DESK_ROLES))
    try:
        phone = normalize_phone(request.GET.get("phone", ""))
    except ValidationError:
        return render(request, "intake/_caller.html", {"looked_up": False})
    caller = selectors.caller_by_phone(phone=phone)
    history: list[Ticket] = []
    if caller is not None:
        history = selectors.caller_history(caller=caller)
        services.record_personal_data_access(user=request.user, caller=caller, ticket=None, purpose="desk_lookup")
    return render(request, "intake/_caller.html", {"looked_up": True, "caller": caller, "history": history})


@require_GET
def desk_candidates(request: HttpRequest) -> HttpResponse:
    """Fragment: open tickets the contact being typed may repeat, each with a merge button."""
    require(holds(user=request.user, roles=DESK_ROLES))
    query = CandidateQueryForm(request.GET)
    query.is_valid()  # every field is optional; invalid ones are simply left out
    data = query.cleaned_data
    candidates = selectors.repeat_candidates(
        phone=data.get("phone", ""),
        category_id=data.get("category"),
        street_id=data.get("street"),
        text=data.get("description", ""),
    )
    return render(request, "intake/_candidates.html", {"candidates": candidates})


@require_GET
def desk_articles(request: HttpRequest) -> HttpResponse:
    """Fragment: the knowledge-base articles for the search box, the category and the description
    being typed, each with an "answer directly" button."""
    require(holds(user=request.user, roles=DESK_ROLES))
    return render(request, "intake/_articles.html", {"articles": ArticleQueryForm(request.GET).articles()})


# --- Tickets --------------------------------------------------------------------------------


@dataclass
class KeysetPage:
    rows: list[Ticket]
    newer: int | None  # id for ?after= (the page before), None on the first page
    older: int | None  # id for ?before= (the page after), None on the last page


def _keyset_page(tickets: QuerySet[Ticket], *, before: str | None, after: str | None) -> KeysetPage:
    """A page of tickets by descending id, without COUNT(*) or OFFSET (the table is large)."""
    size = TICKETS_PER_PAGE
    if after and after.isdigit():
        rows = list(tickets.filter(id__gt=int(after)).order_by("id")[: size + 1])
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(rows, rows[0].pk if rows and has_newer else None, rows[-1].pk if rows else None)
    if before and before.isdigit():
        tickets = tickets.filter(id__lt=int(before))
    rows = list(tickets.order_by("-id")[: size + 1])
    has_older = len(rows) > size
    rows = rows[:size]
    newer = rows[0].pk if rows and before else None
    return KeysetPage(rows, newer, rows[-1].pk if has_older else None)


@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    filterset = TicketFilter(request.GET or None, queryset=selectors.ticket_list(user=request.user), request=request)
    page = _keyset_page(filterset.qs, before=request.GET.get("before"), after=request.GET.get("after"))
    return render(request, "intake/ticket_list.html", {"filter": filterset, "page": page})


@dataclass
class ContactView:
    """One contact of a ticket as the current user may see it."""

    ticket: Ticket
    phone: str
    name: str
    masked: bool
    # Who last switched the caller's SMS, and when (shown to hotline staff only).
    sms_change: SmsPreferenceChange | None = None


@require_GET
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    try:
        ticket = selectors.ticket_detail(user=request.user, ticket_id=ticket_id)
    except Ticket.DoesNotExist as error:
        raise not_found() from error
    # Hotline roles call citizens back and see their data (every view recorded); unit staff
    # see it masked, and confidential callers are masked for everyone but the hotline.
    unmasked = is_hotline_staff(user=request.user)
    contacts = [contact for contact in [ticket, *ticket.merged.all()] if contact.caller is not None]
    if unmasked and contacts:
        services.record_personal_data_accesses(
            user=request.user, reads=[(contact.caller, contact) for contact in contacts], purpose="ticket_detail"
        )
    sms_changes = (
        selectors.last_sms_preference_changes(caller_ids=[contact.caller_id for contact in contacts])
        if unmasked and contacts
        else {}
    )
    views = [
        ContactView(
            ticket=contact,
            phone=contact.caller.phone if unmasked else mask_phone(contact.caller.phone),
            name=contact.caller.name if unmasked else mask_name(contact.caller.name),
            masked=not unmasked,
            sms_change=sms_changes.get(contact.caller_id),
        )
        for contact in contacts
    ]
    # A request another platform transferred names that platform and its reference there.
    platform = selectors.platform_of_channel(channel=ticket.channel) if ticket.external_id else None
    return render(request, "intake/ticket_detail.html", {"ticket": ticket, "contacts": views, "platform": platform})


@require_POST
def caller_sms(request: HttpRequest, ticket_id: int, caller_id: int) -> HttpResponse:
    """The ticket page's switch for a caller's SMS: the caller asked to get none, or to get them
    again (the service admits hotline staff and the callers of this ticket and of those merged
    into it)."""
    opt_out = request.POST.get("sms_opt_out") == "1"
    if services.set_sms_opt_out(actor=request.user, ticket_id=ticket_id, caller_id=caller_id, opt_out=opt_out):
        messages.success(request, _("The caller gets no more SMS.") if opt_out else _("The caller gets SMS again."))
    else:  # switched already, by this form submitted twice or by a colleague meanwhile
        messages.info(request, _("The caller already gets no SMS.") if opt_out else _("The caller already gets SMS."))
    return redirect("intake:ticket_detail", ticket_id=ticket_id)


# --- Knowledge base -------------------------------------------------------------------------


@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    require(is_hotline_staff(user=request.user))
    query = request.GET.get("q", "")[:100]
    page = Paginator(selectors.article_list(query=query), ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    can_edit = holds(user=request.user, roles=OVERSIGHT_ROLES)
    return render(request, "intake/article_list.html", {"page": page, "q": query, "can_edit": can_edit})


@require_http_methods(["GET", "POST"])
def article_create(request: HttpRequest) -> HttpResponse:
    return _article_form(request, article=None)


@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, article_id: int) -> HttpResponse:
    require(holds(user=request.user, roles=OVERSIGHT_ROLES))
    try:
        article = KnowledgeArticle.objects.prefetch_related("categories").get(pk=article_id)
    except KnowledgeArticle.DoesNotExist as error:
        raise not_found() from error
    return _article_form(request, article=article)


def _article_form(request: HttpRequest, *, article: KnowledgeArticle | None) -> HttpResponse:
    require(holds(user=request.user, roles=OVERSIGHT_ROLES))
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            try:
                saved = services.save_article(
                    data=form.article_data(), actor=request.user, article_id=article.pk if article else None
                )
            except DomainError as error:
                apply_domain_error(request, error, form=form)
            else:
                messages.success(request, _("Article “%(title)s” saved.") % {"title": saved.title})
                return redirect("intake:article_list")
    else:
        form = ArticleForm(initial=ArticleForm.initial_from(article) if article else None)
    return render(request, "intake/article_form.html", {"form": form, "article": article})


# --- Proactive governance (主动治理, 未诉先办) --------------------------------------------------


def _proactive_page(
    request: HttpRequest, *, form: ProactiveTicketForm, import_form: ProactiveImportForm, status: int = 200
) -> HttpResponse:
    page = Paginator(selectors.proactive_tickets(), TICKETS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "import_form": import_form,
        "page": page,
        "imports": selectors.recent_proactive_imports(),
        "templates": TEMPLATES,
    }
    return render(request, "intake/proactive.html", context, status=status)


@require_http_methods(["GET", "POST"])
def proactive(request: HttpRequest) -> HttpResponse:
    """The proactive tickets, a form to create one by hand and the import of a list of risk points."""
    require(holds(user=request.user, roles=PROACTIVE_ROLES))
    form = ProactiveTicketForm(
        request.POST or None, initial=ProactiveTicketForm.initial_for(request.GET.get("template", ""))
    )
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.create_proactive_ticket(actor=request.user, point=form.risk_point())
        except DomainError as error:
            apply_domain_error(request, error, form=form)
        else:
            messages.success(request, _("Proactive ticket %(number)s queued for dispatch.") % {"number": ticket.number})
            return redirect("intake:proactive")
    return _proactive_page(request, form=form, import_form=ProactiveImportForm())


@require_http_methods(["POST"])
def proactive_import(request: HttpRequest) -> HttpResponse:
    require(holds(user=request.user, roles=PROACTIVE_ROLES))
    import_form = ProactiveImportForm(request.POST, request.FILES)
    if import_form.is_valid():
        upload = import_form.cleaned_data["file"]
        try:
            result = services.import_risk_points(actor=request.user, content=upload.read(), file_name=upload.name or "")
        except DomainError as error:
            apply_domain_error(request, error, form=import_form)
        else:
            if result.created:
                count = result.batch.ticket_count
                messages.success(
                    request,
                    ngettext(
                        "%(count)s proactive ticket queued for dispatch.",
                        "%(count)s proactive tickets queued for dispatch.",
                        count,
                    )
                    % {"count": count},
                )
            else:
                messages.info(request, _("This file was imported before: nothing was created."))
            return redirect("intake:proactive")
    return _proactive_page(request, form=ProactiveTicketForm(), import_form=import_form)


# --- Public citizen pages (no login) --------------------------------------------------------


def _client_ip(request: HttpRequest) -> str:
    """The citizen's address: behind PROXY_COUNT reverse proxies, the entry they appended."""
    proxies = settings.AXES_IPWARE_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _hit(key: str) -> int:
    """Count one hit in a fixed window shared by every web process (the cache is Redis); 0
    when the cache is unreachable (the page stays open)."""
    return ratelimit.hit(key, timeout=settings.HOTLINE_PUBLIC_RATE_WINDOW) or 0


def _over_limit(request: HttpRequest, *, scope: str, limit: int) -> bool:
    return _hit(f"intake:rate:{scope}:{_client_ip(request)}") > limit


def _rate_limited(request: HttpRequest) -> HttpResponse:
    response = render(request, "intake/public/rate_limited.html", status=429)
    response["Retry-After"] = str(settings.HOTLINE_PUBLIC_RATE_WINDOW)
    return response


@login_not_required
@require_http_methods(["GET", "POST"])
def public_submit(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        if _over_limit(request, scope="submit", limit=settings.HOTLINE_PUBLIC_SUBMIT_LIMIT):
            return _rate_limited(request)
        form = PublicSubmitForm(request.POST)
        status = 400  # unless it goes through
        if form.is_bot():
            # No hint for the bot about why: the same words as any failure.
            form = PublicSubmitForm()
            messages.error(request, _("Your request could not be sent. Please try again."))
        elif form.is_valid():
            key = f"web-{form.cleaned_data['token']['key']}"
            try:
                ticket = services.submit_intake(data=form.new_ticket(), actor=None, idempotency_key=key).ticket
            except DomainError as error:
                apply_domain_error(request, error, form=form)
            else:
                return render(request, "intake/public/submitted.html", {"number": ticket.number})
    else:
        form = PublicSubmitForm()
    # A fresh token each time the form is shown: the minimum fill time starts again.
    context = {"form": form, "token": public_form_token()}
    return render(request, "intake/public/submit.html", context, status=status)


@login_not_required
@require_http_methods(["GET", "POST"])
def public_status(request: HttpRequest) -> HttpResponse:
    """Status of a request for the citizen: tracking number plus the phone's last four digits.

    Unknown numbers and wrong digits get the same answer. Besides the per-IP limit, a number
    that failed too often in the window answers "not found" even to the right digits, so
    guessing the digits from many addresses does not work either.
    """
    result = None
    not_found = False
    if request.method == "POST":
        limit = settings.HOTLINE_PUBLIC_STATUS_LIMIT
        if _over_limit(request, scope="status", limit=limit):
            return _rate_limited(request)
        form = PublicStatusForm(request.POST)
        if form.is_valid():
            number = form.cleaned_data["number"].strip()
            failures_key = f"intake:rate:status-number:{hashlib.sha256(number.encode()).hexdigest()}"
            if ratelimit.count(failures_key) < limit:
                result = selectors.public_status(number=number, phone_last4=form.cleaned_data["phone_last4"])
            if result is None:
                _hit(failures_key)
                not_found = True
    else:
        form = PublicStatusForm()
    context: dict[str, Any] = {"form": form, "result": result, "not_found": not_found}
    if result is not None:
        context["status_label"] = PUBLIC_STATUS_LABELS[Status(result.status)]
    return render(request, "intake/public/status.html", context)
