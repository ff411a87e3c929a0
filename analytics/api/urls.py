from django.urls import path

from analytics.api import views

urlpatterns = [
    path("analytics/volume/", views.VolumeView.as_view(), name="api-analytics-volume"),
    path("analytics/rates/", views.RatesView.as_view(), name="api-analytics-rates"),
    path("analytics/top-categories/", views.TopCategoriesView.as_view(), name="api-analytics-top-categories"),
    path("analytics/districts/", views.DistrictTableView.as_view(), name="api-analytics-districts"),
    path("analytics/zones/", views.ZoneTableView.as_view(), name="api-analytics-zones"),
    path("analytics/hotspots/", views.HotSpotsView.as_view(), name="api-analytics-hotspots"),
    path("analytics/screen/", views.ScreenView.as_view(), name="api-analytics-screen"),
]
