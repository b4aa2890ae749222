"""A scientist and a lab manager in Debian's Chromium, over real HTTP: find a free slot on
the bioreactor and book it, read the refusal of an overlapping slot, request the GMP
cleanroom, and the manager approves it with an electronic signature."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from facility.audit.models import AuditEvent
from facility.core.extensions import db
from tests.support.clients import PASSWORD
from tests.support.clock import today
from tests.support.databases import SQLITE_ONLY

pytestmark = [pytest.mark.browser, SQLITE_ONLY]


def next_weekday(days_ahead: int, weekday: int) -> date:
    day = today() + timedelta(days=days_ahead)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base + "/bookings")  # a page that needs sign-in sends us to the sign-in form
    assert "/sign-in" in page.url
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/bookings")


def test_book_refuse_request_and_sign_an_approval(browser, live_server, people, app, tmp_path):
    base = live_server.url
    scientist = people.make(qualifications=["bioreactor-operation", "gowning-grade-b"], password=PASSWORD)
    manager = people.make("manager", facilities=["gmp"], password=PASSWORD)
    tuesday = next_weekday(21, 1)

    # Without JavaScript: the server-drawn calendar and forms (the interactive calendar: test_calendar_browser.py).
    page = browser.new_context(java_script_enabled=False).new_page()
    sign_in(page, base, scientist.email)

    # Find a free slot on the bioreactor: catalogue -> week calendar -> date picker -> a free span.
    page.get_by_role("link", name="Catalogue").click()
    card = page.locator("#resource-lab-bioreactor")
    assert "cleaning takes 4 h after each booking" in card.inner_text()
    assert "you are qualified until" in card.inner_text()
    card.get_by_role("link", name="Week calendar").click()
    page.get_by_label("Go to date").fill(tuesday.isoformat())
    page.get_by_role("button", name="Show").click()
    tuesday_column = page.locator(".calendar .day").nth(1)
    tuesday_column.locator(".block.free a").first.click()

    assert page.get_by_label("Resource").input_value() == "lab-bioreactor"
    assert page.locator("#start_date").input_value() == tuesday.isoformat()
    assert page.locator("#start_time").input_value() == "07:00"
    page.get_by_label("Purpose").fill("CAR-T expansion run 12")
    page.get_by_role("button", name="Book", exact=True).click()
    assert page.locator("#booking-status").inner_text() == "confirmed"
    assert page.locator(".flash").inner_text().startswith("Booked: Bioreactor")

    # An overlapping slot is refused in words, next to the start, with the typed values kept.
    page.goto(
        f"{base}/book?resource=lab-bioreactor&start_date={tuesday}&start_time=09:00&end_date={tuesday}&end_time=13:00"
    )
    page.get_by_label("Purpose").fill("second run")
    page.get_by_role("button", name="Book", exact=True).click()
    assert "This time is already booked" in page.locator("#start-errors").inner_text()
    assert page.locator("#start_time").input_value() == "09:00"
    assert page.get_by_label("Purpose").input_value() == "second run"

    # The week view shows the booking and the cleaning after it; one screenshot to look at.
    page.goto(f"{base}/resources/lab-bioreactor/week?date={tuesday}")
    assert "Your booking (confirmed): CAR-T expansion run 12" in tuesday_column.inner_text()
    assert "Changeover (cleaning)" in tuesday_column.inner_text()
    page.set_viewport_size({"width": 1280, "height": 1500})
    page.screenshot(path=str(Path(os.environ.get("FACILITY_SCREENSHOT_DIR", tmp_path)) / "week.png"), full_page=True)

    # A GMP cleanroom request waits for approval.
    wednesday = tuesday + timedelta(days=1)
    page.goto(f"{base}/resources/gmp-suite/week?date={wednesday}")
    page.locator(".calendar .day").nth(2).locator(".block.free a").first.click()
    page.get_by_label("Purpose").fill("clinical batch 3")
    page.get_by_label("Project").fill("CAR-NK phase I")
    page.get_by_role("button", name="Book", exact=True).click()
    assert page.locator("#booking-status").inner_text() == "waiting for approval"

    # The manager signs the approval by entering the password again.
    desk = browser.new_context(java_script_enabled=False).new_page()
    sign_in(desk, base, manager.email)
    desk.get_by_role("link", name="Approvals").click()
    row = desk.locator("tr", has_text="GMP cleanroom suite 1")
    assert "CAR-NK phase I" in row.inner_text() and "Lund University" in row.inner_text()
    row.get_by_role("link", name="Review and decide").click()
    assert "Gowning for grade B cleanrooms" in desk.locator("dl.facts").inner_text()
    desk.get_by_label("Reason").fill("Batch record reviewed")
    desk.get_by_label("Your password (electronic signature)").fill("not my password")
    desk.get_by_role("button", name="Sign and approve").click()
    assert "nothing was signed" in desk.locator("#password-errors").inner_text()
    assert desk.get_by_label("Reason").input_value() == "Batch record reviewed"
    desk.get_by_label("Your password (electronic signature)").fill(PASSWORD)
    desk.get_by_role("button", name="Sign and approve").click()
    assert "Approved and signed: approval: I approve this record" in desk.locator(".flash").inner_text()

    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.approved"))
        assert event.signature_meaning == "approval" and event.signer_name == "Test Manager"
        assert event.actor.email == manager.email and event.reason == "Batch record reviewed"

    # The scientist sees it confirmed.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My bookings").click()
    gmp_row = page.locator("tr.booking-row", has_text="GMP cleanroom suite 1")
    assert gmp_row.locator(".status").inner_text() == "confirmed"
    assert gmp_row.get_by_role("link", name=".ics").get_attribute("href").endswith(".ics")
