from django.urls import path
from rest_framework.routers import SimpleRouter

from intake.api.views import ArticleViewSet, RepeatCandidatesView, TicketViewSet

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")
router.register("articles", ArticleViewSet, basename="article")
urlpatterns = [
    path("candidates/", RepeatCandidatesView.as_view(), name="api-candidates"),
    *router.urls,
]
