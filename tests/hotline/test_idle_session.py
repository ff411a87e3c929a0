"""Browser sessions end after SESSION_IDLE_TIMEOUT without a request; API tokens do not."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from hotline.models import Role

pytestmark = pytest.mark.django_db


def test_a_session_idle_longer_than_the_timeout_is_logged_out(make_user, settings):
    # Given a logged-in agent and a 30-minute idle timeout
    settings.SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    client = Client()
    client.force_login(make_user(Role.AGENT))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.get("/notifications/").status_code == 200
    # When they come back after 31 minutes
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.get("/notifications/")
    # Then they are sent to log in again
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_activity_keeps_the_session(make_user, settings):
    settings.SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    client = Client()
    client.force_login(make_user(Role.AGENT))
    start = timezone.now()
    for minutes in (0, 20, 40, 60):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/notifications/").status_code == 200, minutes


def test_api_tokens_are_not_affected(make_user, settings):
    settings.SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=make_user(Role.AGENT)).key}")
    start = timezone.now()
    for minutes in (0, 120):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/api/v1/me/").status_code == 200
