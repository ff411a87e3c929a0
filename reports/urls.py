from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("reports/", views.report_list, name="list"),
    path("reports/<int:pk>/", views.report_detail, name="detail"),
    path("reports/<int:pk>/xlsx/", views.report_file, {"fmt": "xlsx"}, name="xlsx"),
    path("reports/<int:pk>/pdf/", views.report_file, {"fmt": "pdf"}, name="pdf"),
]
