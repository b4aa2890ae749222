"""The booking API over real HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from facility.accounts import services as accounts
from facility.audit.models import AuditEvent
from facility.bookings import services as booking_services
from facility.bookings.models import Booking
from facility.core.extensions import db
from tests.support.clients import error_codes
from tests.support.clock import STOCKHOLM
from tests.support.factory import local_slot


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Booking)),
            db.session.scalar(select(func.count()).select_from(AuditEvent)),
        )


def book(client, resource="lab-bsc", slot=None, headers=None, **extra):
    start, end = slot or local_slot(14, 10)
    body = {"resource": resource, "start": start, "end": end, "purpose": "expansion", **extra}
    return client.post("/bookings", body, headers=headers)


def test_catalogue_is_listed_as_the_contract_says(people):
    alice = people.make()
    facilities = alice.get("/facilities").get_json()
    assert [f["key"] for f in facilities] == ["lab", "gmp"]
    assert set(facilities[0]) == {"key", "name", "organisation", "gmp_level", "timezone", "bundles"}
    resources = alice.get("/resources", query_string={"facility": "gmp"}).get_json()
    assert [r["key"] for r in resources] == ["gmp-suite"]
    suite = alice.get("/resources/gmp-suite").get_json()
    assert suite == {
        "key": "gmp-suite",
        "name": "GMP cleanroom suite 1",
        "facility": "gmp",
        "kind": "cleanroom",
        "cleanroom_grade": "B",
        "requires_approval": True,
        "slot_minutes": 60,
        "min_minutes": 60,
        "max_minutes": 720,
        "lead_minutes": 0,
        "horizon_days": 180,
        "changeover_minutes": 120,
        "qualification": "gowning-grade-b",
        "status": "available",
        "requires": [],
    }
    assert alice.get("/resources/nope").status_code == 404
    assert error_codes(alice.get("/resources", query_string={"facility": "nope"})) == ["not_found"]


@pytest.mark.any_date
def test_book_a_free_slot_and_a_second_request_is_refused_with_overlap(people, app):
    alice, bob = people.make(), people.make()
    created = book(alice)
    assert created.status_code == 201, created.text
    body = created.get_json()
    assert body["status"] == "confirmed" and body["resource"] == "lab-bsc" and body["user"] == alice.email
    assert body["start"] == local_slot(14, 10)[0]  # facility-local offset on output
    assert set(body) == {
        "id",
        "resource",
        "user",
        "start",
        "end",
        "status",
        "purpose",
        "project",
        "created_at",
        "series_id",
        "bundle_id",
    }
    assert body["bundle_id"] is None
    before = counts(app)
    second = book(bob)
    assert second.status_code == 409
    assert second.get_json() == {
        "errors": [{"code": "overlap", "field": "start", "message": "This time is already booked."}]
    }
    assert counts(app) == before


@pytest.mark.any_date
def test_changeover_after_a_booking_is_held(people):
    alice = people.make(qualifications=["bioreactor-operation"])
    run = local_slot(21, 9, hours=48)  # Tue 09:00 -> Thu 09:00, then 4 h cleaning
    assert book(alice, "lab-bioreactor", run).status_code == 201
    thursday = datetime.fromisoformat(run[1])
    too_soon = (thursday + timedelta(hours=2)).isoformat(), (thursday + timedelta(hours=8)).isoformat()
    assert error_codes(book(alice, "lab-bioreactor", too_soon)) == ["overlap"]
    after_cleaning = (thursday + timedelta(hours=4)).isoformat(), (thursday + timedelta(hours=8)).isoformat()
    assert book(alice, "lab-bioreactor", after_cleaning).status_code == 201


@pytest.mark.any_date
def test_availability_shows_busy_time_without_names(people):
    alice, bob = people.make(qualifications=["gowning-grade-b"]), people.make()
    start, end = local_slot(14, 10, hours=2)
    assert book(alice, "gmp-suite", (start, end), purpose="secret CAR-T donor 7").status_code == 201
    day = datetime.fromisoformat(start).replace(hour=0)
    response = bob.get(
        "/resources/gmp-suite/availability",
        query_string={"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["busy"] == [
        {"start": start, "end": end, "kind": "pending"},
        {"start": end, "end": (datetime.fromisoformat(end) + timedelta(hours=2)).isoformat(), "kind": "changeover"},
    ]
    # Free = where a booking may lie: opening hours (06-22) minus the booking and its changeover,
    # and minus the two hours before it, which a new booking's own changeover would need.
    assert body["free"] == [
        {"start": day.replace(hour=6).isoformat(), "end": day.replace(hour=8).isoformat()},
        {"start": day.replace(hour=14).isoformat(), "end": day.replace(hour=22).isoformat()},
    ]
    assert body["starts"] == body["ends"] == body["free"]  # attended throughout: the free windows
    assert "secret" not in response.text and alice.email not in response.text


def test_availability_bad_window(people):
    alice = people.make()
    assert error_codes(alice.get("/resources/lab-bsc/availability", query_string={"from": "2026-12-01T00:00:00"})) == [
        "naive_datetime"
    ]
    far = {"from": "2026-12-01T00:00:00Z", "to": "2027-12-01T00:00:00Z"}
    assert error_codes(alice.get("/resources/lab-bsc/availability", query_string=far)) == ["window_too_large"]
    backwards = {"from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
    assert error_codes(alice.get("/resources/lab-bsc/availability", query_string=backwards)) == ["end_before_start"]


@pytest.mark.any_date
def test_gmp_request_is_pending_until_a_manager_of_that_facility_approves(people, app):
    alice = people.make(qualifications=["gowning-grade-b"])
    lab_manager = people.make("manager", facilities=["lab"])
    gmp_manager = people.make("manager", facilities=["gmp"])
    booking = book(alice, "gmp-suite", local_slot(10, 8, hours=4)).get_json()
    assert booking["status"] == "pending"
    path = f"/bookings/{booking['id']}"

    assert alice.post(path + "/approve", {"reason": "me"}).status_code == 403
    assert lab_manager.post(path + "/approve", {"reason": "x"}).status_code == 404  # not theirs to see
    assert error_codes(gmp_manager.post(path + "/approve", {})) == ["reason_required"]
    assert alice.get(path).get_json()["status"] == "pending"

    approved = gmp_manager.post(path + "/approve", {"reason": "Batch record and gowning checked"})
    assert approved.status_code == 200 and approved.get_json()["status"] == "confirmed"
    assert alice.get(path).get_json()["status"] == "confirmed"
    assert error_codes(gmp_manager.post(path + "/approve", {"reason": "again"})) == ["invalid_state"]
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "bookings", AuditEvent.entity_id == booking["id"])
        ).all()
        assert [e.action for e in events] == ["booking.requested", "booking.approved"]
        approval = events[1]
        assert approval.actor.email == gmp_manager.email
        assert approval.before["status"] == "pending" and approval.after["status"] == "confirmed"
        assert approval.reason == "Batch record and gowning checked"


@pytest.mark.any_date
def test_reject_needs_a_reason(people):
    alice = people.make(qualifications=["gowning-grade-b"])
    manager = people.make("manager", facilities=["gmp"])
    booking = book(alice, "gmp-suite", local_slot(10, 8)).get_json()
    assert error_codes(manager.post(f"/bookings/{booking['id']}/reject", {})) == ["required"]
    rejected = manager.post(f"/bookings/{booking['id']}/reject", {"reason": "Suite reserved for requalification"})
    assert rejected.get_json()["status"] == "rejected"
    # A rejected request no longer holds the slot.
    assert book(alice, "gmp-suite", local_slot(10, 8)).status_code == 201


@pytest.mark.any_date
def test_cancel_frees_the_slot_at_once(people):
    alice, bob = people.make(), people.make()
    booking = book(alice).get_json()
    assert bob.post(f"/bookings/{booking['id']}/cancel", {}).status_code == 404
    cancelled = alice.post(f"/bookings/{booking['id']}/cancel", {"reason": "experiment moved"})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert book(bob).status_code == 201
    assert error_codes(alice.post(f"/bookings/{booking['id']}/cancel", {})) == ["invalid_state"]


@pytest.mark.any_date
def test_gmp_manager_cancellation_needs_a_reason(people):
    alice = people.make(qualifications=["gowning-grade-b"])
    manager = people.make("manager", facilities=["gmp"])
    booking = book(alice, "gmp-suite", local_slot(10, 8)).get_json()
    assert error_codes(manager.post(f"/bookings/{booking['id']}/cancel", {})) == ["reason_required"]
    assert (
        manager.post(f"/bookings/{booking['id']}/cancel", {"reason": "HVAC failure"}).get_json()["status"]
        == "cancelled"
    )


@pytest.mark.any_date
def test_reschedule_checks_the_new_time_and_returns_to_pending(people):
    alice = people.make(qualifications=["gowning-grade-b"])
    manager = people.make("manager", facilities=["gmp"])
    first = book(alice, "gmp-suite", local_slot(10, 8)).get_json()
    manager.post(f"/bookings/{first['id']}/approve", {"reason": "ok"})
    other = book(alice, "gmp-suite", local_slot(10, 14)).get_json()
    start, end = local_slot(10, 12)
    clash = alice.patch(f"/bookings/{first['id']}", {"start": start, "end": end})
    assert clash.status_code == 409  # 12-13 + 2 h cleaning runs into 14:00
    moved = alice.patch(f"/bookings/{first['id']}", {"start": local_slot(10, 9)[0], "end": local_slot(10, 9)[1]})
    assert moved.status_code == 200, moved.text
    assert moved.get_json()["status"] == "pending" and moved.get_json()["start"] == local_slot(10, 9)[0]
    assert alice.patch(f"/bookings/{other['id']}", {"purpose": "Media fill"}).get_json()["purpose"] == "Media fill"
    assert error_codes(alice.patch(f"/bookings/{other['id']}", {})) == ["invalid"]
    assert error_codes(alice.patch(f"/bookings/{other['id']}", {"end": "2026-01-01T10:00:00"})) == ["naive_datetime"]


@pytest.mark.any_date
def test_every_rule_is_reported_with_its_code(people, app, clock):
    alice = people.make()
    now = clock.now.astimezone(STOCKHOLM)
    cases = {
        "end_before_start": local_slot(14, 10, hours=-1),
        "in_past": ((now - timedelta(days=2)).isoformat(), (now - timedelta(days=1)).isoformat()),
        "too_short": local_slot(14, 10, hours=0.25),
        "too_long": local_slot(14, 7, hours=9),
        "granularity": local_slot(14, 10, minute=10),
        "horizon": local_slot(130, 10),
        "outside_opening_hours": local_slot(14, 18, hours=2),
        "not_qualified": None,
    }
    before = counts(app)
    for code, slot in cases.items():
        if code == "not_qualified":
            response = book(alice, "lab-bioreactor", local_slot(14, 9, hours=24))
        else:
            response = book(alice, "lab-bsc", slot)
        assert response.status_code == 422, (code, response.text)
        assert code in error_codes(response), (code, response.text)
        assert all(e["message"] for e in response.get_json()["errors"])
    soon = clock.now.astimezone(STOCKHOLM) + timedelta(minutes=20)
    soon_start = soon.replace(minute=30 if soon.minute < 30 else 0, second=0, microsecond=0)
    if soon.minute >= 30:
        soon_start += timedelta(hours=1)
    lead = book(alice, "lab-bsc", (soon_start.isoformat(), (soon_start + timedelta(minutes=30)).isoformat()))
    assert "lead_time" in error_codes(lead) or "in_past" in error_codes(lead)
    assert counts(app) == before


@pytest.mark.any_date
def test_several_broken_rules_come_at_once(people):
    alice = people.make()
    start, _ = local_slot(14, 18, minute=10)
    end = (datetime.fromisoformat(start) + timedelta(hours=10)).isoformat()
    assert set(error_codes(book(alice, "lab-bsc", (start, end)))) == {
        "too_long",
        "granularity",
        "outside_opening_hours",
        "quota_exceeded",
    }


@pytest.mark.any_date
def test_qualification_expired_blackout_unavailable_and_quota(people, app, clock):
    alice = people.make()
    manager = people.make("manager", facilities=["lab"])
    with app.app_context():
        accounts.qualify(alice.email, "bioreactor-operation", clock.today + timedelta(days=3))
        manager_user = accounts.get_user_by_email(manager.email)
        start, end = local_slot(21, 9, hours=8)
        booking_services.add_blackout(
            manager_user,
            "lab",
            datetime.fromisoformat(start),
            datetime.fromisoformat(end),
            resource_key="lab-bsc",
            reason="Annual service",
        )
    assert error_codes(book(alice, "lab-bioreactor", local_slot(14, 9, hours=24))) == ["qualification_expired"]
    assert error_codes(book(alice, "lab-bsc", local_slot(21, 10))) == ["blackout"]
    # Quota: 6 h a week on the cabinet. The Tuesday is the day after the Monday, in its ISO week
    # (the first Tuesday 28 days ahead may come before the first such Monday).
    monday = local_slot(28, 8, hours=4, weekday=0)
    tuesday_8 = datetime.fromisoformat(monday[0]) + timedelta(days=1)

    def tuesday(hours):
        return tuesday_8.isoformat(), (tuesday_8 + timedelta(hours=hours)).isoformat()

    assert book(alice, "lab-bsc", monday).status_code == 201
    assert error_codes(book(alice, "lab-bsc", tuesday(3))) == ["quota_exceeded"]
    assert book(alice, "lab-bsc", tuesday(2)).status_code == 201
    with app.app_context():
        booking_services.set_resource_status(
            accounts.get_user_by_email(manager.email), "lab-bsc", "maintenance", "Filter change"
        )
    next_tuesday = (tuesday_8 + timedelta(days=7)).replace(hour=10)  # a week whose quota is unused
    assert error_codes(
        book(alice, "lab-bsc", (next_tuesday.isoformat(), (next_tuesday + timedelta(hours=1)).isoformat()))
    ) == ["resource_unavailable"]


def test_bad_input_never_gives_a_500(people):
    alice = people.make()
    raw = alice.post("/bookings", data="{not json", headers={"Content-Type": "application/json"})
    assert raw.status_code == 400 and error_codes(raw) == ["malformed_json"]
    assert alice.post("/bookings", [1, 2]).status_code == 400
    wrong_types = alice.post("/bookings", {"resource": 5, "start": 1, "end": None, "purpose": ["x"]})
    assert wrong_types.status_code == 422
    assert {e["field"] for e in wrong_types.get_json()["errors"]} == {"resource", "start", "end", "purpose"}
    missing = alice.post("/bookings", {})
    assert sorted(e["field"] for e in missing.get_json()["errors"]) == ["end", "resource", "start"]
    assert error_codes(book(alice, "no-such-thing")) == ["not_found"]
    naive = alice.post(
        "/bookings", {"resource": "lab-bsc", "start": "2026-12-01T09:00:00", "end": "2026-12-01T10:00:00Z"}
    )
    assert naive.status_code == 422 and error_codes(naive) == ["naive_datetime"]
    assert alice.get("/bookings/999999").status_code == 404
    assert alice.get("/bookings/abc").status_code == 404
    assert alice.request("DELETE", "/bookings/1").status_code == 405
    assert error_codes(alice.get("/bookings", query_string={"status": "nonsense"})) == ["invalid"]
    assert alice.get("/nowhere").headers["Content-Type"].startswith("application/json")


def test_tokens_unknown_revoked_or_missing_are_401(people, app):
    alice = people.make()
    assert alice.get("/facilities").status_code == 200
    anonymous = people.api()
    assert error_codes(anonymous.get("/facilities")) == ["not_authenticated"]
    forged = people.api("fac_forged")
    assert error_codes(forged.get("/facilities")) == ["invalid_token"]
    with app.app_context():
        user = accounts.get_user_by_email(alice.email)
        for token in list(db.session.scalars(select(accounts.ApiToken).where(accounts.ApiToken.user_id == user.id))):
            accounts.revoke_token(user, token.id)
    assert error_codes(alice.get("/facilities")) == ["invalid_token"]


def test_tokens_are_stored_only_as_hashes(people, app):
    alice = people.make()
    secret = alice.token
    with app.app_context():
        stored = db.session.scalars(select(accounts.ApiToken.token_hash)).all()
    assert secret not in stored and accounts.secret_hash(secret) in stored


@pytest.mark.any_date
def test_who_sees_which_bookings(people):
    alice, bob = people.make(), people.make(qualifications=["gowning-grade-b"])
    lab_manager = people.make("manager", facilities=["lab"])
    mine = book(alice).get_json()
    theirs = book(bob, "gmp-suite", local_slot(10, 8)).get_json()
    assert [b["id"] for b in alice.get("/bookings").get_json()] == [mine["id"]]
    assert bob.get(f"/bookings/{mine['id']}").status_code == 404
    assert [b["id"] for b in lab_manager.get("/bookings").get_json()] == [mine["id"]]
    assert lab_manager.get(f"/bookings/{theirs['id']}").status_code == 404
    assert lab_manager.get("/bookings", query_string={"mine": "true"}).get_json() == []
    start = local_slot(14, 0)[0]
    assert [
        b["id"] for b in alice.get("/bookings", query_string={"from": start, "status": "confirmed"}).get_json()
    ] == [mine["id"]]
    assert alice.get("/bookings", query_string={"status": "pending"}).get_json() == []


def test_openapi_document_describes_the_api(people):
    spec = people.api().get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/facilities",
        "/api/v1/resources/{key}/availability",
        "/api/v1/bookings",
        "/api/v1/bookings/{booking_id}/approve",
    ):
        assert path in spec["paths"], path
    assert "BookingCreate" in spec["components"]["schemas"]


def signed_in_session(app, email: str, user_agent: str) -> tuple[str, str]:
    """A browser's session cookie for ``email`` (as the sign-in page would set it) and its CSRF token."""
    from flask import session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    from facility.accounts import sessions
    from facility.accounts.cookie import keep_session_secret

    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": user_agent}):
        user = accounts.get_user_by_email(email)
        login_user(user)
        keep_session_secret(sessions.start_session(user, "127.0.0.1", user_agent))  # the session's row
        token = generate_csrf()
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    return cookie, token


def test_a_browser_session_writes_only_with_its_csrf_token(people, app):
    alice = people.make()
    agent = "facility-tests"
    cookie, csrf_token = signed_in_session(app, alice.email, agent)
    browser = people.api()
    browser.headers["User-Agent"] = agent
    browser.client.set_cookie("session", cookie)
    assert browser.get("/facilities").status_code == 200  # reads need no token
    before = counts(app)
    refused = book(browser)
    assert refused.status_code == 400 and error_codes(refused) == ["csrf_failed"]
    assert counts(app) == before
    accepted = book(browser, headers={"X-CSRFToken": csrf_token})
    assert accepted.status_code == 201, accepted.text


def test_far_off_years_are_refused_with_a_clear_error_not_a_crash(people, app):
    """Year 9999 plus a changeover or a week's margin would overflow Python's dates."""
    alice = people.make()
    admin = people.make("admin")
    before = counts(app)
    for start, end in (
        ("9999-12-31T10:00:00+01:00", "9999-12-31T11:00:00+01:00"),
        ("0001-01-01T10:00:00+01:00", "0001-01-01T11:00:00+01:00"),
    ):
        response = book(alice, slot=(start, end))
        assert response.status_code == 422
        assert set(error_codes(response)) == {"invalid_datetime"}
        assert "between the years 2000 and 2100" in response.get_json()["errors"][0]["message"]
    assert counts(app) == before
    availability = alice.get(
        "/resources/lab-bsc/availability",
        query_string={"from": "9999-12-31T23:00:00-05:00", "to": "9999-12-31T23:30:00-05:00"},
    )
    assert availability.status_code == 422 and set(error_codes(availability)) == {"invalid_datetime"}
    assert error_codes(admin.get("/reports/monthly", query_string={"month": "9999-12"})) == ["invalid_month"]
    assert error_codes(admin.get("/indicators", query_string={"from": "0001-01-01", "to": "9999-12-31"})) == [
        "invalid_period"
    ]
