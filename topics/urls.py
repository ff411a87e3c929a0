from django.urls import path

from topics import views

app_name = "topics"
urlpatterns = [
    path("topics/", views.topic_list, name="list"),
    path("topics/new/", views.topic_create, name="create"),
    path("topics/<int:topic_id>/", views.topic_detail, name="detail"),
    path("topics/<int:topic_id>/edit/", views.topic_edit, name="edit"),
    path("topics/<int:topic_id>/progress/", views.topic_progress, name="progress"),
    path("topics/<int:topic_id>/measures/", views.topic_measure, name="measure"),
    path("topics/<int:topic_id>/status/", views.topic_status, name="status"),
    path("topics/<int:topic_id>/relink/", views.topic_relink, name="relink"),
    path("topics/<int:topic_id>/proactive/", views.topic_proactive, name="proactive"),
    path("topics/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
