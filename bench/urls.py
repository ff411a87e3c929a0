from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hotline.urls import handler400, handler404, handler500  # noqa: F401
from hotline.urls import urlpatterns as product_urlpatterns
from intake.api.views import CanTakeIn


@csrf_exempt
@login_not_required
@require_POST
def bare_insert(request: HttpRequest) -> JsonResponse:
    """The floor the intake API is measured against: Django, one INSERT, a JSON answer."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_bare (payload, created_at) VALUES (%s, now()) RETURNING id", [request.body.decode()]
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


class FrameworkFloor(APIView):
    """What DRF costs before the intake does any work: the intake's authentication, throttling
    and permission checks, the JSON body parsed, a JSON answer, nothing written."""

    permission_classes = [permissions.IsAuthenticated, CanTakeIn]

    def post(self, request: Request) -> Response:
        return Response({"received": len(request.data)}, status=201)


urlpatterns = [
    path("bench/bare/", bare_insert),
    path("bench/drf-floor/", FrameworkFloor.as_view()),
    *product_urlpatterns,
]
