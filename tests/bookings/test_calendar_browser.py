"""The interactive calendar in Debian's Chromium, over real HTTP, at the tests' frozen instant:
a scientist drags over free time and books it, drags their booking to a new time, and reads the
refusal of a move onto someone else's booking in words; the calendar marks the server's today."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from facility.core.extensions import db
from tests.bookings.test_browser import next_weekday, sign_in
from tests.support.clients import PASSWORD
from tests.support.clock import today
from tests.support.databases import SQLITE_ONLY
from tests.support.factory import add_booking, local

pytestmark = [pytest.mark.browser, SQLITE_ONLY]
THREE_DAYS = timedelta(days=3)


def shot(page, tmp_path, name: str) -> None:
    page.screenshot(path=str(Path(os.environ.get("FACILITY_SCREENSHOT_DIR", tmp_path)) / name), full_page=True)


def slot_point(page, day, time: str, *, bottom: bool = False) -> tuple[float, float]:
    """The middle of ``day``'s column at the half hour that starts at ``time`` (its bottom edge if ``bottom``)."""
    column = page.locator(f"td.fc-timegrid-col[data-date='{day.isoformat()}']").first.bounding_box()
    lane = page.locator(f"td.fc-timegrid-slot-lane[data-time='{time}:00']").first.bounding_box()
    y = lane["y"] + lane["height"] - 2 if bottom else lane["y"] + 2
    return column["x"] + column["width"] / 2, y


def drag(page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(start[0] + (end[0] - start[0]) * step / 10, start[1] + (end[1] - start[1]) * step / 10)
    page.mouse.up()


def open_week(page, base: str, resource: str, day) -> None:
    page.goto(f"{base}/resources/{resource}/week?date={day.isoformat()}")
    page.locator(".fc-timegrid-col").first.wait_for()
    page.locator(".cal-free").first.wait_for()
    assert page.locator("#calendar-fallback").is_hidden()  # the table without JavaScript, replaced


def settled(page, response) -> None:
    """The calendar has drawn the events of ``response`` (its fetch after a change): measured
    while they were drawn anew, an event was gone (a fresh clone's run)."""
    response.finished()
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def test_drag_over_free_time_books_it(browser, live_server, people, tmp_path):
    scientist = people.make(password=PASSWORD)
    tuesday = next_weekday(7, 1)
    page = browser.new_context(viewport={"width": 1280, "height": 1400}).new_page()
    sign_in(page, live_server.url, scientist.email)
    open_week(page, live_server.url, "lab-bsc", tuesday)

    drag(page, slot_point(page, tuesday, "10:00"), slot_point(page, tuesday, "13:30", bottom=True))
    page.wait_for_url("**/book?**")
    assert page.get_by_label("Resource").input_value() == "lab-bsc"
    assert page.locator("#start_date").input_value() == tuesday.isoformat()
    assert page.locator("#start_time").input_value() == "10:00"
    assert page.locator("#end_date").input_value() == tuesday.isoformat()
    assert page.locator("#end_time").input_value() == "14:00"
    page.get_by_role("button", name="Book", exact=True).click()
    assert page.locator("#booking-status").inner_text() == "confirmed"

    open_week(page, live_server.url, "lab-bsc", tuesday)
    own = page.locator(".fc-timegrid-event.cal-own")
    assert own.count() == 1 and "10:00" in own.inner_text() and "14:00" in own.inner_text()
    shot(page, tmp_path, "calendar-week.png")


def test_today_and_now_are_the_servers(browser, live_server, people):
    scientist = people.make(password=PASSWORD)
    page = browser.new_context().new_page()
    sign_in(page, live_server.url, scientist.email)
    open_week(page, live_server.url, "lab-bsc", today())
    assert page.locator(f"td.fc-day-today[data-date='{today().isoformat()}']").count() >= 1
    assert page.locator(".fc-timegrid-now-indicator-line").count() == 1


def test_drag_own_booking_to_move_it_and_a_refusal_in_words(browser, live_server, people, app, tmp_path):
    scientist, other = people.make(password=PASSWORD), people.make()
    tuesday = next_weekday(7, 1)
    with app.app_context():
        mine = add_booking("lab-bsc", scientist.email, local(f"{tuesday} 09:00"), local(f"{tuesday} 10:00"))
        add_booking("lab-bsc", other.email, local(f"{tuesday} 15:00"), local(f"{tuesday} 16:00"))
    page = browser.new_context(viewport={"width": 1280, "height": 1400}).new_page()
    sign_in(page, live_server.url, scientist.email)
    open_week(page, live_server.url, "lab-bsc", tuesday)

    # Drag the booking two hours later: moved through PATCH /api/v1/bookings/<id>.
    event = page.locator(".fc-timegrid-event.cal-own").first
    box = event.bounding_box()
    grab = (box["x"] + box["width"] / 2, box["y"] + 5)
    target = slot_point(page, tuesday, "11:00")
    with page.expect_response(lambda r: "/api/v1/calendar?" in r.url) as refetched:  # after the move
        drag(page, grab, (grab[0], target[1] + 3))
    message = page.locator("#calendar-message")
    message.filter(has_text="Moved").wait_for()
    settled(page, refetched.value)
    assert f"{tuesday} 11:00–12:00" in message.inner_text()
    with app.app_context():
        from facility.bookings.models import Booking

        moved = db.session.get(Booking, mine)
        assert (moved.start_at, moved.end_at) == (local(f"{tuesday} 11:00"), local(f"{tuesday} 12:00"))

    # Onto another's booking: refused, in the API's words, and the booking stays where it was.
    page.locator(".fc-timegrid-event.cal-own").filter(has_text="11:00").wait_for()
    box = page.locator(".fc-timegrid-event.cal-own").first.bounding_box()
    grab = (box["x"] + box["width"] / 2, box["y"] + 5)
    target = slot_point(page, tuesday, "15:00")
    drag(page, grab, (grab[0], target[1] + 3))
    message.filter(has_text="not moved").wait_for()
    assert "already booked" in message.inner_text()
    shot(page, tmp_path, "calendar-refusal.png")
    with app.app_context():
        db.session.expire_all()
        kept = db.session.get(Booking, mine)
        assert kept.start_at == local(f"{tuesday} 11:00")
    assert "11:00" in page.locator(".fc-timegrid-event.cal-own").first.inner_text()


def test_facility_day_side_by_side_and_a_run_as_one_bar_in_the_month(browser, live_server, people, app, tmp_path):
    scientist = people.make(qualifications=["bioreactor-operation"], password=PASSWORD)
    tuesday = next_weekday(7, 1)
    with app.app_context():
        # A three-day bioreactor run, Tuesday 09:00 to Friday 09:00.
        add_booking(
            "lab-bioreactor", scientist.email, local(f"{tuesday} 09:00"), local(f"{tuesday} 09:00") + THREE_DAYS
        )
    page = browser.new_context(viewport={"width": 1280, "height": 1200}).new_page()
    sign_in(page, live_server.url, scientist.email)

    page.goto(f"{live_server.url}/facilities/lab/day?date={tuesday.isoformat()}")
    columns = page.locator("#calendar-views > section")
    columns.first.locator(".fc-timegrid-col").first.wait_for()
    assert columns.locator("h2").all_inner_texts() == ["Biosafety cabinet", "Bioreactor"]
    # Each column fetches its own events: wait for the run, and for the free time the click needs.
    columns.nth(1).locator(".fc-timegrid-event.cal-own").first.wait_for()
    columns.first.locator(".cal-free").first.wait_for()
    assert columns.nth(1).locator(".fc-timegrid-event.cal-own").count() == 1
    shot(page, tmp_path, "calendar-facility-day.png")
    # A click on free time in the first column books that resource (each column knows its free time).
    columns.first.locator("td.fc-timegrid-slot-lane[data-time='10:00:00']").scroll_into_view_if_needed()
    lane = columns.first.locator("td.fc-timegrid-slot-lane[data-time='10:00:00']").bounding_box()
    column = columns.first.locator("td.fc-timegrid-col[data-date]").first.bounding_box()
    page.mouse.click(column["x"] + column["width"] / 2, lane["y"] + 3)
    page.wait_for_url("**/book?**")
    assert page.get_by_label("Resource").input_value() == "lab-bsc"
    assert (page.locator("#start_time").input_value(), page.locator("#end_time").input_value()) == ("10:00", "10:30")

    page.goto(f"{live_server.url}/resources/lab-bioreactor/week?date={tuesday.isoformat()}")
    page.locator(".cal-run").first.wait_for()  # the run, once more across the days in the all-day row
    assert page.locator(".fc-daygrid-event.cal-run").count() == 1
    page.get_by_role("button", name="Month").click()
    # Counted in the month view once it has settled: while it draws, the bar can be there twice
    # for a moment (seen once in a fresh clone's run); one bar per day would stay three or four.
    month = page.locator(".fc-dayGridMonth-view")
    month.locator(".fc-daygrid-event.cal-own").first.wait_for()
    expect(month.locator(".fc-daygrid-event.cal-own")).to_have_count(1)  # one bar, not one per day
    shot(page, tmp_path, "calendar-month.png")


def test_the_calendar_speaks_swedish(browser, live_server, people, tmp_path):
    scientist = people.make(password=PASSWORD)
    page = browser.new_context(viewport={"width": 1280, "height": 1200}).new_page()
    sign_in(page, live_server.url, scientist.email)
    page.goto(f"{live_server.url}/resources/lab-bsc/week")
    page.get_by_role("button", name="Svenska").click()
    page.locator(".fc-timegrid-col").first.wait_for()
    assert page.get_by_role("button", name="Vecka").is_visible()
    assert page.get_by_role("button", name="Månad").is_visible()
    assert "Klicka eller dra över ledig tid" in page.locator("#calendar-message").inner_text()
    assert "Ledig" in page.locator(".fc-bg-event.cal-free").first.inner_text()
    assert page.locator(".fc-toolbar-title").inner_text().startswith(("9–15 nov", "9 – 15 nov"))  # Swedish dates
    shot(page, tmp_path, "calendar-week-sv.png")


def test_closed_days_are_named_in_the_calendar(browser, live_server, people, app, tmp_path):
    from facility.catalog.services import load_catalog
    from tests.support.databases import TEST_CATALOG

    text = TEST_CATALOG.read_text(encoding="utf-8").replace("    closed_days: []\n", "    public_holidays: SE\n", 1)
    (tmp_path / "catalog.yaml").write_text(text, encoding="utf-8")
    with app.app_context():
        load_catalog(tmp_path / "catalog.yaml")
    scientist = people.make(password=PASSWORD)
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    sign_in(page, live_server.url, scientist.email)
    page.goto(f"{live_server.url}/resources/lab-bsc/week?date=2026-12-24")
    header = page.locator("th.fc-col-header-cell[data-date='2026-12-25']")
    header.filter(has_text="Christmas Day").wait_for()
    assert page.locator(".fc-bg-event.cal-closed").filter(has_text="Christmas Day").count() >= 1  # shaded, named
    assert page.locator("td.fc-timegrid-col[data-date='2026-12-25'] .cal-free").count() == 0
    assert page.locator("td.fc-timegrid-col[data-date='2026-12-23'] .cal-free").count() >= 1
    shot(page, tmp_path, "calendar-closed-days.png")
