"""The dashboard and the report in a real headless Chromium: every chart draws, no script error."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import services
from hotline.models import Role
from tests.conftest import login, wait_for_js
from tests.factories import generate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALL_CANVASES_HAVE_INK = """() => {
  const canvases = Array.from(document.querySelectorAll("canvas[data-chart]"));
  return canvases.length > 0 && canvases.every(canvas => {
    if (canvas.width === 0 || canvas.height === 0) return false;
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
    return false;
  });
}"""

RATES_CHART = """(name) => {
  const chart = Chart.getChart(document.querySelector(`canvas[data-chart=${name}]`));
  const data = chart.data;
  return {type: chart.config.type, lines: data.datasets.length, yMax: chart.scales.y.max, months: data.labels.length};
}"""


def test_dashboard_pages_draw_their_charts_without_errors(browser_page, make_user, city):
    # Given a city with three months of tickets counted by the rollups, and a city admin
    now = timezone.now()
    generate(city, count=150, first=now - timedelta(days=90), days=88)
    services.refresh_rollups(now=now)
    make_user(Role.CITY_ADMIN, username="analytics-browser")
    login(browser_page, "analytics-browser")
    browser_page.wait_for_url("**/")
    year = f"{timezone.localdate():%Y}"
    # When they open the overview of the year
    browser_page.goto(f"/analytics/?period={year}")
    # Then its six charts are drawn, the rates by month among them, with their table beside it
    wait_for_js(browser_page, ALL_CANVASES_HAVE_INK)
    assert browser_page.locator("canvas[data-chart]").count() == 6
    rates_chart = browser_page.evaluate(RATES_CHART, "chart-rates")
    assert rates_chart == {"type": "line", "lines": 3, "yMax": 100, "months": 12}
    # And the repeat-contact rate is a line of its own, in percent
    repeat_chart = browser_page.evaluate(RATES_CHART, "chart-repeat-contacts")
    assert repeat_chart == {"type": "line", "lines": 1, "yMax": 100, "months": 12}
    rates_card = browser_page.locator("section.card", has=browser_page.locator("[data-chart=chart-rates]"))
    assert rates_card.locator("tbody tr").count() == 12
    # And the categories, districts and report pages draw theirs too
    for path, charts in (("categories/", 1), ("places/", 2), ("report/", 7)):
        browser_page.goto(f"/analytics/{path}?period={year}")
        wait_for_js(browser_page, ALL_CANVASES_HAVE_INK)
        assert browser_page.locator("canvas[data-chart]").count() == charts
    # And choosing another period in the selector reloads the page for it
    browser_page.goto(f"/analytics/?period={year}")
    month = f"{timezone.localdate():%Y-%m}"
    browser_page.select_option("#id_period", month)
    browser_page.wait_for_url(f"**/analytics/?period={month}")
    wait_for_js(browser_page, ALL_CANVASES_HAVE_INK)
    assert browser_page.js_errors == []
