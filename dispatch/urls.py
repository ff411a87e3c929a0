from django.urls import path

from dispatch import views

app_name = "dispatch"
urlpatterns = [
    path("workbench/", views.workbench, name="workbench"),
    path("workbench/sign/", views.bulk_sign, name="bulk_sign"),
    path("workbench/<int:pk>/", views.assignment_detail, name="assignment"),
    path("workbench/<int:pk>/caller-phone/", views.caller_phone, name="caller_phone"),
    path("workbench/<int:pk>/description/", views.description, name="description"),
    path("workbench/<int:pk>/<slug:step>/", views.assignment_step, name="step"),
    path("workbench/attachments/<int:pk>/", views.attachment, name="attachment"),
    path("supervision/", views.supervision, name="supervision"),
    path("supervision/<int:pk>/supervise/", views.supervise, name="supervise"),
    path("dispatch/", views.queue, name="queue"),
    path("dispatch/tickets/<int:pk>/", views.dispatch_ticket, name="dispatch_ticket"),
    path("dispatch/tickets/<int:pk>/merge/", views.merge_ticket, name="merge_ticket"),
    path("dispatch/reviews/", views.returns, name="returns"),
    path("dispatch/reviews/returns/<int:pk>/", views.return_review, name="return_review"),
    path("dispatch/reviews/extensions/<int:pk>/", views.extension_decide, name="extension_decide"),
    path("dispatch/catalogue/", views.catalogue, name="catalogue"),
    path("dispatch/catalogue/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("dispatch/catalogue/<int:pk>/retire/", views.rule_retire, name="rule_retire"),
    path("dispatch/reply-sms/", views.feedback_templates, name="feedback_templates"),
    path("dispatch/reply-sms/<slug:outcome>/", views.feedback_template_edit, name="feedback_template_edit"),
]
