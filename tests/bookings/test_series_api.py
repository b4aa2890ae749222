"""Recurring series over real HTTP, on SQLite and on PostgreSQL: a 10-week Tuesday series with
the one conflicting week left out on request, "book none" writing nothing, bad RRULEs refused
with their codes, cancel and move following or all, one approval decision for a series."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from facility.audit.models import AuditEvent
from facility.bookings.models import Booking, BookingSeries
from facility.catalog.models import Resource
from facility.core.extensions import db
from tests.support import clock as clocks
from tests.support.clients import error_codes
from tests.support.clock import STOCKHOLM

TEN_TUESDAYS = "FREQ=WEEKLY;BYDAY=TU;COUNT=10"


def next_tuesday() -> date:
    day = clocks.today() + timedelta(days=7)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def at(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), STOCKHOLM).isoformat()


def series_body(first: date, rule: str = TEN_TUESDAYS, resource: str = "lab-bsc", **extra) -> dict:
    start = datetime.combine(first, time(9)).isoformat()  # the facility's wall-clock time, no offset
    return {"resource": resource, "rrule": rule, "start": start, "duration_minutes": 240, "purpose": "QC", **extra}


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model)) for model in (Booking, BookingSeries, AuditEvent)
        )


def book_conflict(client, first: date, week: int = 2):
    day = first + timedelta(weeks=week)
    response = client.post("/bookings", {"resource": "lab-bsc", "start": at(day, 10), "end": at(day, 11)})
    assert response.status_code == 201, response.text
    return response.get_json()


def test_a_ten_week_tuesday_series_leaves_out_the_one_conflicting_week_on_request(people, app):
    alice, bob = people.make(), people.make()
    first = next_tuesday()
    taken = book_conflict(bob, first)
    preview = alice.post("/series/preview", series_body(first))
    assert preview.status_code == 200, preview.text
    shown = preview.get_json()
    assert (shown["accepted"], shown["refused"]) == (9, 1)
    refused = [o for o in shown["occurrences"] if not o["ok"]]
    assert [o["index"] for o in refused] == [2]
    assert [v["code"] for v in refused[0]["violations"]] == ["overlap"]
    assert counts(app)[0] == 1  # the preview wrote nothing

    created = alice.post("/series", series_body(first, on_conflict="skip"))
    assert created.status_code == 201, created.text
    body = created.get_json()
    occurrences = body["occurrences"]
    assert len(occurrences) == 9 and all(o["series_id"] == body["id"] for o in occurrences)
    assert all(o["status"] == "confirmed" and o["user"] == alice.email for o in occurrences)
    # Every occurrence is a Tuesday 09:00-13:00 in Stockholm, whatever the offset that day.
    for o in occurrences:
        start, end = datetime.fromisoformat(o["start"]), datetime.fromisoformat(o["end"])
        assert (start.weekday(), start.time(), end.time()) == (1, time(9), time(13))
    days = {datetime.fromisoformat(o["start"]).date() for o in occurrences}
    assert days == {first + timedelta(weeks=w) for w in range(10)} - {first + timedelta(weeks=2)}
    assert [s["index"] for s in body["skipped"]] == [2]
    assert body["skipped"][0]["violations"][0]["code"] == "overlap"
    assert alice.get(f"/bookings/{taken['id']}").status_code == 404  # bob's booking stays bob's
    # One audit event per booking and one for the series.
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity.in_(["bookings", "booking_series"]))
        )
        actions = list(actions)
    assert actions.count("series.requested") == 1 and actions.count("booking.requested") == 10  # bob's + 9
    fetched = alice.get(f"/series/{body['id']}").get_json()
    assert [o["id"] for o in fetched["occurrences"]] == [o["id"] for o in occurrences]
    assert fetched["rrule"] == TEN_TUESDAYS and fetched["duration_minutes"] == 240


def test_book_none_writes_nothing_and_names_each_refused_occurrence(people, app):
    alice, bob = people.make(), people.make()
    first = next_tuesday()
    book_conflict(bob, first, week=4)
    before = counts(app)
    refused = alice.post("/series", series_body(first, on_conflict="none"))
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    assert [e["code"] for e in errors] == ["series_conflicts"]
    assert errors[0]["field"] == "occurrences.4.start" and "(overlap)" in errors[0]["message"]
    assert counts(app) == before


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ("FREQ=WEEKLY;BYDAY=TU", "rrule_unbounded"),
        ("FREQ=WEEKLY;BYDAY=XX;COUNT=3", "rrule_invalid"),
        ("not a rule", "rrule_invalid"),
        ("FREQ=WEEKLY;INTERVAL=0;COUNT=3", "rrule_invalid"),
        ("FREQ=HOURLY;COUNT=3", "rrule_invalid"),
        ("FREQ=WEEKLY;COUNT=3\nRDATE:20270101", "rrule_invalid"),
        ("FREQ=DAILY;COUNT=105", "rrule_too_many"),
        ("FREQ=WEEKLY;BYDAY=TU;COUNT=30", "rrule_beyond_horizon"),  # lab-bsc books 120 days ahead
        ("FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2;UNTIL=20271231", "rrule_empty"),
    ],
)
def test_bad_rrules_get_their_code_and_nothing_is_written(people, app, rule, code):
    alice = people.make()
    before = counts(app)
    for path in ("/series/preview", "/series"):
        response = alice.post(path, series_body(next_tuesday(), rule))
        assert response.status_code == 422, response.text
        assert error_codes(response) == [code]
        assert response.get_json()["errors"][0]["field"] == "rrule"
    assert counts(app) == before


def test_bad_bodies_are_refused_with_codes_not_500(people, app):
    alice = people.make()
    first = next_tuesday()
    before = counts(app)
    both = series_body(first, end=datetime.combine(first, time(13)).isoformat())
    assert alice.post("/series", both).status_code == 422
    neither = {k: v for k, v in series_body(first).items() if k != "duration_minutes"}
    assert alice.post("/series", neither).status_code == 422
    assert error_codes(alice.post("/series", series_body(first, on_conflict="maybe"))) == ["invalid"]
    assert error_codes(alice.post("/series", series_body(first, resource="nope"))) == ["not_found"]
    assert error_codes(alice.post("/series", {**series_body(first), "start": "2026-13-01T09:00"})) == [
        "invalid_datetime"
    ]
    assert alice.get("/series/999999").status_code == 404
    assert counts(app) == before


def test_an_end_with_an_offset_gives_the_same_series_as_a_wall_clock_start(people):
    alice = people.make()
    first = next_tuesday()
    body = {**series_body(first, "FREQ=WEEKLY;COUNT=3"), "start": at(first, 9), "end": at(first, 13)}
    del body["duration_minutes"]
    created = alice.post("/series", body)
    assert created.status_code == 201, created.text
    assert [datetime.fromisoformat(o["start"]).hour for o in created.get_json()["occurrences"]] == [9, 9, 9]


def make_series(client, first: date, rule: str = "FREQ=WEEKLY;BYDAY=TU;COUNT=5", **extra) -> dict:
    created = client.post("/series", series_body(first, rule, **extra))
    assert created.status_code == 201, created.text
    return created.get_json()


def test_cancel_the_following_occurrences_then_the_whole_series(people, app):
    alice, bob = people.make(), people.make()
    series = make_series(alice, next_tuesday())
    ids = [o["id"] for o in series["occurrences"]]
    assert bob.post(f"/series/{series['id']}/cancel", {"scope": "all"}).status_code == 404
    following = alice.post(f"/series/{series['id']}/cancel", {"scope": "following", "from": ids[3]})
    assert following.status_code == 200, following.text
    assert [o["status"] for o in following.get_json()["occurrences"]] == ["confirmed"] * 3 + ["cancelled"] * 2
    # One occurrence alone, through the booking endpoint everyone knows.
    assert alice.post(f"/bookings/{ids[0]}/cancel", {}).get_json()["status"] == "cancelled"
    whole = alice.post(f"/series/{series['id']}/cancel", {"scope": "all", "reason": "project ended"})
    assert [o["status"] for o in whole.get_json()["occurrences"]] == ["cancelled"] * 5
    again = alice.post(f"/series/{series['id']}/cancel", {"scope": "all"})
    assert error_codes(again) == ["nothing_to_change"]
    assert error_codes(alice.post(f"/series/{series['id']}/cancel", {"scope": "following"})) == ["from_required"]
    other = book_conflict(bob, next_tuesday(), week=7)
    assert error_codes(alice.post(f"/series/{series['id']}/cancel", {"scope": "following", "from": other["id"]})) == [
        "not_in_series"
    ]
    # The freed time can be booked again at once.
    assert bob.post("/series", series_body(next_tuesday(), "FREQ=WEEKLY;BYDAY=TU;COUNT=5")).status_code == 201


def test_move_following_keeps_wall_clock_and_is_all_or_nothing(people, app):
    alice, bob = people.make(), people.make()
    first = next_tuesday()
    series = make_series(alice, first)
    ids = [o["id"] for o in series["occurrences"]]
    moved = alice.post(f"/series/{series['id']}/move", {"scope": "following", "from": ids[2], "shift_minutes": 60})
    assert moved.status_code == 200, moved.text
    hours = [datetime.fromisoformat(o["start"]).hour for o in moved.get_json()["occurrences"]]
    assert hours == [9, 9, 10, 10, 10]
    # Bob takes 15:00 in week 4: moving all by +4 h would land on it, so nothing moves.
    day = first + timedelta(weeks=4)
    assert bob.post("/bookings", {"resource": "lab-bsc", "start": at(day, 15), "end": at(day, 16)}).status_code == 201
    before = alice.get(f"/series/{series['id']}").get_json()["occurrences"]
    refused = alice.post(f"/series/{series['id']}/move", {"scope": "all", "shift_minutes": 240})
    assert refused.status_code == 422
    assert {e["code"] for e in refused.get_json()["errors"]} == {"series_conflicts"}
    assert [e["field"] for e in refused.get_json()["errors"]] == ["occurrences.4.start"]  # its place in the series
    assert alice.get(f"/series/{series['id']}").get_json()["occurrences"] == before
    # A whole week later: each occurrence takes the next one's old place (none overlaps for a moment).
    week = alice.post(f"/series/{series['id']}/move", {"scope": "all", "shift_minutes": 7 * 24 * 60})
    assert week.status_code == 200, week.text
    starts = [datetime.fromisoformat(o["start"]) for o in week.get_json()["occurrences"]]
    assert [s.date() for s in starts] == [first + timedelta(weeks=w) for w in range(1, 6)]


def set_series_approval(app, key: str, mode: str) -> None:
    with app.app_context():
        db.session.scalar(select(Resource).where(Resource.key == key)).series_approval = mode
        db.session.commit()


def gmp_series(people, first: date):
    scientist = people.make(qualifications=["gowning-grade-b"])
    monday = first - timedelta(days=1)
    body = {
        **series_body(monday, "FREQ=WEEKLY;BYDAY=MO;COUNT=4", resource="gmp-suite"),
        "project": "CAR-T",
        "batch": "B-1",
    }
    created = scientist.post("/series", body)
    assert created.status_code == 201, created.text
    return scientist, created.get_json()


def test_one_decision_approves_every_pending_occurrence(people, app):
    scientist, series = gmp_series(people, next_tuesday())
    assert series["approval"] == "series"
    assert {o["status"] for o in series["occurrences"]} == {"pending"}
    manager, other = people.make("manager", facilities=["gmp"]), people.make("manager", facilities=["lab"])
    assert scientist.post(f"/series/{series['id']}/approve", {"reason": "ok"}).status_code == 403
    assert other.post(f"/series/{series['id']}/approve", {"reason": "ok"}).status_code == 404
    assert error_codes(manager.post(f"/series/{series['id']}/approve", {})) == ["reason_required"]  # GMP
    approved = manager.post(f"/series/{series['id']}/approve", {"reason": "QA agreed the campaign"})
    assert approved.status_code == 200, approved.text
    assert {o["status"] for o in approved.get_json()["occurrences"]} == {"confirmed"}
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action)))
    assert actions.count("booking.approved") == 4 and actions.count("series.approved") == 1
    assert error_codes(manager.post(f"/series/{series['id']}/reject", {"reason": "no"})) == ["nothing_to_decide"]


def test_one_decision_rejects_the_series(people):
    _scientist, series = gmp_series(people, next_tuesday())
    manager = people.make("manager", facilities=["gmp"])
    assert manager.post(f"/series/{series['id']}/reject", {}).status_code == 422
    rejected = manager.post(f"/series/{series['id']}/reject", {"reason": "Suite requalified that month"})
    assert {o["status"] for o in rejected.get_json()["occurrences"]} == {"rejected"}


def test_a_resource_deciding_per_occurrence_refuses_a_series_decision(people, app):
    set_series_approval(app, "gmp-suite", "occurrence")
    _scientist, series = gmp_series(people, next_tuesday())
    assert series["approval"] == "occurrence"
    manager = people.make("manager", facilities=["gmp"])
    assert error_codes(manager.post(f"/series/{series['id']}/approve", {"reason": "ok"})) == ["approval_per_occurrence"]
    first = series["occurrences"][0]["id"]
    assert manager.post(f"/bookings/{first}/approve", {"reason": "batch 1 ok"}).get_json()["status"] == "confirmed"
