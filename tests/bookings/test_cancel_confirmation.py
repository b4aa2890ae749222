"""Cancel asks first: the booking page links to a confirmation step (no JavaScript needed) that
changes nothing until confirmed; a cancelled booking leaves "Upcoming" on /bookings."""

from __future__ import annotations

import re

from facility.bookings.models import Booking
from facility.core.extensions import db
from tests.support.clients import PASSWORD
from tests.support.factory import local_slot


def upcoming_of(page: str) -> str:
    return re.search(r"<h2>Upcoming</h2>(.*?)<h2>Past</h2>", page, re.S).group(1)


def test_cancel_asks_then_the_booking_leaves_upcoming(app, people, visitor):
    alice = people.make(password=PASSWORD)
    start, end = local_slot(7, 10, 2)
    booking_id = alice.post("/bookings", json={"resource": "lab-bsc", "start": start, "end": end}).get_json()["id"]
    browser = visitor()
    browser.sign_in(alice.email)
    detail = browser.get(f"/bookings/{booking_id}").text
    assert (
        f'href="/bookings/{booking_id}/cancel"' in detail
        and 'action="/bookings/{}/cancel"'.format(booking_id) not in detail
    )

    confirm = browser.get(f"/bookings/{booking_id}/cancel")
    assert confirm.status_code == 200 and "Cancel this booking?" in confirm.text and "No, keep it" in confirm.text
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "confirmed"  # asking changes nothing
    assert f'data-booking="{booking_id}"' in upcoming_of(browser.get("/bookings").text)

    done = browser.post_form(
        f"/bookings/{booking_id}/cancel", {"reason": "plans changed"}, page=f"/bookings/{booking_id}/cancel"
    )
    assert done.status_code == 200 and done.request.path == f"/bookings/{booking_id}"
    listing = browser.get("/bookings").text
    assert f'data-booking="{booking_id}"' not in upcoming_of(listing)
    assert f'data-booking="{booking_id}"' in listing  # under "Past", as history


def test_next_must_stay_on_this_site(app, people, visitor):
    alice = people.make(password=PASSWORD)
    start, end = local_slot(7, 10, 2)
    booking_id = alice.post("/bookings", json={"resource": "lab-bsc", "start": start, "end": end}).get_json()["id"]
    browser = visitor()
    browser.sign_in(alice.email)
    page = f"/bookings/{booking_id}/cancel?next=https://evil.example/"
    assert f'<input type="hidden" name="next" value="/bookings/{booking_id}">' in browser.get(page).text
    done = browser.post_form(
        f"/bookings/{booking_id}/cancel", {"next": "//evil.example"}, page=page, follow_redirects=False
    )
    assert done.status_code == 302 and done.headers["Location"] == f"/bookings/{booking_id}"
