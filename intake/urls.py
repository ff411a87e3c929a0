from django.urls import path

from intake import views

app_name = "intake"
urlpatterns = [
    path("desk/", views.desk, name="desk"),
    path("desk/caller/", views.desk_caller, name="desk_caller"),
    path("desk/candidates/", views.desk_candidates, name="desk_candidates"),
    path("desk/articles/", views.desk_articles, name="desk_articles"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:ticket_id>/callers/<int:caller_id>/sms/", views.caller_sms, name="caller_sms"),
    path("proactive/", views.proactive, name="proactive"),
    path("proactive/import/", views.proactive_import, name="proactive_import"),
    path("knowledge/", views.article_list, name="article_list"),
    path("knowledge/new/", views.article_create, name="article_create"),
    path("knowledge/<int:article_id>/edit/", views.article_edit, name="article_edit"),
    path("public/submit/", views.public_submit, name="public_submit"),
    path("public/status/", views.public_status, name="public_status"),
]
