"""Uploaded files are never served from MEDIA_ROOT directly, in any mode."""

import importlib

import pytest
from django.test import override_settings
from django.urls import clear_url_caches

from dispatch.models import Attachment
from hotline import urls
from hotline.models import Role
from hotline.uploads import RandomName
from tests.factories import AttachmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def urls_as_in_debug(settings, tmp_path):
    """The URLconf as a DEBUG process (the demo) builds it at start-up, media in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path
    with override_settings(DEBUG=True):
        importlib.reload(urls)
        clear_url_caches()
        yield
    importlib.reload(urls)
    clear_url_caches()


def test_media_paths_are_404_even_in_debug(urls_as_in_debug, client, make_user, tmp_path):
    # Given a stored attachment of one street and an officer of another street
    attachment: Attachment = AttachmentFactory()
    client.force_login(make_user(Role.UNIT_OFFICER))
    # When they ask for its file under /media/
    assert (tmp_path / attachment.file.name).exists()
    response = client.get(f"/media/{attachment.file.name}")
    # Then nothing is served
    assert response.status_code == 404


def test_random_names_keep_only_a_known_extension():
    name = RandomName("dispatch")
    assert name(None, "张三 身份证.JPG").endswith(".jpg")
    assert "." not in name(None, "run.exe").rsplit("/", 1)[-1]
    assert name(None, "a.png") != name(None, "a.png")
