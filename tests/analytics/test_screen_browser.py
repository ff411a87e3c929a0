"""The big screen in a real headless Chromium at 1920 × 1080: it fills the screen without scrolling,
shows every district's tile, and its polling re-draws the figures (or warns when it cannot)."""

import struct
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from analytics.models import DailyRollup, MonthlyRollup
from dispatch.models import Assignment
from hotline.models import Category, Role, Unit, UnitKind
from tests.conftest import login, wait_for_js
from tests.factories import LeadAssignmentFactory, TicketFactory, sum_district_months

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 1920, 1080
PAGE_SIZE = "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
TILES_IN_VIEW = """([width, height]) => Array.from(document.querySelectorAll("[data-tile-map] .tile")).map(tile => {
  const box = tile.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && box.left >= 0 && box.top >= 0 && box.right <= width && box.bottom <= height;
})"""


def png_size(path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def test_the_big_screen_fills_1920_by_1080_and_refreshes_itself(browser_page, make_user, beijing, settings, tmp_path):
    # Given Beijing's sixteen districts with requests today and this month, a screen that asks every
    # second (its data attribute) and reads the figures afresh each time
    settings.ANALYTICS_SCREEN_POLL_SECONDS = 1
    settings.ANALYTICS_SCREEN_CACHE_SECONDS = 0
    cache.clear()
    districts = list(Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("code"))
    by_parent: dict[int, Category] = {}  # one leaf under each of sixteen second-level categories
    for leaf in Category.objects.filter(level=3).order_by("code"):
        by_parent.setdefault(leaf.parent_id, leaf)
    leaves = list(by_parent.values())
    today = timezone.localdate()
    for index, district in enumerate(districts):
        leaf = leaves[index]
        fields = {"category": leaf, "kind": "complaint", "channel": "phone", "district": district}
        DailyRollup.objects.create(day=today, received=index + 1, dispatched=index, **fields)
        MonthlyRollup.objects.create(month=today.replace(day=1), received=(index + 1) * 40, **fields)
    sum_district_months()
    make_user(Role.HOTLINE_SUPERVISOR, username="screen-browser")
    login(browser_page, "screen-browser")
    browser_page.wait_for_url("**/")
    # When they open the big screen on a 1920 × 1080 display
    browser_page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    browser_page.goto("/analytics/screen/")
    wait_for_js(browser_page, "() => Number(document.body.dataset.drawn) >= 1")
    # Then the page fills the screen without scrolling either way
    width, height = browser_page.evaluate(PAGE_SIZE)
    assert width <= WIDTH
    assert height <= HEIGHT
    # and every district's tile is drawn inside it, with today's figures and the top categories
    in_view = browser_page.evaluate(TILES_IN_VIEW, [WIDTH, HEIGHT])
    assert len(in_view) == 16
    assert all(in_view)
    assert browser_page.locator("[data-figure=received_today]").inner_text() == str(sum(range(1, 17)))
    assert browser_page.locator("[data-categories] li").count() == 8
    assert browser_page.locator("[data-legend] .swatch").count() == 6
    # and a screenshot of it is exactly 1920 × 1080
    shot = tmp_path / "big-screen.png"
    browser_page.screenshot(path=str(shot))
    assert png_size(shot) == (WIDTH, HEIGHT)
    assert browser_page.locator("[data-figure=overdue]").inner_text() == "0"

    # When a lead assignment runs past its deadline
    ticket = TicketFactory(district=districts[0])
    lead = LeadAssignmentFactory(ticket=ticket, unit=districts[0], dispatched_at=timezone.now() - timedelta(days=2))
    Assignment.objects.filter(pk=lead.pk).update(due_at=timezone.now() - timedelta(hours=1))
    # Then the next poll shows it, without a reload
    wait_for_js(browser_page, "() => document.querySelector('[data-figure=overdue]').textContent === '1'")
    assert browser_page.locator("[data-stale]").is_hidden()
    assert browser_page.js_errors == []

    # When a refresh fails
    browser_page.route("**/api/v1/analytics/screen/", lambda route: route.abort())
    # Then the screen keeps its figures and says they may be out of date
    browser_page.locator("[data-stale]").wait_for(state="visible", timeout=10_000)
    assert browser_page.locator("[data-figure=overdue]").inner_text() == "1"
    # and once the server answers again, the warning goes
    browser_page.unroute("**/api/v1/analytics/screen/")
    browser_page.locator("[data-stale]").wait_for(state="hidden", timeout=10_000)
