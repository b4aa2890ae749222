"""A manager books on behalf of a user: the rules are judged for that user, the booking and its
mail are theirs, the audit event names both; nobody else may use it."""

from __future__ import annotations

from sqlalchemy import func, select

from facility.audit.models import AuditEvent
from facility.bookings.models import Booking
from facility.core.extensions import db
from tests.support.clients import error_codes
from tests.support.factory import booking_count, local_slot


def book_for(client, user_email, resource="lab-bsc", slot=None, **extra):
    start, end = slot or local_slot(14, 10)
    body = {"resource": resource, "start": start, "end": end, "purpose": "on behalf", "user": user_email, **extra}
    return client.post("/bookings", body)


def test_a_manager_books_for_a_user_who_gets_the_booking_and_the_mail(app, people, smtp):
    manager = people.make("manager", facilities=["lab"])
    anna = people.make()
    made = book_for(manager, anna.email)
    assert made.status_code == 201, made.text
    body = made.get_json()
    assert body["user"] == anna.email and body["status"] == "confirmed"
    assert anna.get(f"/bookings/{body['id']}").status_code == 200
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.entity == "bookings", AuditEvent.entity_id == body["id"])
        )
        assert event.actor.email == manager.email
        assert event.after["user"] == anna.email and event.after["booked_by"] == manager.email
    [mail] = smtp.wait_for(1)
    assert anna.email in mail["X-Rcpt"] and "confirmed" in mail["Subject"]


def test_the_rules_are_judged_for_the_user_not_the_manager(app, people):
    manager = people.make("manager", facilities=["gmp"], qualifications=["gowning-grade-b"])
    anna = people.make()  # not gowned
    refused = book_for(manager, anna.email, resource="gmp-suite", slot=local_slot(14, 9, hours=2))
    assert refused.status_code == 422 and error_codes(refused) == ["not_qualified"]
    # quota: the biosafety cabinet allows 6 h a week per user, counted for the user
    lab_manager = people.make("manager", facilities=["lab"])
    assert anna.post("/bookings", {"resource": "lab-bsc", "start": local_slot(14, 8, hours=5)[0],
                                   "end": local_slot(14, 8, hours=5)[1]}).status_code == 201  # fmt: skip
    over = book_for(lab_manager, anna.email, slot=local_slot(14, 14, hours=2))
    assert error_codes(over) == ["quota_exceeded"]
    assert book_for(lab_manager, lab_manager.email, slot=local_slot(14, 14, hours=2)).status_code == 201


def test_only_a_manager_of_the_facility_may_book_for_others(app, people):
    scientist, anna = people.make(), people.make()
    gmp_manager = people.make("manager", facilities=["gmp"])
    before = booking_count(app)
    refused = book_for(scientist, anna.email)
    assert refused.status_code == 403 and error_codes(refused) == ["not_a_manager"]
    other = book_for(gmp_manager, anna.email)
    assert other.status_code == 403 and error_codes(other) == ["not_manager_of_facility"]
    unknown = book_for(people.make("manager", facilities=["lab"]), "nobody@example.org")
    assert unknown.status_code == 404 and error_codes(unknown) == ["not_found"]
    assert booking_count(app) == before


def test_ordinary_bookings_are_the_callers_own(app, people):
    anna = people.make()
    start, end = local_slot(14, 10)
    made = anna.post("/bookings", {"resource": "lab-bsc", "start": start, "end": end})
    assert made.get_json()["user"] == anna.email
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.requested"))
        assert "booked_by" not in event.after
