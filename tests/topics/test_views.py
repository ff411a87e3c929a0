"""The topic pages: the register, adopting from a candidate line, the topic's page and its forms."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hotline.months import add_months
from tests.factories import CategoryFactory
from tests.topics.helpers import adopt, this_month
from topics.models import Topic, TopicMeasure, TopicProgress, TopicStatus

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


def test_the_register_lists_topics_in_bounded_queries_and_units_see_only_theirs(
    client, city_admin, lead_officer, outsider, place, heating, lead_unit, django_assert_max_num_queries
):
    # Given twelve topics, one led by the officer's unit
    mine = adopt(city_admin, category=heating, places=[place.street], lead_unit=lead_unit, title="我的题目")
    for number in range(11):
        adopt(city_admin, category=heating, places=[place.street], lead_unit=place.district, title=f"题目{number}")
    # When the city admin opens the register
    client.force_login(city_admin)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("topics:list")).content.decode()
    # Then every topic is listed with the adopt button
    assert page.count('href="/topics/') >= 12
    assert reverse("topics:create") in page
    # And the lead unit's officer sees only its topic, without the button
    client.force_login(lead_officer)
    page = client.get(reverse("topics:list")).content.decode()
    assert "我的题目" in page
    assert "题目3" not in page
    assert reverse("topics:create") not in page
    assert client.get(reverse("topics:detail", args=[mine.pk])).status_code == 200
    # And a unit outside it gets 404 for the topic, as for adopting
    client.force_login(outsider)
    assert client.get(reverse("topics:detail", args=[mine.pk])).status_code == 404
    assert client.get(reverse("topics:create")).status_code == 404


def test_adopting_from_a_candidate_line_prefills_the_rule(client, city_admin, place, heating, lead_unit, received):
    # Given tickets of the category in the street last month
    leaf = heating.children.get()
    for _ in range(3):
        received(add_months(this_month(), -1), category=leaf, street=place.street)
    client.force_login(city_admin)
    # When the admin follows "adopt as topic" from a hot-spot line
    url = reverse("topics:create") + f"?category={heating.pk}&street={place.street.pk}&source=hot_spot"
    form = client.get(url).content.decode()
    # Then the form names the category, the street (and it as lead unit) and the keyword
    assert re.search(rf'<option value="{heating.pk}" selected>', form)
    assert re.search(rf'<option value="{place.street.pk}" selected>', form)
    assert heating.name in form
    # When it is submitted with a problem statement
    response = client.post(
        url,
        {
            "title": "新村街道供暖不热",
            "problem": "老旧小区室温不达标。",
            "categories": [heating.pk],
            "keywords": "",
            "places": [place.street.pk],
            "lead_unit": lead_unit.pk,
            "month": this_month().strftime("%Y-%m"),
            "tracked_from": add_months(this_month(), -2).strftime("%Y-%m"),
            "source": "hot_spot",
        },
    )
    # Then the topic is adopted with its tickets linked, and its page shows them before adoption
    topic = Topic.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("topics:detail", args=[topic.pk])
    assert (topic.source, topic.links.count()) == ("hot_spot", 3)
    page = client.get(response["Location"]).content.decode()
    assert "丰台区新村街道" in page
    assert 'id="chart-topic-volume"' in page


def test_the_topic_page_runs_a_bounded_number_of_queries(
    client, city_admin, place, heating, lead_unit, co_unit, received, django_assert_max_num_queries
):
    leaf = heating.children.get()
    for back in range(3):
        for street in (place.street, place.other_street):
            received(add_months(this_month(), -back), category=leaf, street=street)
    topic = adopt(city_admin, category=heating, places=[place.district], lead_unit=lead_unit, co_units=(co_unit,))
    for number in range(5):
        TopicMeasure.objects.create(topic=topic, text=f"措施{number}", owner=lead_unit, due_date=this_month())
        TopicProgress.objects.create(topic=topic, author=city_admin, text=f"进展{number}")
    client.force_login(city_admin)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("topics:detail", args=[topic.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("措施") >= 5
    assert page.count("进展") >= 5


def test_the_lead_unit_posts_progress_with_a_photo_and_completes_a_measure(
    client, city_admin, lead_officer, place, heating, lead_unit, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    topic = adopt(city_admin, category=heating, places=[place.street], lead_unit=lead_unit)
    measure = TopicMeasure.objects.create(topic=topic, text="更换管网", owner=lead_unit, due_date=this_month())
    client.force_login(lead_officer)
    response = client.post(
        reverse("topics:progress", args=[topic.pk]),
        {
            "text": "管网改造完成。",
            "measure": measure.pk,
            "measure_done": "on",
            "files": [SimpleUploadedFile("现场.png", PNG, content_type="image/png")],
        },
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.status == TopicStatus.IN_PROGRESS
    progress = TopicProgress.objects.get(topic=topic)
    assert progress.unit == lead_unit
    attachment = progress.attachments.get()
    page = client.get(reverse("topics:detail", args=[topic.pk])).content.decode()
    assert reverse("topics:attachment", args=[attachment.pk]) in page
    download = client.get(reverse("topics:attachment", args=[attachment.pk]))
    assert download.status_code == 200
    # The officer may not add measures or change the status (404)
    assert client.post(reverse("topics:measure", args=[topic.pk]), {"text": "x"}).status_code == 404
    assert client.post(reverse("topics:status", args=[topic.pk]), {"status": "resolved"}).status_code == 404


def test_an_empty_progress_is_refused_on_the_form(client, city_admin, place, heating, lead_unit):
    topic = adopt(city_admin, category=heating, places=[place.street], lead_unit=lead_unit)
    client.force_login(city_admin)
    response = client.post(reverse("topics:progress", args=[topic.pk]), {"text": " "})
    assert response.status_code == 200
    assert 'id="progress-form"' in response.content.decode()
    assert not TopicProgress.objects.exists()


def test_the_hot_spot_page_offers_city_admins_to_adopt_a_candidate(client, city_admin, make_user, heating, settings):
    from analytics.models import MonthlyRollup
    from hotline.models import Role

    # Given a month whose rollups make the heating category a monthly-topic candidate
    settings.ANALYTICS_TOPIC_MIN_CALLBACKS = 10
    month = add_months(this_month(), -1)
    leaf = heating.children.get()
    other = CategoryFactory()
    for category, resolved in ((leaf, 20), (other, 45)):
        MonthlyRollup.objects.create(
            month=month,
            category=category,
            kind="complaint",
            channel="phone",
            received=200,
            callbacks_answered=50,
            callbacks_resolved=resolved,
        )
    url = f"{reverse('analytics:hotspots')}?period={month:%Y-%m}"
    adopt_link = f"{reverse('topics:create')}?category={heating.pk}&amp;source=candidate"
    # When a city admin opens the hot-spot page, then the candidate line offers to adopt it
    client.force_login(city_admin)
    assert adopt_link in client.get(url).content.decode()
    # And a hotline supervisor reads the same line without the offer
    client.force_login(make_user(Role.HOTLINE_SUPERVISOR))
    page = client.get(url).content.decode()
    assert f"category={heating.pk}" in page
    assert adopt_link not in page
