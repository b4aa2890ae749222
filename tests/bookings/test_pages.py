"""The booking pages over HTTP without a browser: form errors in words with the typed values
kept, DST gaps, busy time that names nobody, cancel and reschedule, blackouts and status."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest

from facility.bookings.models import Booking
from facility.core.extensions import db
from tests.support.clients import PASSWORD
from tests.support.databases import SQLITE_ONLY
from tests.support.factory import book_form, booking_count, local, local_slot, next_weekday

pytestmark = SQLITE_ONLY  # the pages on SQLite; the rules and races run on both databases elsewhere


@pytest.mark.any_date
def test_booking_form_errors_are_shown_in_words_with_the_typed_values_kept(people, visitor, app):
    alice = people.make(password=PASSWORD)
    browser = visitor()
    browser.sign_in(alice.email)
    day = next_weekday(14, 1)
    response = browser.post_form(
        "/book", book_form(day, start="25:00", end_date="2026-13-01", purpose="my words"), page="/book"
    )
    assert response.status_code == 422
    page = html.unescape(response.text)
    assert "'25:00' is not a time like 09:30." in page
    assert "'2026-13-01' is not a date like 2026-03-10." not in page  # a well-formed but impossible date:
    assert "'2026-13-01' is not a day of the calendar." in page
    assert 'value="25:00"' in page and "my words" in page
    far = browser.post_form("/book", book_form(date(9999, 12, 31), start="22:00", end="23:00"), page="/book")
    assert far.status_code == 422 and "Give a date between 2000 and 2100." in far.text

    # Rule violations from the service: several at once, each next to its field.
    response = browser.post_form("/book", book_form(day, start="06:10", end="06:20"), page="/book")
    page = html.unescape(response.text)
    assert response.status_code == 422
    start_errors = page.split('id="start-errors"')[1].split("</ul>")[0]
    end_errors = page.split('id="end-errors"')[1].split("</ul>")[0]
    assert "30 min step" in start_errors and "not open" in start_errors
    assert "at least 30 min" in end_errors
    assert 'value="06:10"' in page
    assert booking_count(app) == 0


@pytest.mark.any_date
def test_a_wall_time_skipped_by_daylight_saving_is_refused_in_words(people, visitor, clock):
    alice = people.make(password=PASSWORD)
    browser = visitor()
    browser.sign_in(alice.email)
    year = clock.today.year + 1
    last_sunday_march = max(date(year, 3, d) for d in range(25, 32) if date(year, 3, d).weekday() == 6)
    response = browser.post_form(
        "/book", book_form(last_sunday_march, start="02:30", end="03:30", resource="lab-bioreactor"), page="/book"
    )
    assert response.status_code == 422
    assert "02:30 does not exist on" in html.unescape(response.text)


@pytest.mark.any_date
def test_others_see_only_busy_time_in_the_calendar(people, visitor):
    alice = people.make(password=PASSWORD)
    start, end = local_slot(14, 10, hours=2)
    booked = alice.post("/bookings", {"resource": "lab-bsc", "start": start, "end": end, "purpose": "secret donor 7"})
    assert booked.status_code == 201
    bob = people.make(password=PASSWORD)
    browser = visitor()
    browser.sign_in(bob.email)
    week = browser.get(f"/resources/lab-bsc/week?date={start[:10]}")
    assert week.status_code == 200
    assert "Booked" in week.text and "secret donor 7" not in week.text and alice.email not in week.text
    day = browser.get(f"/facilities/lab/day?date={start[:10]}")
    assert "Booked" in day.text and "secret donor 7" not in day.text
    bad = browser.get("/resources/lab-bsc/week?date=yesterday")
    assert bad.status_code == 200 and "is not a date like" in html.unescape(bad.text)
    far = browser.get("/resources/lab-bsc/week?date=9999-12-31")
    assert far.status_code == 200 and "Give a date between 2000 and 2100." in far.text
    assert browser.get("/resources/no-such-thing/week").status_code == 404


@pytest.mark.any_date
def test_cancel_and_reschedule_from_my_bookings(people, visitor, app):
    alice = people.make(password=PASSWORD)
    browser = visitor()
    browser.sign_in(alice.email)
    day = next_weekday(14, 2)
    created = browser.post_form("/book", book_form(day), page="/book", follow_redirects=False)
    assert created.status_code == 302
    detail = created.headers["Location"]
    booking_id = int(detail.rsplit("/", 1)[1])
    moved = browser.post_form(
        f"/bookings/{booking_id}/edit",
        {
            "start_date": day.isoformat(),
            "start_time": "13:00",
            "end_date": day.isoformat(),
            "end_time": "14:30",
            "purpose": "moved",
        },
    )
    assert moved.status_code == 200 and f"{day.isoformat()} 13:00–14:30" in moved.text
    listing = browser.get("/bookings")
    assert "moved" in listing.text and f'href="/bookings/{booking_id}.ics"' in listing.text
    cancelled = browser.post_form(f"/bookings/{booking_id}/cancel", {"reason": ""}, page=f"/bookings/{booking_id}")
    assert cancelled.status_code == 200 and "cancelled" in cancelled.text
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "cancelled"


def test_manager_blackout_lists_colliding_bookings_and_status_needs_a_reason(people, visitor):
    alice = people.make(password=PASSWORD)
    start, end = local_slot(14, 10, hours=2)
    assert alice.post("/bookings", {"resource": "lab-bsc", "start": start, "end": end}).status_code == 201
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    browser = visitor()
    browser.sign_in(manager.email)
    day = start[:10]
    form = {
        "target": "resource:lab-bsc",
        "start_date": day,
        "start_time": "08:00",
        "end_date": day,
        "end_time": "18:00",
        "kind": "maintenance",
        "reason": "",
    }
    no_reason = browser.post_form("/manage/blackouts", form)
    assert no_reason.status_code == 422 and "Say why the time is taken out of service." in no_reason.text
    added = browser.post_form("/manage/blackouts", {**form, "reason": "annual service"})
    assert added.status_code == 201
    colliding = added.text.split('id="colliding"')[1].split("</ul>")[0]
    assert "Biosafety cabinet" in colliding and "Test Scientist" in colliding

    status = browser.post_form(
        "/manage/resources/lab-bsc/status", {"status": "maintenance", "reason": ""}, page="/manage/resources"
    )
    assert status.status_code == 422 and "Say why the resource cannot be booked." in status.text
    status = browser.post_form(
        "/manage/resources/lab-bsc/status",
        {"status": "maintenance", "reason": "filter change"},
        page="/manage/resources",
    )
    assert status.status_code == 200
    card = browser.get("/catalogue").text.split('id="resource-lab-bsc"')[1].split("</li>\n")[0]
    assert "under maintenance: filter change" in card
    other = browser.post_form(
        "/manage/resources/gmp-suite/status", {"status": "maintenance", "reason": "x"}, page="/manage/resources"
    )
    assert other.status_code == 403  # not a manager of the GMP unit


def test_a_refused_booking_names_its_rules_in_the_page_language(people, visitor):
    """The rules make their words without Flask; a Swedish page says each rule a booking breaks in
    Swedish (durations too), while the API, asked the same, says them in English."""
    alice = people.make(qualifications=["bioreactor-operation"], password=PASSWORD)
    browser = visitor()
    browser.sign_in(alice.email)
    browser.post_form("/language", {"lang": "sv"}, page="/account/tokens")
    day = next_weekday(14, 1)
    assert browser.post_form("/book", book_form(day, "10:00", "11:00"), page="/book").status_code == 200
    attempts = {
        "En bokning måste vara minst 30 min.": book_form(day, "12:00", "12:10"),
        "Slutet måste ligga på ett steg om 30 min på klockan (till exempel 08:00, 08:30, 09:00).": book_form(
            day, "12:00", "12:10"
        ),
        "Anläggningen är inte öppen hela tiden från": book_form(day, "18:00", "20:00"),
        "Du får boka resursen högst 6 h i veckan; veckan från": book_form(day, "12:00", "18:00"),
        "Tiden är redan bokad.": book_form(day, "10:30", "11:30"),
        "Starten har redan passerat.": book_form(day - timedelta(days=28), "10:00", "11:00"),
        "En bokning får vara högst 21 dagar.": book_form(
            day, "09:00", "09:00", resource="lab-bioreactor", end_date=(day + timedelta(days=22)).isoformat()
        ),
    }
    for swedish, form in attempts.items():
        refused = browser.post_form("/book", form, page="/book")
        text = html.unescape(refused.text)
        assert refused.status_code in (409, 422) and swedish in text, (swedish, refused.status_code)
        assert not re.search(r"\b(?:The|This|A booking|You may|must)\b", text.split("<main", 1)[-1]), swedish
    too_short = alice.post(
        "/bookings",
        {"resource": "lab-bsc", "start": local(f"{day} 12:00").isoformat(), "end": local(f"{day} 12:10").isoformat()},
    )
    assert [e["message"] for e in too_short.get_json()["errors"]] == [
        "A booking must last at least 30 min.",
        "The end must fall on a 30 min step of the clock (for example 08:00, 08:30, 09:00).",
    ]
