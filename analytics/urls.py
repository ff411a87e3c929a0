from django.urls import path

from analytics import views

app_name = "analytics"
urlpatterns = [
    path("analytics/", views.overview, name="overview"),
    path("analytics/categories/", views.categories, name="categories"),
    path("analytics/places/", views.places, name="places"),
    path("analytics/hotspots/", views.hotspots, name="hotspots"),
    path("analytics/report/", views.disclosure_report, name="report"),
    path("analytics/screen/", views.screen, name="screen"),
]
