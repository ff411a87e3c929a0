"""The API's one router; each app registers its viewsets here."""

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from hotline.api.views import CategoryViewSet, MeView, NotificationViewSet, UnitViewSet
from hotline.csp import DOCS_POLICY, with_policy

router = DefaultRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("categories", CategoryViewSet, basename="category")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="api-schema"),
    # The split view serves Swagger UI's start script as a file of its own: no inline script.
    path(
        "docs/",
        login_not_required(with_policy(DOCS_POLICY)(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))),
        name="api-docs",
    ),
    path("", include(router.urls)),
    path("", include("intake.api.urls")),
    path("", include("dispatch.api.urls")),
    path("", include("evaluation.api.urls")),
    path("", include("analytics.api.urls")),
    path("", include("topics.api.urls")),
    path("", include("webhooks.api.urls")),
]
