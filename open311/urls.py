from django.urls import re_path

from open311 import views

app_name = "open311"

SUFFIX = r"\.(?P<format>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + SUFFIX, views.DiscoveryView.as_view(), name="discovery"),
    re_path(r"^services" + SUFFIX, views.ServiceListView.as_view(), name="services"),
    re_path(r"^services/(?P<service_code>[^/]+)" + SUFFIX, views.ServiceDefinitionView.as_view(), name="service"),
    re_path(r"^requests" + SUFFIX, views.RequestListView.as_view(), name="requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]+)" + SUFFIX, views.RequestDetailView.as_view(), name="request"),
    re_path(
        r"^request/(?P<service_request_id>[^/]+)" + SUFFIX, views.SingleRequestView.as_view(), name="single-request"
    ),
    re_path(r"^tokens/(?P<token>[^/]+)" + SUFFIX, views.TokenView.as_view(), name="token"),
    re_path(r"", views.NotFoundView.as_view(), name="not-found"),
]
