"""A scientist books a 10-week Tuesday series in Debian's Chromium, without JavaScript, over
real HTTP: the preview names the one week someone else holds, and "Book the rest" books the
other nine."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.support.clients import PASSWORD
from tests.support.clock import today
from tests.support.databases import SQLITE_ONLY

from .test_browser import sign_in

pytestmark = [pytest.mark.browser, SQLITE_ONLY]


def next_tuesday() -> date:
    day = today() + timedelta(days=7)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def test_book_a_ten_week_series_skipping_the_conflicting_week(browser, live_server, people):
    base = live_server.url
    scientist = people.make(password=PASSWORD)
    other = people.make()
    first = next_tuesday()
    taken = first + timedelta(weeks=3)
    body = {"resource": "lab-bsc", "start": f"{taken}T10:00:00+01:00", "end": f"{taken}T11:00:00+01:00"}
    assert other.post("/bookings", body).status_code == 201

    page = browser.new_context(java_script_enabled=False).new_page()
    sign_in(page, base, scientist.email)
    page.goto(f"{base}/book?resource=lab-bsc&start_date={first}&start_time=09:00&end_date={first}&end_time=13:00")
    page.get_by_label("Purpose").fill("Weekly QC")
    page.locator("#repeat").select_option("weekly")
    page.get_by_label("Tue", exact=True).check()
    page.get_by_label("Number of times").fill("10")
    page.get_by_role("button", name="Book", exact=True).click()

    assert "9 can be booked, 1 cannot" in page.locator("#series-summary").inner_text()
    refused = page.locator("#series-occurrences tr.refused")
    assert refused.count() == 1
    assert refused.get_attribute("data-index") == "3"
    assert "This time is already booked" in refused.inner_text()
    page.get_by_role("button", name="Book the rest (9)").click()

    assert "/series/" in page.url
    assert "9 occurrences booked. 1 left out." in page.locator(".flash").inner_text()
    rows = page.locator("#series-occurrences tbody tr")
    assert rows.count() == 9
    assert all("confirmed" in rows.nth(i).inner_text() for i in range(9))
    # Cancel the last two: "this and the following" from the eighth.
    rows.nth(7).get_by_role("button", name="Cancel this and the following").click()
    assert "2 occurrences cancelled" in page.locator(".flash").inner_text()
    statuses = [page.locator("#series-occurrences tbody tr").nth(i).locator(".status").inner_text() for i in range(9)]
    assert statuses == ["confirmed"] * 7 + ["cancelled"] * 2
