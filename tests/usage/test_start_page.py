"""The start page at / for each role: a scientist's next bookings, requests, check-ins and
lapsing qualifications; a manager's day, instruments in use, requests with the bookings around
them, and blackouts that hit bookings (notify the users, cancel through the confirmation step);
an administrator's way to the indicators. The catalogue stays one click away."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

from facility.accounts import services as accounts
from facility.accounts.models import User
from facility.bookings import services
from facility.bookings.models import Booking
from facility.core.extensions import db
from tests.support import clock as clocks
from tests.support.clients import PASSWORD
from tests.support.factory import add_booking, add_usage, local, local_slot, user_id


def section(page: str, id_: str) -> str:
    """The text of the element with ``id_`` (up to the end of its list or paragraph)."""
    match = re.search(rf'id="{id_}"[^>]*>(.*?)</(ul|p)>', page, re.S)
    assert match, f"no #{id_} on the page"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))


def test_signing_in_lands_on_the_start_page(people, visitor):
    alice = people.make(password=PASSWORD)
    browser = visitor()
    signed_in = browser.sign_in(alice.email)
    assert signed_in.headers["Location"] == "/"
    page = browser.get("/").text
    assert "Welcome, Test Scientist" in page and 'href="/catalogue"' in page


def test_a_scientist_sees_next_bookings_requests_check_in_and_lapsing_qualifications(app, people, visitor):
    alice = people.make(qualifications=["gowning-grade-b"], password=PASSWORD)
    start, end = local_slot(7, 10, 2)
    mine = alice.post("/bookings", json={"resource": "lab-bsc", "start": start, "end": end, "purpose": "split"})
    request_start, request_end = local_slot(7, 8, 2)
    asked = alice.post("/bookings", json={"resource": "gmp-suite", "start": request_start, "end": request_end})
    assert mine.status_code == 201 and asked.status_code == 201 and asked.get_json()["status"] == "pending"
    now = clocks.now()
    with app.app_context():
        soon = add_booking("lab-bioreactor", alice.email, now + timedelta(minutes=10), now + timedelta(hours=5))
        accounts.qualify(alice.email, "bioreactor-operation", clocks.today() + timedelta(days=10))
    browser = visitor()
    browser.sign_in(alice.email)
    page = browser.get("/").text
    assert "Biosafety cabinet" in section(page, "next-bookings") and "Bioreactor" in section(page, "next-bookings")
    assert "Test GMP suite" in section(page, "my-pending") or "suite" in section(page, "my-pending").lower()
    assert "Biosafety" not in section(page, "my-pending")
    assert f"/bookings/{soon}/check-in" in page  # within 15 minutes of its start: check in from here
    assert "Bioreactor operation" in section(page, "expiring")
    assert "Gowning" not in section(page, "expiring")  # valid for a year still
    assert "Requests waiting for approval" not in page  # the managers' sections


def test_a_manager_sees_today_in_use_and_waiting_requests_with_their_neighbours(app, people, visitor):
    manager = people.make("manager", facilities=["gmp"], password=PASSWORD)
    alice, bob = people.make(qualifications=["gowning-grade-b"]), people.make(qualifications=["gowning-grade-b"])
    first = alice.post("/bookings", json=dict(zip(("start", "end"), local_slot(7, 8, 2)), resource="gmp-suite"))
    second = bob.post("/bookings", json=dict(zip(("start", "end"), local_slot(7, 12, 2)), resource="gmp-suite"))
    assert first.status_code == 201 and second.status_code == 201
    now = clocks.now()
    with app.app_context():
        today = add_booking("gmp-suite", alice.email, now - timedelta(hours=1), now + timedelta(hours=1))
        add_usage("gmp-suite", alice.email, now - timedelta(hours=1), None, booking_id=today)
        add_booking("lab-bsc", bob.email, now + timedelta(hours=1), now + timedelta(hours=2))  # not managed
    browser = visitor()
    browser.sign_in(manager.email)
    page = browser.get("/").text
    assert "Test GMP suite" in section(page, "today-bookings") or "suite" in section(page, "today-bookings").lower()
    assert "Biosafety" not in section(page, "today-bookings")
    assert "Test Scientist" in section(page, "in-use")
    waiting = section(page, "waiting")
    assert waiting.count("Around it on the same resource") == 2  # each request shows the other beside it


def test_a_blackout_that_hits_a_booking_notify_its_user_or_cancel_it(app, people, visitor, smtp):
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    alice = people.make(password=PASSWORD)
    start, end = local_slot(7, 10, 2)
    booked = alice.post("/bookings", json={"resource": "lab-bsc", "start": start, "end": end})
    assert booked.status_code == 201
    with app.app_context():
        actor = db.session.get(User, user_id(manager.email))
        blackout, hit = services.add_blackout(
            actor, "lab", datetime.fromisoformat(start) - timedelta(hours=1), datetime.fromisoformat(end),
            kind="maintenance", reason="Filter change",
        )  # fmt: skip
        blackout_id = blackout.id
        assert len(hit) == 1
    browser = visitor()
    browser.sign_in(manager.email)
    page = browser.get("/").text
    assert f'id="blackout-{blackout_id}"' in page and "Filter change" in page

    told = browser.post_form(f"/manage/blackouts/{blackout_id}/notify", {}, page="/")
    assert told.status_code == 200 and "1 user was told about the blackout." in told.text
    smtp.wait_for(2)  # the booking's confirmation, then the notice
    [notice] = [m for m in smtp.to(alice.email) if "blackout" in m["Subject"]]
    assert "Filter change" in notice.get_payload(decode=True).decode()
    again = browser.post_form(f"/manage/blackouts/{blackout_id}/notify", {}, page="/")
    assert "Nobody new to tell" in again.text  # once per booking and blackout time

    # Cancel: a confirmation step first (reason filled in from the blackout), then back to /.
    link = re.search(r'href="(/bookings/\d+/cancel\?[^"]+)"', page).group(1)
    confirm = browser.get(html.unescape(link))
    assert confirm.status_code == 200 and "Cancel this booking?" in confirm.text
    assert "Blackout: maintenance — Filter change" in html.unescape(confirm.text)
    with app.app_context():
        assert db.session.get(Booking, booked.get_json()["id"]).status == "confirmed"  # nothing yet
    done = browser.post_form(
        f"/bookings/{booked.get_json()['id']}/cancel",
        {"reason": "Blackout: maintenance — Filter change", "next": "/"},
        page=html.unescape(link),
    )
    assert done.status_code == 200 and done.request.path == "/" and "The booking is cancelled" in done.text
    assert "No blackout hits a booking." in done.text
    with app.app_context():
        assert db.session.get(Booking, booked.get_json()["id"]).status == "cancelled"


def test_others_may_not_notify(app, people, visitor):
    manager_gmp = people.make("manager", facilities=["gmp"], password=PASSWORD)
    lab_manager = people.make("manager", facilities=["lab"])
    with app.app_context():
        blackout, _ = services.add_blackout(
            db.session.get(User, user_id(lab_manager.email)), "lab", local("2026-11-20 08:00"),
            local("2026-11-20 10:00"), reason="Service",
        )  # fmt: skip
        blackout_id = blackout.id
    browser = visitor()
    browser.sign_in(manager_gmp.email)
    assert browser.post_form(f"/manage/blackouts/{blackout_id}/notify", {}, page="/").status_code == 404


def test_an_admin_is_shown_the_way_to_the_indicators(people, visitor):
    admin = people.make("admin", password=PASSWORD)
    browser = visitor()
    browser.sign_in(admin.email)
    assert 'id="indicators-link" href="/admin/indicators"' in browser.get("/").text
