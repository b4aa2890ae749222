"""In Debian's Chromium, over real HTTP: a scientist waits for the taken GMP suite on
"My waiting list", is offered it when the booking is cancelled, and accepts it; a manager books
a slot for a user with "Book for"."""

from __future__ import annotations

import pytest

from tests.support.clients import PASSWORD
from tests.support.databases import SQLITE_ONLY
from tests.support.factory import local_slot, next_weekday

pytestmark = [pytest.mark.browser, SQLITE_ONLY]
GOWNING = ["gowning-grade-b"]


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/waitlist")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/waitlist")


def test_wait_for_the_suite_be_offered_it_and_accept(browser, live_server, people):
    anna = people.make(qualifications=GOWNING)
    bo = people.make(qualifications=GOWNING, password=PASSWORD)
    slot = local_slot(14, 9, hours=3)
    first = anna.post("/bookings", {"resource": "gmp-suite", "start": slot[0], "end": slot[1]}).get_json()
    day = next_weekday(14, 1).isoformat()

    page = browser.new_context().new_page()
    sign_in(page, live_server.url, bo.email)
    page.get_by_label("Resource").select_option("gmp-suite")
    page.locator("#start_date").fill(day)
    page.locator("#start_time").fill("09:00")
    page.locator("#end_date").fill(day)
    page.locator("#end_time").fill("12:00")
    page.get_by_role("button", name="Join the waiting list").click()
    assert "You are on the waiting list for GMP cleanroom suite 1." in page.locator(".flash").inner_text()
    assert page.locator("tr.waiting .place").inner_text() == "1"

    anna.post(f"/bookings/{first['id']}/cancel", {})
    page.reload()
    offer = page.locator("li.offer")
    assert "Held for you until" in offer.inner_text()
    offer.get_by_role("button", name="Accept").click()
    assert "You accepted the offer" in page.locator(".flash").inner_text()
    assert [b["status"] for b in bo.get("/bookings").get_json()] == ["pending"]  # the suite needs approval


def test_a_manager_books_for_a_user(browser, live_server, people):
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    anna = people.make()
    earlier = local_slot(21, 9)
    anna.post("/bookings", {"resource": "lab-bsc", "start": earlier[0], "end": earlier[1]})
    day = next_weekday(14, 1).isoformat()
    page = browser.new_context().new_page()
    sign_in(page, live_server.url, manager.email)
    page.goto(
        f"{live_server.url}/book?resource=lab-bsc&start_date={day}&start_time=10:00&end_date={day}&end_time=11:00"
    )
    page.get_by_label("Book for").select_option(anna.email)
    page.get_by_label("Purpose").fill("booked by the lab")
    page.get_by_role("button", name="Book", exact=True).click()
    assert page.locator("#booking-status").inner_text() == "confirmed"
    assert sorted(b["purpose"] for b in anna.get("/bookings").get_json()) == ["", "booked by the lab"]
