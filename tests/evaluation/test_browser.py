"""The ranking page and the unit trend in a real headless browser: charts draw, columns sort."""

import pytest

from hotline.models import Role
from tests.conftest import login, wait_for_js

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CANVAS_HAS_INK = """(id) => {
  const canvas = document.getElementById(id);
  if (!canvas || canvas.width === 0 || canvas.height === 0) return false;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
  return false;
}"""


def first_column(page, index: int) -> list[str]:
    return page.eval_on_selector_all(
        "#ranking-table tbody tr", f"rows => rows.map(row => row.cells[{index}].textContent.trim())"
    )


def test_ranking_page_draws_sorts_and_the_trend_chart_draws(browser_page, make_user, ranked_october):
    # Given a published October and a city admin
    make_user(Role.CITY_ADMIN, username="admin-browser")
    login(browser_page, "admin-browser")
    browser_page.wait_for_url("**/")
    # When they open the street ranking
    browser_page.goto("/evaluation/rankings/?month=2026-10&kind=street")
    # Then the composite chart is drawn and the table is in rank order
    wait_for_js(browser_page, CANVAS_HAS_INK, arg="ranking-chart")
    assert first_column(browser_page, 1) == ["甲街道", "乙街道", "丁街道", "丙街道"]
    # And sorting by the composite score puts the lowest first, a second click the highest
    header = browser_page.locator("#ranking-table th", has_text="综合得分")
    header.click()
    assert first_column(browser_page, 1) == ["丙街道", "丁街道", "乙街道", "甲街道"]
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    assert first_column(browser_page, 1)[0] == "甲街道"
    # And the unit's page draws its trend chart
    browser_page.click("#ranking-table >> text=乙街道")
    browser_page.wait_for_url("**/evaluation/units/**")
    wait_for_js(browser_page, CANVAS_HAS_INK, arg="trend-chart")
    assert browser_page.js_errors == []
