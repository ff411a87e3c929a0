from rest_framework.routers import SimpleRouter

from evaluation.api.views import AppealViewSet, CallbackViewSet, RankingViewSet, UnitResultViewSet

router = SimpleRouter()
router.register("rankings", RankingViewSet, basename="ranking")
router.register("ranking-results", UnitResultViewSet, basename="ranking-result")
router.register("callbacks", CallbackViewSet, basename="callback")
router.register("appeals", AppealViewSet, basename="appeal")
urlpatterns = router.urls
