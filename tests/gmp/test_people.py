"""People in the room (EU GMP Annex 1 (2022) ch. 7): a maximum number of people per cleanroom,
gowning requalified every year and withdrawable by a manager, and the unqualified only under
a qualified supervisor in the room, recorded as supervised."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from facility.accounts import services as accounts
from facility.accounts.models import UserQualification
from facility.audit.models import AuditEvent
from facility.core.extensions import db
from tests.support import clock as clocks
from tests.support.clients import PASSWORD, error_codes
from tests.support.factory import add_booking

NOW = clocks.DEFAULT_INSTANT


@pytest.fixture
def manager(people):
    return people.make("manager", facilities=("gmp",), password=PASSWORD)


@pytest.fixture
def room(app, people):
    """A checked-in booking of the suite (at most two people) by a qualified owner."""
    owner = people.make(qualifications=("gowning-grade-b",), password=PASSWORD)
    with app.app_context():
        booking = add_booking("gmp-suite", owner.email, NOW - timedelta(minutes=5), NOW + timedelta(hours=3))
    assert owner.post(f"/bookings/{booking}/check-in").status_code == 200
    return owner, booking


def test_the_room_holds_at_most_its_maximum(app, people, room):
    owner, booking = room
    colleague = people.make(qualifications=("gowning-grade-b",))
    third = people.make(qualifications=("gowning-grade-b",))
    entered = owner.post(f"/bookings/{booking}/people", json={"user": colleague.email})
    assert entered.status_code == 201, entered.text
    assert entered.get_json()["supervised_by"] is None
    full = owner.post(f"/bookings/{booking}/people", json={"user": third.email})
    assert full.status_code == 422 and error_codes(full) == ["occupancy_full"]
    again = owner.post(f"/bookings/{booking}/people", json={"user": colleague.email})
    assert error_codes(again) == ["already_in_room"]
    left = owner.post(f"/room-entries/{entered.get_json()['id']}/leave")
    assert left.status_code == 200 and left.get_json()["left_at"]
    assert owner.post(f"/bookings/{booking}/people", json={"user": third.email}).status_code == 201


def test_the_unqualified_enter_only_with_a_qualified_supervisor_in_the_room(app, people, room, manager):
    owner, booking = room
    trainee = people.make()  # no gowning
    outside = people.make(qualifications=("gowning-grade-b",))
    alone = owner.post(f"/bookings/{booking}/people", json={"user": trainee.email})
    assert alone.status_code == 422 and error_codes(alone) == ["supervisor_required"]
    absent = owner.post(f"/bookings/{booking}/people", json={"user": trainee.email, "supervisor": outside.email})
    assert error_codes(absent) == ["supervisor_not_present"]
    supervised = owner.post(f"/bookings/{booking}/people", json={"user": trainee.email, "supervisor": owner.email})
    assert supervised.status_code == 201 and supervised.get_json()["supervised_by"] == owner.email
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "room.entered_supervised")).one()
        assert event.after["supervised_by"] == owner.email
    lines = manager.get("/resources/gmp-suite/logbook").get_json()["lines"]
    assert [(line["kind"], line["supervised_by"]) for line in lines if line["kind"] == "entry"] == [
        ("entry", "Test Scientist")
    ]


def test_gowning_lasts_a_year_and_a_withdrawal_counts_until_it_is_granted_again(app, people, room, manager):
    owner, booking = room
    old_hand = people.make(qualifications=("gowning-grade-b",))
    with app.app_context():
        held = db.session.scalars(select(UserQualification).join(UserQualification.user)).all()
        row = next(q for q in held if q.user.email == old_hand.email)
        row.granted_at = NOW - timedelta(days=400)  # granted long ago, "valid until" still ahead
        db.session.commit()
    stale = owner.post(f"/bookings/{booking}/people", json={"user": old_hand.email})
    assert stale.status_code == 422 and error_codes(stale) == ["supervisor_required"]
    assert "expired" in stale.get_json()["errors"][0]["message"]

    colleague = people.make(qualifications=("gowning-grade-b",))
    no_reason = manager.post(
        "/qualification-withdrawals", json={"user": colleague.email, "qualification": "gowning-grade-b", "reason": " "}
    )
    assert no_reason.status_code == 422 and error_codes(no_reason) == ["reason_required"]
    lab = people.make("manager", facilities=("lab",))
    assert (
        lab.post(
            "/qualification-withdrawals",
            json={"user": colleague.email, "qualification": "gowning-grade-b", "reason": "x"},
        ).status_code
        == 403
    )
    withdrawn = manager.post(
        "/qualification-withdrawals",
        json={"user": colleague.email, "qualification": "gowning-grade-b", "reason": "failed gowning test"},
    )
    assert withdrawn.status_code == 201, withdrawn.text
    refused = owner.post(f"/bookings/{booking}/people", json={"user": colleague.email})
    assert error_codes(refused) == ["supervisor_required"] and "withdrawn" in refused.get_json()["errors"][0]["message"]
    # nor may they book the suite
    start, end = (NOW + timedelta(days=14)).isoformat(), (NOW + timedelta(days=14, hours=2)).isoformat()
    booked = colleague.post(
        "/bookings", {"resource": "gmp-suite", "start": start, "end": end, "project": "P", "batch": "B"}
    )
    assert booked.status_code == 422 and "qualification_withdrawn" in error_codes(booked)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "qualification.withdrawn")).one()
        assert event.reason == "failed gowning test"
        accounts.qualify(colleague.email, "gowning-grade-b", clocks.today() + timedelta(days=300))  # requalified
    assert owner.post(f"/bookings/{booking}/people", json={"user": colleague.email}).status_code == 201


def test_check_in_needs_room_and_the_owners_gowning(app, people, manager):
    owner = people.make(qualifications=("gowning-grade-b",))
    with app.app_context():
        booking = add_booking("gmp-suite", owner.email, NOW - timedelta(minutes=5), NOW + timedelta(hours=3))
    manager.post(
        "/qualification-withdrawals",
        json={"user": owner.email, "qualification": "gowning-grade-b", "reason": "gown breach"},
    )
    refused = owner.post(f"/bookings/{booking}/check-in")
    assert refused.status_code == 422 and error_codes(refused) == ["qualification_withdrawn"]


def test_only_the_owner_or_a_manager_records_who_enters(app, people, room, manager):
    owner, booking = room
    stranger = people.make(qualifications=("gowning-grade-b",))
    assert stranger.post(f"/bookings/{booking}/people", json={"user": stranger.email}).status_code == 404
    assert people.make("manager", facilities=("lab",)).get(f"/bookings/{booking}/people").status_code == 404
    assert manager.post(f"/bookings/{booking}/people", json={"user": stranger.email}).status_code == 201
    assert owner.post("/bookings/999999/people", json={"user": stranger.email}).status_code == 404
    assert owner.post(f"/bookings/{booking}/people", json={"user": "nobody@example.org"}).status_code == 404


def test_the_people_page_and_the_gowning_page(app, people, room, manager):
    owner, booking = room
    trainee = people.make()
    browser = people.signed_in(owner.email)
    page = browser.get(f"/bookings/{booking}/people")
    assert page.status_code == 200 and 'id="enter-form"' in page.text
    refused = browser.post_form(f"/bookings/{booking}/people", {"user": trainee.email, "supervisor": ""})
    assert refused.status_code == 422 and "qualified supervisor" in refused.text
    entered = browser.post_form(f"/bookings/{booking}/people", {"user": trainee.email, "supervisor": owner.email})
    assert entered.status_code == 200 and "supervised by" in entered.text
    assert "People in the room" in browser.get(f"/bookings/{booking}").text
    boss = people.signed_in(manager.email)
    withdrawn = boss.post_form(
        "/manage/gowning", {"user": owner.email, "qualification": "gowning-grade-b", "reason": "gown breach"}
    )
    assert withdrawn.status_code == 200 and "gown breach" in withdrawn.text
    assert people.signed_in(owner.email).get("/manage/gowning").status_code == 403
