"""The topic page in a real headless Chromium: adopted from a candidate line, it draws its volume
chart, and a unit's progress (with a photo) completes a measure; no script error."""

import pytest

from hotline.months import add_months
from tests.conftest import login, wait_for_js
from tests.topics.helpers import this_month
from topics.models import Topic, TopicMeasure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CANVAS_HAS_INK = """() => {
  const canvas = document.querySelector("canvas[data-chart=chart-topic-volume]");
  if (!canvas || canvas.width === 0 || canvas.height === 0) return false;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
  return false;
}"""
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


def test_a_topic_adopted_from_a_candidate_shows_its_volume_and_measures_progress(
    browser_page, city_admin, place, heating, lead_unit, received, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    page = browser_page
    # Given tickets of the candidate's category in a street over the last two months
    leaf = heating.children.get()
    for back, count in ((2, 3), (1, 2)):
        for _ in range(count):
            received(add_months(this_month(), -back), category=leaf, street=place.street)
    login(page, city_admin.username)
    page.wait_for_url("**/")

    # When the city admin adopts the candidate line as a topic, its rule prefilled
    page.goto(f"/topics/new/?category={heating.pk}&street={place.street.pk}&source=candidate")
    assert page.input_value("#id_title") == f"新村街道{heating.name}"
    page.fill("#id_problem", "老旧小区供暖不热，反复投诉。")
    page.fill("#id_tracked_from", add_months(this_month(), -2).strftime("%Y-%m"))
    page.click("#topic-form button[type=submit]")
    page.wait_for_url("**/topics/*/")

    # Then its page draws the volume before and after, per month and per place
    wait_for_js(page, CANVAS_HAS_INK)
    months = page.locator("#volume-months tbody tr")
    assert months.count() == 3
    assert [months.nth(i).locator("td").nth(1).inner_text() for i in range(3)] == ["3", "2", "0"]
    assert "丰台区新村街道" in page.locator("#volume-places").inner_text()
    assert page.locator("#volume-change").inner_text().startswith("-")

    # When the lead unit's progress completes a measure, with a photo
    topic = Topic.objects.get()
    measure = TopicMeasure.objects.create(topic=topic, text="更换老旧管网", owner=lead_unit, due_date=this_month())
    page.reload()
    page.select_option("#id_measure", str(measure.pk))
    page.check("#id_measure_done")
    page.fill("#id_text", "已完成3个小区管网改造。")
    page.set_input_files("#id_files", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}])
    page.click("#progress-form button[type=submit]")
    page.wait_for_load_state()

    # Then the timeline shows it with its photo and the measure is done
    timeline = page.locator("#timeline").inner_text()
    assert "已完成3个小区管网改造。" in timeline
    assert "现场.png" in timeline
    assert page.locator("#topic-measures tr.done").count() == 1
    topic.refresh_from_db()
    assert topic.status == "in_progress"
    assert page.js_errors == []
