"""The product's own error pages, in Chinese by default, for what users meet in production."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path

from hotline.urls import urlpatterns as product_urls
from tests.factories import UserFactory


def refuse(request):
    raise PermissionDenied


urlpatterns = [path("refuse/", refuse), *product_urls]
handler404 = "hotline.views.not_found"
handler500 = "hotline.views.server_error"

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(settings) -> Client:
    settings.DEBUG = False
    client = Client()
    client.force_login(UserFactory())
    return client


@pytest.mark.urls("tests.hotline.test_error_pages")
def test_a_refused_page_is_the_products_chinese_403(officer_client):
    response = officer_client.get("/refuse/")
    assert response.status_code == 403
    assert "无权" in response.content.decode() or "拒绝" in response.content.decode()
    assert response.templates[0].name == "403.html"


def test_an_unknown_page_is_the_products_chinese_404(officer_client):
    response = officer_client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_a_form_posted_without_its_csrf_token_is_the_products_403_page(settings):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    response = client.post("/notifications/read-all/")
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


@pytest.mark.parametrize(("path", "expected"), [("/", "text/html"), ("/api/v1/tickets/", "application/json")])
def test_a_request_for_a_host_not_served_is_the_products_400(settings, path, expected):
    # Given a production site serving its own names only
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["hotline.example"]

    # When a scanner asks for it under another name (refused before the authentication ran)
    response = Client().get(path, HTTP_HOST="scanner.invalid")

    # Then it gets the product's own 400, not a crashed error page
    assert response.status_code == 400
    assert response["Content-Type"].startswith(expected)
