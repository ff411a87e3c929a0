from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hotline import degraded, notifications, selectors
from hotline.api.errors import error_body, json_not_found
from open311.views import error_response as open311_error_response

NOTIFICATIONS_PER_PAGE = 30


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Each role's own work (hotline.selectors.HOME_PAGES); a user with no role reads which
    memberships they hold (none) and whom to ask."""
    target = selectors.home_url_for(user=request.user)
    if target is not None:
        return redirect(target)
    memberships = selectors.memberships_of(user=request.user)
    return render(request, "hotline/home.html", {"memberships": memberships})


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The notification centre: newest first, keyset-paged by id (?before=), ?unread=1 filters."""
    unread_only = request.GET.get("unread") == "1"
    rows = notifications.notifications_for(user=request.user, unread_only=unread_only)
    before = request.GET.get("before", "")
    if before.isdigit():
        rows = rows.filter(pk__lt=int(before))
    page = list(rows[: NOTIFICATIONS_PER_PAGE + 1])
    has_more = len(page) > NOTIFICATIONS_PER_PAGE
    page = page[:NOTIFICATIONS_PER_PAGE]
    context = {
        "notifications": page,
        "unread_only": unread_only,
        "next_before": page[-1].pk if has_more else None,
    }
    return render(request, "hotline/notifications.html", context)


def _back_to_list(request: HttpRequest) -> HttpResponseRedirect:
    """Back where the form was (a page of the list), never to another site."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or "notifications")


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notifications.mark_read(user=request.user, notification_id=pk)  # not_found: the 404 page
    if _wants_json(request):
        return JsonResponse({"unread": notifications.unread_count(user=request.user)})
    return _back_to_list(request)


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    marked = notifications.mark_all_read(user=request.user)
    if _wants_json(request):
        return JsonResponse({"unread": 0, "marked": marked})
    messages.success(request, _("Marked %(count)s notifications as read.") % {"count": marked})
    return _back_to_list(request)


@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link; opening it marks it read (idempotent, so GET is fine)."""
    notification = notifications.mark_read(user=request.user, notification_id=pk)  # not_found: the 404 page
    # The database only holds local paths; check again rather than trust it as a redirect target.
    if notification.link and url_has_allowed_host_and_scheme(notification.link, allowed_hosts=None):
        return redirect(notification.link)
    return redirect("notifications")


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For operators and monitoring: database, Redis and workers (beat included) each "ok" or
    not; 503 when any is not, naming it. `degraded` counts this process's fallbacks so far."""
    health = selectors.health()
    body = {
        "database": health.database,
        "redis": health.redis,
        "workers": health.workers,
        "last_heartbeat": health.last_heartbeat.isoformat() if health.last_heartbeat else None,
        "degraded": degraded.counts(),
    }
    return JsonResponse(body, status=200 if health.healthy else 503)


@login_not_required
@require_GET
def healthz_live(request: HttpRequest) -> JsonResponse:
    """Liveness of this web process alone, for a container's health check: it depends on no other
    service, so an outage elsewhere (shown by /healthz) does not get the web restarted."""
    return JsonResponse({"web": "ok"})


@login_not_required
def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_not_found(request, exception)
    return render(request, "404.html", status=404)


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body(status_code=500, code="server_error", message="Internal server error."), status=500
        )
    return render(request, "500.html", status=500)


def bad_input_response(
    request: HttpRequest, *, status: int, code: str, message: str, field: str | None = None
) -> HttpResponse:
    """A 400/413 for input the product cannot read, in the format of the part of the site asked;
    `field` names the parameter at fault, if one is."""
    if request.path.startswith("/api/"):
        if field:
            body = error_body(
                status_code=status, code=code, message=_("The input is not valid."), fields={field: [message]}
            )
        else:
            body = error_body(status_code=status, code=code, message=message)
        return JsonResponse(body, status=status)
    described = f"{field}: {message}" if field else message
    if request.path.startswith("/open311/"):
        return open311_error_response(path=request.path, status=status, message=described)
    return render(request, "400.html", {"message": described}, status=status)


@login_not_required
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's SuspiciousOperation / BadRequest (handler400); a body over the limit is 413."""
    if isinstance(exception, RequestDataTooBig):
        return bad_input_response(request, status=413, code="too_large", message=_("The request body is too large."))
    return bad_input_response(request, status=400, code="bad_request", message=_("The request is not valid."))
