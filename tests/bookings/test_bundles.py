"""Bundles through the API: a GMP suite booked with its isolator (and freezer) in one booking,
all or nothing, decided once, cancelled as one; on SQLite and PostgreSQL, over the real
``instruments.yaml`` (its ``sus-suite-1`` and ``sus-suite-1-fill``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from facility.audit.models import AuditEvent
from facility.bookings.models import Booking, BookingBundle
from facility.catalog.models import Resource
from facility.core.extensions import db
from tests.support.clients import error_codes
from tests.support.factory import add_booking, local_slot

GMP_QUALIFICATIONS = ["gowning-grade-b", "gmp-basic", "cryopreservation"]
LABELS = {"purpose": "CAR-T batch fill", "project": "CAR-T 19", "batch": "B-2026-041"}


@pytest.fixture
def app(catalogue_app):
    return catalogue_app


@pytest.fixture
def people(app):
    from tests.support.factory import People

    return People(app)


@pytest.fixture
def gmp_manager(people):
    return people.make("manager", facilities=["sus-gmp"], qualifications=GMP_QUALIFICATIONS)


@pytest.fixture
def scientist(people):
    return people.make(qualifications=GMP_QUALIFICATIONS)


def slot(hours=4, days=14, hour=8):
    return local_slot(days, hour, hours=hours)


def body(start, end, **extra):
    return {"start": start, "end": end, **LABELS, **extra}


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Booking)),
            db.session.scalar(select(func.count()).select_from(BookingBundle)),
            db.session.scalar(select(func.count()).select_from(AuditEvent)),
        )


def test_a_gmp_manager_books_the_cleanroom_with_its_isolator_in_one_booking(app, gmp_manager):
    start, end = slot()
    made = gmp_manager.post("/bundles", json=body(start, end, resources=["sus-cleanroom-1", "sus-isolator"]))
    assert made.status_code == 201, made.text
    bundle = made.get_json()
    assert bundle["resources"] == ["sus-cleanroom-1", "sus-isolator"]  # in the catalogue's order
    assert bundle["status"] == "pending"  # the GMP unit approves every booking: the bundle waits as one
    assert datetime.fromisoformat(bundle["start"]) == datetime.fromisoformat(start)
    assert [b["bundle_id"] for b in bundle["bookings"]] == [bundle["id"]] * 2
    # Each member is an ordinary booking of its resource, visible as such, and keeps its own changeover.
    for booking in bundle["bookings"]:
        single = gmp_manager.get(f"/bookings/{booking['id']}").get_json()
        assert single["bundle_id"] == bundle["id"] and single["status"] == "pending"
    with app.app_context():
        held = {b.resource.key: b.blocked_until - b.end_at for b in db.session.scalars(select(Booking))}
    assert held == {"sus-cleanroom-1": timedelta(minutes=240), "sus-isolator": timedelta(minutes=180)}
    assert gmp_manager.get(f"/bundles/{bundle['id']}").get_json() == bundle


def test_booking_the_catalogues_suite_by_its_key_books_all_three(app, scientist):
    start, end = slot()
    made = scientist.post("/bundles", json=body(start, end, bundle="sus-suite-1"))
    assert made.status_code == 201, made.text
    assert made.get_json()["bundle"] == "sus-suite-1"
    assert made.get_json()["resources"] == ["sus-cleanroom-1", "sus-freezer", "sus-isolator"]  # catalogue order
    busy = scientist.get("/resources/sus-freezer/availability", query_string={"from": start, "to": end}).get_json()
    assert [b["kind"] for b in busy["busy"]] == ["pending", "changeover"]


def test_if_the_isolator_is_taken_nothing_is_written(app, gmp_manager, scientist):
    start, end = slot()
    with app.app_context():
        add_booking("sus-isolator", scientist.email, datetime.fromisoformat(start), datetime.fromisoformat(end))
    before = counts(app)
    refused = gmp_manager.post("/bundles", json=body(start, end, bundle="sus-suite-1-fill"))
    assert refused.status_code == 409, refused.text
    assert refused.get_json()["errors"] == [
        {"code": "overlap", "field": "sus-isolator.start", "message": refused.get_json()["errors"][0]["message"]}
    ]
    assert refused.get_json()["errors"][0]["message"].startswith("Aseptic isolator")
    assert counts(app) == before  # the cleanroom was free, and is still not booked


def test_the_isolator_cannot_be_booked_on_its_own(app, gmp_manager):
    start, end = slot()
    refused = gmp_manager.post("/bookings", json={"resource": "sus-isolator", "start": start, "end": end, **LABELS})
    assert refused.status_code == 422
    assert error_codes(refused) == ["requires_resource"]
    assert "sus-cleanroom-1" in refused.get_json()["errors"][0]["message"]
    # ... nor in a bundle without the suite it stands in
    refused = gmp_manager.post("/bundles", json=body(start, end, resources=["sus-isolator", "sus-freezer"]))
    assert refused.status_code == 422 and error_codes(refused) == ["requires_resource"]
    assert refused.get_json()["errors"][0]["field"] == "sus-isolator.resource"
    assert counts(app)[:2] == (0, 0)


@pytest.mark.parametrize("change", ["retired", "out_of_service"])
def test_a_bundle_naming_a_retired_resource_gets_its_code_and_nothing_is_written(app, scientist, change):
    with app.app_context():
        freezer = db.session.scalar(select(Resource).where(Resource.key == "sus-freezer"))
        if change == "retired":
            freezer.retired_at = datetime.fromisoformat("2026-01-01T00:00:00+00:00")
        else:
            freezer.status = "out_of_service"
        db.session.commit()
    before = counts(app)
    start, end = slot()
    refused = scientist.post("/bundles", json=body(start, end, bundle="sus-suite-1"))
    assert refused.status_code == 422, refused.text
    assert error_codes(refused) == ["bundle_retired"]
    assert refused.get_json()["errors"][0]["field"] == "sus-freezer.resource"
    assert counts(app) == before


def test_every_rule_of_every_member_at_once(app, people):
    unqualified = people.make(qualifications=["gowning-grade-b"])  # not for the isolator (gmp-basic)
    start, end = local_slot(1, 8, hours=4, weekday=2)  # tomorrow: inside the GMP unit's two days of lead time
    refused = unqualified.post("/bundles", json={"start": start, "end": end, "bundle": "sus-suite-1-fill"})
    assert refused.status_code == 422
    found = {(e["code"], e.get("field")) for e in refused.get_json()["errors"]}
    assert found == {
        ("lead_time", "start"),  # both members alike: said once
        ("not_qualified", "sus-isolator.resource"),
        ("product_required", "project"),
        ("batch_required", "batch"),
    }
    assert counts(app)[:2] == (0, 0)


@pytest.mark.parametrize(
    "payload,status,code",
    [
        ({"resources": ["sus-cleanroom-1", "sus-cleanroom-1"]}, 422, "bundle_duplicate"),
        ({"resources": ["sus-cleanroom-1"]}, 422, "bundle_too_small"),
        ({"resources": ["sus-cleanroom-1", "no-such-thing"]}, 404, "not_found"),
        ({"bundle": "no-such-suite"}, 404, "not_found"),
        ({"bundle": "sus-suite-1", "resources": ["sus-cleanroom-1", "sus-isolator"]}, 422, None),
        ({}, 422, None),
        ({"bundle": "sus-suite-1", "start": "2026-12-01T09:00:00"}, 422, "naive_datetime"),
        ({"resources": "sus-cleanroom-1"}, 422, None),
    ],
)
def test_bad_input_gets_a_clear_code_and_nothing_is_written(app, gmp_manager, payload, status, code):
    start, end = slot()
    before = counts(app)
    refused = gmp_manager.post("/bundles", json=body(start, end) | payload)
    assert refused.status_code == status, refused.text
    if code:
        assert code in error_codes(refused)
    assert counts(app) == before


def test_a_malformed_body_is_400(app, gmp_manager):
    refused = gmp_manager.post("/bundles", data="{not json", headers={"Content-Type": "application/json"})
    assert refused.status_code == 400


def test_approval_is_decided_once_for_the_bundle_by_the_gmp_manager(app, people, scientist, gmp_manager):
    start, end = slot()
    bundle = scientist.post("/bundles", json=body(start, end, bundle="sus-suite-1")).get_json()
    lab_manager = people.make("manager", facilities=["smile"])
    assert scientist.post(f"/bundles/{bundle['id']}/approve", json={"reason": "ok"}).status_code == 403
    assert lab_manager.post(f"/bundles/{bundle['id']}/approve", json={"reason": "ok"}).status_code == 404
    refused = gmp_manager.post(f"/bundles/{bundle['id']}/approve", json={})
    assert refused.status_code == 422 and error_codes(refused) == ["reason_required"]
    events_before = counts(app)[2]
    # Approving one member approves the whole bundle, one audit event per booking.
    member = bundle["bookings"][1]["id"]
    approved = gmp_manager.post(f"/bookings/{member}/approve", json={"reason": "QA released the batch plan"})
    assert approved.status_code == 200, approved.text
    shown = gmp_manager.get(f"/bundles/{bundle['id']}").get_json()
    assert shown["status"] == "confirmed"
    assert {b["status"] for b in shown["bookings"]} == {"confirmed"}
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "booking.approved")).all()
        assert sorted(e.entity_id for e in events) == sorted(b["id"] for b in bundle["bookings"])
    assert counts(app)[2] == events_before + 3
    again = gmp_manager.post(f"/bundles/{bundle['id']}/approve", json={"reason": "twice"})
    assert again.status_code == 422 and error_codes(again) == ["invalid_state"]


def test_rejecting_the_bundle_rejects_every_member(app, scientist, gmp_manager):
    start, end = slot()
    bundle = scientist.post("/bundles", json=body(start, end, bundle="sus-suite-1-fill")).get_json()
    rejected = gmp_manager.post(f"/bundles/{bundle['id']}/reject", json={"reason": "Suite in requalification"})
    assert rejected.status_code == 200, rejected.text
    assert rejected.get_json()["status"] == "rejected"
    assert {b["status"] for b in rejected.get_json()["bookings"]} == {"rejected"}


def test_cancelling_the_bundle_or_one_member_cancels_all_and_frees_the_time(app, scientist, people):
    start, end = slot()
    first = scientist.post("/bundles", json=body(start, end, bundle="sus-suite-1")).get_json()
    cancelled = scientist.post(f"/bundles/{first['id']}/cancel", json={})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert {b["status"] for b in cancelled.get_json()["bookings"]} == {"cancelled"}
    other = people.make(qualifications=GMP_QUALIFICATIONS)
    second = other.post("/bundles", json=body(start, end, bundle="sus-suite-1"))
    assert second.status_code == 201, second.text  # the time is free again at once
    member = second.get_json()["bookings"][2]["id"]
    assert other.post(f"/bookings/{member}/cancel", json={}).status_code == 200
    shown = other.get(f"/bundles/{second.get_json()['id']}").get_json()
    assert {b["status"] for b in shown["bookings"]} == {"cancelled"}


def test_a_member_is_not_moved_alone(app, scientist):
    start, end = slot()
    bundle = scientist.post("/bundles", json=body(start, end, bundle="sus-suite-1-fill")).get_json()
    later_start, later_end = slot(days=21)
    member = bundle["bookings"][0]["id"]
    refused = scientist.patch(f"/bookings/{member}", json={"start": later_start, "end": later_end})
    assert refused.status_code == 422 and error_codes(refused) == ["part_of_bundle"]
    assert scientist.patch(f"/bookings/{member}", json={"purpose": "CAR-T fill, run 2"}).status_code == 200


def test_others_do_not_see_a_bundle(app, scientist, people):
    start, end = slot()
    bundle = scientist.post("/bundles", json=body(start, end, bundle="sus-suite-1-fill")).get_json()
    stranger = people.make()
    for path in (f"/bundles/{bundle['id']}", "/bundles/999999"):
        assert stranger.get(path).status_code == 404
    assert stranger.post(f"/bundles/{bundle['id']}/cancel", json={}).status_code == 404
    assert people.api().get(f"/bundles/{bundle['id']}").status_code == 401


def test_the_catalogue_lists_the_suites_and_what_each_resource_requires(app, scientist):
    facilities = {f["key"]: f for f in scientist.get("/facilities").get_json()}
    suites = {b["key"]: b["resources"] for b in facilities["sus-gmp"]["bundles"]}
    assert suites == {
        "sus-suite-1": ["sus-cleanroom-1", "sus-isolator", "sus-freezer"],
        "sus-suite-1-fill": ["sus-cleanroom-1", "sus-isolator"],
    }
    assert facilities["smile"]["bundles"] == []
    assert scientist.get("/resources/sus-isolator").get_json()["requires"] == ["sus-cleanroom-1"]
    assert scientist.get("/resources/sus-cleanroom-1").get_json()["requires"] == []


def test_the_bundle_moves_as_one_and_goes_back_to_pending(app, scientist, gmp_manager):
    start, end = slot()
    bundle = scientist.post("/bundles", json=body(start, end, bundle="sus-suite-1")).get_json()
    assert gmp_manager.post(f"/bundles/{bundle['id']}/approve", json={"reason": "ok"}).status_code == 200
    # An hour later: overlaps its own old time, which does not count against it.
    later = [(datetime.fromisoformat(t) + timedelta(hours=1)).isoformat() for t in (start, end)]
    moved = scientist.patch(f"/bundles/{bundle['id']}", json={"start": later[0], "end": later[1]})
    assert moved.status_code == 200, moved.text
    shown = moved.get_json()
    assert datetime.fromisoformat(shown["start"]) == datetime.fromisoformat(later[0])
    assert {(b["start"], b["end"], b["status"]) for b in shown["bookings"]} == {
        (shown["start"], shown["end"], "pending")
    }
    with app.app_context():
        held = {b.resource.key: b.blocked_until - b.end_at for b in db.session.scalars(select(Booking))}
        assert held["sus-freezer"] == timedelta(minutes=60) and held["sus-cleanroom-1"] == timedelta(minutes=240)
        assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "booking.rescheduled")).all()) == 3


def test_a_move_that_one_member_cannot_make_moves_nothing(app, scientist, gmp_manager, people):
    start, end = slot()
    bundle = scientist.post("/bundles", json=body(start, end, bundle="sus-suite-1-fill")).get_json()
    other_start, other_end = slot(days=21)
    with app.app_context():
        add_booking("sus-isolator", people.make().email, datetime.fromisoformat(other_start),
                    datetime.fromisoformat(other_end))  # fmt: skip
    refused = scientist.patch(f"/bundles/{bundle['id']}", json={"start": other_start, "end": other_end})
    assert refused.status_code == 409 and refused.get_json()["errors"][0]["field"] == "sus-isolator.start"
    assert scientist.get(f"/bundles/{bundle['id']}").get_json() == bundle
    unexplained = gmp_manager.patch(f"/bundles/{bundle['id']}", json={"start": other_start, "end": other_end})
    assert unexplained.status_code == 422 and error_codes(unexplained) == ["reason_required"]
    naive = scientist.patch(f"/bundles/{bundle['id']}", json={"start": "2026-12-01T09:00:00", "end": other_end})
    assert naive.status_code == 422 and error_codes(naive) == ["naive_datetime"]


def test_one_request_mail_per_facility_and_one_decision_mail_for_the_bundle(app, people, scientist, smtp):
    gmp_manager = people.make("manager", facilities=["sus-gmp"])
    lab_manager = people.make("manager", facilities=["smile"])
    start, end = slot()
    bundle = scientist.post("/bundles", json=body(start, end, bundle="sus-suite-1")).get_json()
    mails = smtp.wait_for(2)
    to_managers = smtp.to(gmp_manager.email)
    assert len(to_managers) == 1 and to_managers[0]["Subject"].startswith("Request to approve: ")
    text = to_managers[0].get_payload(decode=True).decode()
    assert "Booked together with:" in text
    assert not smtp.to(lab_manager.email)
    assert [m["Subject"] for m in smtp.to(scientist.email)] == [
        "Booking pending: GMP cleanroom suite 1 (grade B, grade A isolator)"
    ]
    assert len(mails) == 2
    approved = gmp_manager.post(f"/bundles/{bundle['id']}/approve", json={"reason": "QA released"})
    assert approved.status_code == 200, approved.text
    decided = [m for m in smtp.wait_for(3) if "Your booking is confirmed" in m["Subject"]]
    assert len(decided) == 1 and len(smtp.messages) == 3
