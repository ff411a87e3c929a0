"""The topic API under /api/v1/topics/: adopt, read, figures, measures, progress, status, relink."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hotline.months import add_months
from tests.topics.helpers import adopt, this_month
from topics.models import Topic

pytestmark = pytest.mark.django_db

TOPICS = "/api/v1/topics/"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


def test_a_city_admin_adopts_a_topic_and_reads_its_figures(api_client, city_admin, place, heating, lead_unit, received):
    leaf = heating.children.get()
    received(add_months(this_month(), -1), category=leaf, street=place.street)
    received(add_months(this_month(), -1), category=leaf, street=place.street, description="暖气不热")
    api_client.force_authenticate(city_admin)
    # When the admin adopts a topic through the API
    response = api_client.post(
        TOPICS,
        {
            "title": "供暖不热",
            "problem": "室温不达标。",
            "categories": [heating.pk],
            "keywords": ["暖气"],
            "places": [place.street.pk],
            "lead_unit": lead_unit.pk,
            "month": this_month().isoformat(),
            "tracked_from": add_months(this_month(), -2).isoformat(),
            "source": "candidate",
        },
        format="json",
    )
    # Then it is created with its tickets linked
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["ticket_count"], body["keywords"], body["lead_unit_name"]) == (2, ["暖气"], "市城市管理委")
    # And its figures show them before the topic's month
    figures = api_client.get(f"{TOPICS}{body['id']}/figures/").json()
    assert [month["count"] for month in figures["months"]] == [0, 2, 0]
    assert figures["before_average"] == "1.0000"
    assert figures["places"][0] == {"label": "丰台区新村街道", "before": 2, "after": 0}
    # And it can be moved on, and relinked
    assert api_client.post(f"{TOPICS}{body['id']}/status/", {"status": "in_progress"}).json()["status"] == "in_progress"
    refused = api_client.post(f"{TOPICS}{body['id']}/status/", {"status": "adopted"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "topic_status")
    assert api_client.post(f"{TOPICS}{body['id']}/relink/").json() == {"added": 0, "removed": 0}


def test_units_read_their_topics_and_post_progress_others_get_404(
    api_client,
    city_admin,
    lead_officer,
    co_officer,
    outsider,
    place,
    heating,
    lead_unit,
    co_unit,
    settings,
    tmp_path,
    django_assert_max_num_queries,
):
    settings.MEDIA_ROOT = tmp_path
    topic = adopt(city_admin, category=heating, places=[place.street], lead_unit=lead_unit, co_units=(co_unit,))
    adopt(city_admin, category=heating, places=[place.street], lead_unit=place.district, title="别人的题目")
    api_client.force_authenticate(city_admin)
    measure = api_client.post(
        f"{TOPICS}{topic.pk}/measures/",
        {"text": "更换管网", "owner": co_unit.pk, "due_date": this_month().isoformat()},
    ).json()
    # The co-unit's officer lists only its topic
    api_client.force_authenticate(co_officer)
    with django_assert_max_num_queries(10):
        listed = api_client.get(TOPICS).json()
    assert [row["id"] for row in listed["results"]] == [topic.pk]
    # And posts progress completing the measure, with a photo
    posted = api_client.post(
        f"{TOPICS}{topic.pk}/progress/",
        {
            "text": "已完成。",
            "measure": measure["id"],
            "measure_done": "true",
            "files": [SimpleUploadedFile("现场.png", PNG, content_type="image/png")],
        },
        format="multipart",
    )
    assert posted.status_code == 201, posted.json()
    assert posted.json()["attachments"][0]["name"] == "现场.png"
    assert api_client.get(f"{TOPICS}{topic.pk}/measures/").json()[0]["is_done"] is True
    assert len(api_client.get(f"{TOPICS}{topic.pk}/progress/").json()) == 1
    # But may not edit, add measures or relink (404)
    assert api_client.post(f"{TOPICS}{topic.pk}/relink/").status_code == 404
    assert api_client.post(f"{TOPICS}{topic.pk}/measures/", {"text": "x"}).status_code == 404
    # A unit outside the topic sees nothing of it
    api_client.force_authenticate(outsider)
    assert api_client.get(TOPICS).json()["results"] == []
    assert api_client.get(f"{TOPICS}{topic.pk}/").status_code == 404
    assert api_client.post(f"{TOPICS}{topic.pk}/progress/", {"text": "x"}).status_code == 404
    # And anonymous clients must authenticate
    api_client.force_authenticate(None)
    assert api_client.get(TOPICS).status_code == 401
    assert Topic.objects.count() == 2


def test_an_invalid_topic_is_refused_in_the_common_error_format(api_client, city_admin, lead_unit):
    api_client.force_authenticate(city_admin)
    response = api_client.post(
        TOPICS,
        {"title": "无题", "problem": "无", "lead_unit": lead_unit.pk, "month": this_month().isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "categories" in response.json()["error"]["fields"]
