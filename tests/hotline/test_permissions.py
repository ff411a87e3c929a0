"""Not allowed → not found (hotline.permissions.require): one refusal, the product's 404 page in
HTML and the JSON 404 "not_found" in the API, never 403."""

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from rest_framework.test import APIClient

from hotline.errors import DomainError
from hotline.models import Role
from hotline.permissions import require
from hotline.urls import urlpatterns as product_urls
from tests.factories import StreetFactory, UserFactory

pytestmark = pytest.mark.django_db


def guarded(request: HttpRequest, allowed: str) -> HttpResponse:
    require(allowed == "yes")
    return HttpResponse("the page")


urlpatterns = [path("guarded/<str:allowed>/", guarded), *product_urls]
handler404 = "hotline.views.not_found"


@pytest.fixture
def signed_in(settings) -> Client:
    settings.DEBUG = False  # the product's error pages, as in production
    client = Client()
    client.force_login(UserFactory())
    return client


def test_require_passes_what_is_allowed_and_refuses_the_rest_with_not_found():
    require(True)
    with pytest.raises(DomainError) as refused:
        require(False)
    assert (refused.value.code, refused.value.status, refused.value.fields) == ("not_found", 404, {})


@pytest.mark.urls("tests.hotline.test_permissions")
def test_a_view_that_requires_shows_the_page_when_allowed_and_the_products_404_page_otherwise(signed_in):
    assert signed_in.get("/guarded/yes/").content == b"the page"
    refused = signed_in.get("/guarded/no/")
    assert refused.status_code == 404
    assert refused.templates[0].name == "404.html"
    assert "页面不存在" in refused.content.decode()


def test_a_page_and_an_api_route_hidden_from_a_role_answer_the_same_404(settings, make_user):
    # Given a unit officer, for whom dispatching does not exist
    settings.DEBUG = False
    officer = make_user(Role.UNIT_OFFICER, unit=StreetFactory())
    page, api = Client(), APIClient()
    page.force_login(officer)
    api.force_authenticate(officer)
    # When the officer opens the dispatcher's queue as a page and through the API
    html = page.get("/dispatch/")
    json = api.get("/api/v1/dispatch-queue/")
    # Then the page is the product's 404 page, and the API its JSON 404 "not_found"
    assert html.status_code == 404
    assert html.templates[0].name == "404.html"
    assert json.status_code == 404
    assert json.json() == {"error": {"status": 404, "code": "not_found", "message": "未找到。", "fields": {}}}
