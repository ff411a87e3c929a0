"""Login, lockout, and the permission basics every page and API shares."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from hotline.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/admin/"])
def test_anonymous_pages_redirect_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login")) or "login" in response["Location"]


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/units/", "/api/v1/categories/"])
def test_api_without_credentials_is_401_in_the_common_error_format(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "status": 401,
            "code": "not_authenticated",
            "message": response.json()["error"]["message"],
            "fields": {},
        }
    }
    assert response.json()["error"]["message"]


def test_api_with_a_bad_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_unknown_api_path_is_404_json(admin_client):
    response = admin_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_token_client_sees_its_roles(api_client, make_user):
    user = make_user(Role.API_CLIENT)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["memberships"][0]["role"] == "api_client"


def test_login_page_speaks_chinese_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_english_through_the_language_switch(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    response = client.get(reverse("login"))
    assert "Log in" in response.content.decode()


def test_login_then_home_lands_on_the_roles_work(client, make_user):
    make_user(Role.AGENT, username="agent1")
    response = client.post(reverse("login"), {"username": "agent1", "password": "secret-pass-123"})
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 302
    assert home["Location"] == reverse("intake:desk")


def test_wrong_password_is_a_form_error(client):
    UserFactory(username="someone")
    response = client.post(reverse("login"), {"username": "someone", "password": "wrong"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_lockout_after_repeated_failures(client, settings):
    # Given a user and the configured failure limit
    UserFactory(username="target")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "target", "password": "wrong"})
    # When the right password is tried after that
    response = client.post(reverse("login"), {"username": "target", "password": "secret-pass-123"})
    # Then the account is locked and the user is not logged in
    assert response.status_code == 429
    assert "账户已锁定" in response.content.decode()
    assert client.get("/").status_code == 302


def test_healthz_is_public_and_reports_stale_workers(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert response.json()["redis"] == "ok"
    assert response.json()["workers"] == "stale"


def test_the_api_schema_and_its_docs_are_public(api_client, client):
    # Clients and contract testers read the schema before they have a token: it holds no data
    schema = api_client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/v1/tickets/" in schema.json()["paths"]
    assert client.get("/api/v1/docs/").status_code == 200
