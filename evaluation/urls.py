from django.urls import path

from evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("evaluation/callbacks/", views.callback_queue, name="callback_queue"),
    path("evaluation/callbacks/<int:callback_id>/", views.callback_detail, name="callback_detail"),
    path("survey/<str:token>/", views.survey, name="survey"),
    path("evaluation/rankings/", views.ranking, name="ranking"),
    path("evaluation/rankings/export.csv", views.ranking_csv, name="ranking_csv"),
    path("evaluation/rankings/export.xlsx", views.ranking_xlsx, name="ranking_xlsx"),
    path("evaluation/rankings/recompute/", views.ranking_recompute, name="ranking_recompute"),
    path("evaluation/rankings/compute/", views.ranking_compute, name="ranking_compute"),
    path("evaluation/rankings/publish/", views.ranking_publish, name="ranking_publish"),
    path("evaluation/units/<int:unit_id>/", views.unit_detail, name="unit_detail"),
    path("evaluation/units/<int:unit_id>/tickets/", views.unit_tickets, name="unit_tickets"),
    path("evaluation/districts/<int:district_id>/", views.district_detail, name="district_detail"),
    path("evaluation/appeals/", views.appeal_list, name="appeal_list"),
    path("evaluation/appeals/new/", views.appeal_create, name="appeal_create"),
    path("evaluation/appeals/review/", views.appeal_review, name="appeal_review"),
    path("evaluation/appeals/<int:appeal_id>/", views.appeal_detail, name="appeal_detail"),
    path("evaluation/appeals/<int:appeal_id>/attachment/", views.appeal_attachment, name="appeal_attachment"),
]
