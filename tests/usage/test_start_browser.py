"""The start page in Debian's Chromium: a scientist books a four-hour slot from it with one click
to a calendar, a drag and the Book button; a manager's grouped menu opens without script."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.bookings.test_browser import next_weekday
from tests.bookings.test_calendar_browser import drag, slot_point
from tests.support.clients import PASSWORD
from tests.support.databases import SQLITE_ONLY

pytestmark = [pytest.mark.browser, SQLITE_ONLY]


def sign_in_at_start(page, base: str, email: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


def test_a_four_hour_slot_from_the_start_page(browser, live_server, people, tmp_path):
    scientist = people.make(password=PASSWORD)
    page = browser.new_context(viewport={"width": 1280, "height": 1400}).new_page()
    sign_in_at_start(page, live_server.url, scientist.email)
    page.screenshot(path=str(Path(os.environ.get("FACILITY_SCREENSHOT_DIR", tmp_path)) / "start-scientist.png"))
    page.locator("#pick-calendars").get_by_role("link", name="Biosafety cabinet").click()
    page.locator(".cal-free").first.wait_for()
    page.get_by_role("button", name="→").click()  # next week: the calendar fetches it
    thursday = next_weekday(7, 3)
    # the next week's free time, not the last week's still on the page
    page.locator(f"td.fc-timegrid-col[data-date='{thursday.isoformat()}'] .cal-free").first.wait_for()
    drag(page, slot_point(page, thursday, "09:00"), slot_point(page, thursday, "12:30", bottom=True))
    page.wait_for_url("**/book?**")
    assert (page.locator("#start_time").input_value(), page.locator("#end_time").input_value()) == ("09:00", "13:00")
    page.get_by_role("button", name="Book", exact=True).click()
    assert page.locator("#booking-status").inner_text() == "confirmed"
    page.goto(live_server.url + "/")
    assert "Biosafety cabinet" in page.locator("#next-bookings").inner_text()


def test_the_managers_menu_is_grouped(browser, live_server, people, tmp_path):
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    page = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900}).new_page()
    sign_in_at_start(page, live_server.url, manager.email)
    nav = page.get_by_role("navigation", name="Main")
    assert not nav.get_by_role("link", name="State aid").is_visible()
    nav.get_by_text("Use and reports").click()
    assert nav.get_by_role("link", name="State aid").is_visible()
    page.screenshot(path=str(Path(os.environ.get("FACILITY_SCREENSHOT_DIR", tmp_path)) / "start-manager.png"))
    links = nav.locator(":scope > ul > li").all()
    assert len({round(li.bounding_box()["y"]) for li in links}) == 1  # the menu is one line
