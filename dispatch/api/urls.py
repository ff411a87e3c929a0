from django.urls import path
from rest_framework.routers import SimpleRouter

from dispatch.api.suggestions import DispatchSuggestionsView
from dispatch.api.views import (
    AssignmentViewSet,
    AttachmentDownloadView,
    DispatchQueueViewSet,
    ExtensionRequestViewSet,
    ReturnRequestViewSet,
    RoutingRuleViewSet,
)

router = SimpleRouter()
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("dispatch-queue", DispatchQueueViewSet, basename="dispatch-queue")
router.register("return-requests", ReturnRequestViewSet, basename="return-request")
router.register("extension-requests", ExtensionRequestViewSet, basename="extension-request")
router.register("routing-rules", RoutingRuleViewSet, basename="routing-rule")
urlpatterns = [
    path("attachments/<int:pk>/", AttachmentDownloadView.as_view(), name="api-attachment"),
    path("dispatch-suggestions/", DispatchSuggestionsView.as_view(), name="api-dispatch-suggestions"),
    *router.urls,
]
