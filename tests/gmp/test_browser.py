"""A GMP cleanroom through one day in Debian's Chromium, over real HTTP: book it with product
and batch, the manager signs the approval, check in, use, check out; the next check-in is
refused until the room is cleaned, the cleaning verified by a second person and the room
released; then the next check-in goes through. The instrument display follows along."""

from __future__ import annotations

import pytest

from facility.bookings.models import Booking
from facility.core.extensions import db
from tests.support import clock as clocks
from tests.support.clients import PASSWORD
from tests.support.databases import SQLITE_ONLY
from tests.support.factory import add_booking, local

pytestmark = [pytest.mark.browser, SQLITE_ONLY]


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/bookings")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/bookings")


def at(hhmm: str):
    return local(f"{clocks.today().isoformat()} {hhmm}")


def test_a_gmp_room_through_a_day(browser, live_server, people, app):
    base = live_server.url
    today = clocks.today().isoformat()
    operator = people.make(qualifications=["gowning-grade-b"], password=PASSWORD)
    next_user = people.make(qualifications=["gowning-grade-b"], password=PASSWORD)
    manager = people.make("manager", facilities=["gmp"], password=PASSWORD)
    verifier = people.make("manager", facilities=["gmp"], password=PASSWORD)
    with app.app_context():
        following = add_booking("gmp-suite", next_user.email, at("14:00"), at("15:00"))
        booking = db.session.get(Booking, following)
        booking.project, booking.batch = "CAR-NK-2", "2611-02"
        db.session.commit()

    # 09:17: book the suite for 10:00-11:00 (two hours' changeover after it); the GMP unit wants the product and the batch.
    page = browser.new_context().new_page()
    sign_in(page, base, operator.email)
    page.goto(f"{base}/book?resource=gmp-suite&start_date={today}&start_time=10:00&end_date={today}&end_time=11:00")
    page.get_by_label("Purpose").fill("CAR-T fill")
    page.get_by_role("button", name="Book", exact=True).click()
    assert "batch or lot number" in page.locator("#batch-errors").inner_text()
    page.get_by_label("Project").fill("CAR-T-1")
    page.get_by_label("Batch or lot").fill("2611-01")
    page.get_by_role("button", name="Book", exact=True).click()
    assert page.locator("#booking-status").inner_text() == "waiting for approval"
    booking_url = page.url

    desk = browser.new_context().new_page()
    sign_in(desk, base, manager.email)
    desk.get_by_role("link", name="Approvals").click()
    desk.locator("tr", has_text="GMP cleanroom suite 1").get_by_role("link", name="Review and decide").click()
    desk.get_by_label("Reason").fill("Batch record 2611-01 reviewed")
    desk.get_by_label("Your password (electronic signature)").fill(PASSWORD)
    desk.get_by_role("button", name="Sign and approve").click()
    assert "Approved and signed" in desk.locator(".flash").inner_text()

    # 09:50: check in; the display says the room is in use.
    with clocks.travel(at("09:50")):
        page.goto(booking_url)
        page.get_by_role("button", name="Check in").click()
        assert "Checked in" in page.locator(".flash").inner_text()
        page.goto(f"{base}/display/gmp-suite")
        assert page.locator("#display-cleaning").inner_text() == "In use"

    # 10:50: check out; the room is to be cleaned, and the next check-in is refused.
    with clocks.travel(at("10:50")):
        page.goto(booking_url)
        page.get_by_role("button", name="Check out").click()
        assert "Checked out" in page.locator(".flash").inner_text()
        page.goto(f"{base}/display/gmp-suite")
        assert page.locator("#display-cleaning").inner_text() == "To be cleaned"

    with clocks.travel(at("13:50")):
        after = browser.new_context().new_page()
        sign_in(after, base, next_user.email)
        after.goto(f"{base}/bookings/{following}")
        after.get_by_role("button", name="Check in").click()
        assert "not released for use" in after.locator(".flash").inner_text()

        # The manager records the cleaning from their start page, which lists what waits for it.
        desk.goto(f"{base}/")
        row = desk.locator("#start-cleaning-gmp-suite")
        assert "to be cleaned" in row.inner_text()
        row.get_by_role("link", name="Record the cleaning").click()
        desk.get_by_label("Procedure (SOP)").fill("SOP-CL-01 rev. 4")
        desk.get_by_role("button", name="Write the entry").click()
        assert "written" in desk.locator(".flash").inner_text()
        assert "cleaned, waiting for verification" in desk.locator("#cleaning-state").inner_text()
        after.get_by_role("button", name="Check in").click()
        assert "second person" in after.locator(".flash").inner_text()

        # A second person verifies it, and the room is released.
        second = browser.new_context().new_page()
        sign_in(second, base, verifier.email)
        second.locator("summary", has_text="Lab").click()  # the menu's group
        second.get_by_role("link", name="Cleaning and logbooks").click()
        second.locator("#waiting-gmp-suite").get_by_role("link", name="Verify cleaning").click()
        assert second.get_by_label("Kind").input_value() == "verification"
        second.get_by_label("Your password (signs a verification)").fill(PASSWORD)  # the signature
        second.get_by_role("button", name="Write the entry").click()
        assert "released" in second.locator("#cleaning-state").inner_text()
        logbook = second.locator("#logbook").inner_text()
        assert "SOP-CL-01 rev. 4" in logbook and "signed by" in logbook and "2611-01" in logbook

        page.goto(f"{base}/display/gmp-suite")
        assert page.locator("#display-cleaning").inner_text() == "Released for use"

        # The next check-in goes through.
        after.get_by_role("button", name="Check in").click()
        assert "Checked in" in after.locator(".flash").inner_text()
