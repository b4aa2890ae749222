"""Check-in, check-out and the manager's usage records over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from facility.audit.models import AuditEvent
from facility.core.extensions import db
from facility.core.time import utcnow
from facility.usage.models import UsageRecord
from tests.support.clients import error_codes
from tests.support.databases import sqlite_url
from tests.support.factory import add_booking, local


@pytest.fixture
def database_url(tmp_path, sqlite_template):
    return sqlite_url(sqlite_template, tmp_path)


def booking_now(app, email, *, starts_in=timedelta(minutes=-5), hours=1, status="confirmed", resource="lab-bsc"):
    with app.app_context():
        start = (utcnow() + starts_in).replace(microsecond=0)
        return add_booking(resource, email, start, start + timedelta(hours=hours), status)


def usage_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(UsageRecord))


def test_check_in_and_out_records_the_use_and_completes_the_booking(app, people):
    alice, bob = people.make(), people.make()
    booking = booking_now(app, alice.email)
    assert bob.post(f"/bookings/{booking}/check-in").status_code == 404  # not his, not visible
    checked_in = alice.post(f"/bookings/{booking}/check-in")
    assert checked_in.status_code == 200, checked_in.text
    record = checked_in.get_json()
    assert (
        record["booking"],
        record["resource"],
        record["user"],
        record["organisation"],
        record["source"],
        record["end"],
        record["minutes"],
    ) == (booking, "lab-bsc", alice.email, "lu", "booking", None, None)
    assert error_codes(alice.post(f"/bookings/{booking}/check-in")) == ["already_checked_in"]
    checked_out = alice.post(f"/bookings/{booking}/check-out")
    assert checked_out.status_code == 200 and checked_out.get_json()["end"] is not None
    assert alice.get(f"/bookings/{booking}").get_json()["status"] == "completed"
    assert error_codes(alice.post(f"/bookings/{booking}/check-out")) == ["not_checked_in"]
    assert error_codes(alice.post(f"/bookings/{booking}/check-in")) == ["invalid_state"]


def test_check_in_opens_fifteen_minutes_before_the_start(app, people):
    alice = people.make()
    later = booking_now(app, alice.email, starts_in=timedelta(hours=2))
    response = alice.post(f"/bookings/{later}/check-in")
    assert response.status_code == 422 and error_codes(response) == ["too_early"]
    soon = booking_now(app, alice.email, starts_in=timedelta(minutes=10))
    assert alice.post(f"/bookings/{soon}/check-in").status_code == 200
    pending = booking_now(app, alice.email, status="pending", resource="lab-bioreactor")
    assert error_codes(alice.post(f"/bookings/{pending}/check-in")) == ["invalid_state"]
    assert usage_count(app) == 1


def test_a_manager_checks_a_user_in_and_lists_the_facility_usage(app, people):
    alice = people.make()
    manager, other = people.make("manager", facilities=["lab"]), people.make("manager", facilities=["gmp"])
    booking = booking_now(app, alice.email)
    assert manager.post(f"/bookings/{booking}/check-in").status_code == 200
    listed = manager.get("/usage", query_string={"facility": "lab"})
    assert listed.status_code == 200
    assert [(u["booking"], u["user"]) for u in listed.get_json()] == [(booking, alice.email)]
    assert other.get("/usage", query_string={"facility": "lab"}).status_code == 403
    assert alice.get("/usage", query_string={"facility": "lab"}).status_code == 403
    assert error_codes(manager.get("/usage")) == ["required"]
    assert error_codes(manager.get("/usage", query_string={"facility": "lab", "from": "2026-10-01T00:00:00"})) == [
        "naive_datetime"
    ]


def test_walk_up_use_and_a_correction_that_keeps_the_original(app, people):
    alice = people.make()
    manager = people.make("manager", facilities=["lab"])
    walk_up = {
        "resource": "lab-bsc",
        "user": alice.email,
        "start": "2026-10-05T09:00:00+02:00",
        "end": "2026-10-05T11:00:00+02:00",
        "reason": "walk-up, logged on paper",
    }
    created = manager.post("/usage", walk_up)
    assert created.status_code == 201, created.text
    assert (created.get_json()["source"], created.get_json()["minutes"]) == ("walk-up", 120)
    before = usage_count(app)
    clash = manager.post(
        "/usage", {**walk_up, "start": "2026-10-05T10:00:00+02:00", "end": "2026-10-05T12:00:00+02:00"}
    )
    assert clash.status_code == 409 and error_codes(clash) == ["overlap"]
    backwards = manager.post("/usage", {**walk_up, "end": "2026-10-05T08:00:00+02:00", "reason": ""})
    assert backwards.status_code == 422 and set(error_codes(backwards)) == {"end_before_start", "reason_required"}
    assert error_codes(manager.post("/usage", {**walk_up, "start": "2026-10-05T09:00:00"})) == ["naive_datetime"]
    assert alice.post("/usage", walk_up).status_code == 403
    assert manager.post("/usage", {**walk_up, "user": "nobody@example.org"}).status_code == 404
    assert usage_count(app) == before
    corrected = manager.post(
        "/usage",
        {
            **walk_up,
            "end": "2026-10-05T10:30:00+02:00",
            "reason": "left at 10:30",
            "corrects": created.get_json()["id"],
        },
    )
    assert corrected.status_code == 201, corrected.text
    assert (corrected.get_json()["source"], corrected.get_json()["minutes"]) == ("manual", 90)
    listed = manager.get(
        "/usage",
        query_string={"facility": "lab", "from": "2026-10-01T00:00:00+02:00", "to": "2026-11-01T00:00:00+01:00"},
    ).get_json()
    assert [u["id"] for u in listed] == [corrected.get_json()["id"]]
    with app.app_context():
        original = db.session.get(UsageRecord, created.get_json()["id"])
        assert original.superseded and original.end_at == local("2026-10-05 11:00")
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "usage_records")))
        assert actions == ["usage.recorded", "usage.superseded", "usage.corrected"]
    again = manager.post("/usage", {**walk_up, "reason": "again", "corrects": created.get_json()["id"]})
    assert error_codes(again) == ["invalid_state"]


def test_projects_name_the_organisations_taking_part(people):
    manager, alice = people.make("manager", facilities=["lab"]), people.make()
    created = manager.post(
        "/projects", {"key": "car-t-7", "name": "CAR-T 7", "stage": "gmp", "organisations": ["lu", "cellco"]}
    )
    assert created.status_code == 201, created.text
    assert created.get_json() == {
        "key": "car-t-7",
        "name": "CAR-T 7",
        "stage": "gmp",
        "organisations": ["cellco", "lu"],
    }
    assert alice.get("/projects").get_json() == [created.get_json()]
    assert alice.post("/projects", {"key": "x", "name": "X"}).status_code == 403
    assert error_codes(manager.post("/projects", {"key": "y", "name": "Y", "organisations": ["nope"]})) == ["not_found"]
    assert error_codes(manager.post("/projects", {"key": "car-t-7", "name": "again"})) == ["duplicate"]
