"""The booking form's "Repeat" step and a series' page, over HTTP without a browser (no
JavaScript needed): the preview names the occurrence that breaks a rule, "Book the rest" books
the others, "Book none" writes nothing, and one, the following or all occurrences are cancelled."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import func, select

from facility.bookings.models import Booking, BookingSeries
from facility.core.extensions import db
from tests.support.clients import PASSWORD
from tests.support.databases import SQLITE_ONLY
from tests.support.factory import book_form, next_weekday

pytestmark = SQLITE_ONLY  # the pages on SQLite; the series service runs on both databases in test_series_api


def series_form(day, **extra) -> dict:
    return {
        **book_form(day, start="09:00", end="13:00"),
        "repeat": "weekly",
        "weekdays": ["1"],
        "repeat_count": "10",
        **extra,
    }


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Booking, BookingSeries))


def signed_in(people, visitor):
    alice = people.make(password=PASSWORD)
    browser = visitor()
    browser.sign_in(alice.email)
    return alice, browser


def conflict(people, day, weeks: int = 2):
    bob = people.make()
    taken = day + timedelta(weeks=weeks)
    body = {"resource": "lab-bsc", "start": f"{taken}T10:00:00+01:00", "end": f"{taken}T11:00:00+01:00"}
    assert bob.post("/bookings", body).status_code == 201


def test_the_preview_names_the_conflicting_week_and_book_the_rest_books_nine(people, visitor, app):
    _alice, browser = signed_in(people, visitor)
    first = next_weekday(7, 1)
    conflict(people, first)
    preview = browser.post_form("/book", series_form(first), page="/book")
    assert preview.status_code == 200, preview.text
    page = html.unescape(preview.text)
    assert "10 occurrences" in page and "9 can be booked" in page and "1 cannot" in page
    refused = re.findall(r'<tr class="refused" data-index="(\d+)">', page)
    assert refused == ["2"] and "This time is already booked." in page
    assert "Book the rest (9)" in page and "Book none" in page
    assert counts(app) == (1, 0)  # the preview wrote nothing

    booked = browser.post_form("/book", {**series_form(first), "series_action": "skip"}, page="/book")
    assert booked.status_code == 200 and re.search(r"/series/\d+$", booked.request.path)
    assert "9 occurrences booked. 1 left out." in html.unescape(booked.text)
    assert booked.text.count("data-booking=") == 9
    assert counts(app) == (10, 1)


def test_book_none_writes_nothing_and_goes_back_to_the_form_with_its_values(people, visitor, app):
    _alice, browser = signed_in(people, visitor)
    first = next_weekday(7, 1)
    conflict(people, first)
    back = browser.post_form("/book", {**series_form(first), "series_action": "none"}, page="/book")
    assert back.status_code == 200
    assert "Nothing was booked." in back.text and 'value="10"' in back.text
    assert counts(app) == (1, 0)


def test_a_bad_repeat_is_said_in_words_and_nothing_is_written(people, visitor, app):
    _alice, browser = signed_in(people, visitor)
    first = next_weekday(7, 1)
    for extra, words in [
        ({"repeat_count": "ten"}, "Give the number of times as a whole number"),
        ({"repeat_count": "", "repeat_until": ""}, "Say how many times, or until which date"),
        ({"repeat_count": "", "repeat_until": "2026-02-31"}, "Give the last date as YYYY-MM-DD."),
        ({"repeat_count": "200"}, "A series has at most 104 occurrences."),
        ({"repeat_count": "40"}, "The series runs past the booking horizon"),
    ]:
        response = browser.post_form("/book", series_form(first, **extra), page="/book")
        assert response.status_code == 422, extra
        assert words in html.unescape(response.text), extra
    assert counts(app) == (0, 0)


def test_monthly_on_the_first_weekday(people, visitor, app):
    _alice, browser = signed_in(people, visitor)
    first_monday = next_weekday(20, 0)
    form = series_form(first_monday, repeat="monthly", repeat_count="3", weekdays=[])
    booked = browser.post_form("/book", {**form, "series_action": "skip"}, page="/book")
    assert booked.status_code == 200
    with app.app_context():
        days = [b.start_at.date() for b in db.session.scalars(select(Booking).order_by(Booking.start_at))]
    assert len(days) == 3 and all(d.weekday() == 0 and d.day <= 7 for d in days)


def test_the_series_page_cancels_one_the_following_and_all(people, visitor, app):
    _alice, browser = signed_in(people, visitor)
    first = next_weekday(7, 1)
    booked = browser.post_form("/book", {**series_form(first, repeat_count="5"), "series_action": "skip"}, page="/book")
    path = booked.request.path
    ids = [int(i) for i in re.findall(r'data-booking="(\d+)"', booked.text)]
    one = browser.post_form(f"/bookings/{ids[0]}/cancel", {"next": path}, page=f"/bookings/{ids[0]}/cancel")
    assert one.request.path == path
    following = browser.post_form(f"{path}/cancel", {"scope": "following", "from": str(ids[3])}, page=path)
    assert "2 occurrences cancelled" in following.text
    whole = browser.post_form(f"{path}/cancel", {"scope": "all"}, page=path)
    assert "2 occurrences cancelled" in whole.text
    with app.app_context():
        assert set(db.session.scalars(select(Booking.status))) == {"cancelled"}
    nothing = browser.post_form(f"{path}/cancel", {"scope": "all"}, page=path)
    assert nothing.status_code == 422 and "No active occurrence" in nothing.text
    # The booking's own page leads to its series.
    detail = browser.get(f"/bookings/{ids[1]}")
    assert f'href="{path}"' in detail.text


def test_a_manager_decides_a_pending_series_once_on_its_page(people, visitor, app):
    scientist = people.make(qualifications=["gowning-grade-b"])
    monday = next_weekday(7, 0)
    body = {
        "resource": "gmp-suite",
        "rrule": "FREQ=WEEKLY;COUNT=3",
        "start": f"{monday}T09:00",
        "duration_minutes": 120,
        "project": "CAR-T",
        "batch": "B-7",
    }
    series = scientist.post("/series", body).get_json()
    manager = people.make("manager", facilities=["gmp"], password=PASSWORD)
    browser = visitor()
    browser.sign_in(manager.email)
    path = f"/series/{series['id']}"
    assert 'id="decide-series"' in browser.get(path).text
    refused = browser.post_form(f"{path}/decide", {"decision": "approve"}, page=path)
    assert refused.status_code == 422 and "At a GMP facility an approval needs a reason." in refused.text
    approved = browser.post_form(f"{path}/decide", {"decision": "approve", "reason": "QA plan B-7"}, page=path)
    assert "3 occurrences approved." in approved.text and 'id="decide-series"' not in approved.text
    with app.app_context():
        assert set(db.session.scalars(select(Booking.status))) == {"confirmed"}


def test_the_series_page_moves_the_following_by_a_wall_clock_shift(people, visitor, app):
    _alice, browser = signed_in(people, visitor)
    first = next_weekday(7, 1)
    booked = browser.post_form("/book", {**series_form(first, repeat_count="4"), "series_action": "skip"}, page="/book")
    path = booked.request.path
    ids = [int(i) for i in re.findall(r'data-booking="(\d+)"', booked.text)]
    with app.app_context():
        before = {b.id: (b.start_at, b.end_at) for b in db.session.scalars(select(Booking))}

    bad = browser.post_form(f"{path}/move", {"shift_days": "one", "shift_minutes": "0"}, page=path)
    assert bad.status_code == 422 and "whole days and minutes" in html.unescape(bad.text)
    zero = browser.post_form(f"{path}/move", {"shift_days": "0", "shift_minutes": "0"}, page=path)
    assert zero.status_code == 422 and "other than zero" in zero.text

    moved = browser.post_form(
        f"{path}/move", {"from": str(ids[2]), "shift_days": "1", "shift_minutes": "-60"}, page=path
    )
    assert moved.status_code == 200 and "2 occurrences moved" in moved.text, moved.text[:300]
    with app.app_context():
        after = {b.id: (b.start_at, b.end_at) for b in db.session.scalars(select(Booking))}
    assert after[ids[0]] == before[ids[0]] and after[ids[1]] == before[ids[1]]
    for i in ids[2:]:
        assert after[i] == (before[i][0] + timedelta(days=1, hours=-1), before[i][1] + timedelta(days=1, hours=-1))
