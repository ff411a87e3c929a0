from django.urls import path
from rest_framework.routers import SimpleRouter

from intake.api.views import (
    ArticleViewSet,
    ProactiveImportView,
    ProactiveTicketView,
    RepeatCandidatesView,
    TicketViewSet,
)

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")
router.register("articles", ArticleViewSet, basename="article")
urlpatterns = [
    path("candidates/", RepeatCandidatesView.as_view(), name="api-candidates"),
    path("proactive-tickets/", ProactiveTicketView.as_view(), name="api-proactive-tickets"),
    path("proactive-tickets/import/", ProactiveImportView.as_view(), name="api-proactive-import"),
    *router.urls,
]
