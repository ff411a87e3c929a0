from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from hotline import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/live", views.healthz_live, name="healthz_live"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read-all/", views.notification_read_all, name="notification_mark_all_read"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_mark_read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Public, so the login page can switch language too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("hotline.api.router")),
    path("open311/v2/", include("open311.urls")),
    path("", include("intake.urls")),
    path("", include("dispatch.urls")),
    path("", include("evaluation.urls")),
    path("", include("analytics.urls")),
    path("", include("topics.urls")),
    path("", include("reports.urls")),
]
# No route serves MEDIA_ROOT, in any mode: uploads are read only through the views that check
# who may see them (dispatch:attachment, evaluation:appeal_attachment, topics:attachment).

handler400 = "hotline.views.bad_request"
handler404 = "hotline.views.not_found"
handler500 = "hotline.views.server_error"
