"""The nightly relink through a real Celery worker on the Redis broker, as beat runs it."""

import pytest
from django.conf import settings

from tests.conftest import wait_until
from tests.topics.helpers import adopt, this_month
from topics import tasks
from topics.models import TopicTicket

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_the_nightly_relink_links_new_tickets_on_a_worker(
    celery_worker, city_admin, place, heating, lead_unit, received
):
    # Given an adopted topic and a matching ticket received after it (committed: the worker reads it)
    topic = adopt(city_admin, category=heating, places=[place.street], lead_unit=lead_unit)
    ticket = received(this_month(), category=heating.children.get(), street=place.street)
    assert not TopicTicket.objects.filter(topic=topic, ticket=ticket).exists()
    # When beat's task is enqueued on the topics queue
    assert settings.CELERY_TASK_ROUTES["topics.*"] == {"queue": "topics"}
    assert "relink-topics" in settings.CELERY_BEAT_SCHEDULE
    tasks.relink_topics.delay()
    # Then the worker links the ticket
    wait_until(lambda: TopicTicket.objects.filter(topic=topic, ticket=ticket).exists(), timeout=30)
