from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from hotline import selectors
from hotline.api.errors import error_body, json_not_found


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    memberships = selectors.memberships_of(user=request.user)
    return render(request, "hotline/home.html", {"memberships": memberships})


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and operators: database reachable, workers and beat alive."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    beat = selectors.last_heartbeat()
    workers_ok = selectors.workers_alive()
    body = {
        "database": "ok",
        "workers": "ok" if workers_ok else "stale",
        "last_heartbeat": beat.created_at.isoformat() if beat else None,
    }
    return JsonResponse(body, status=200 if workers_ok else 503)


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
