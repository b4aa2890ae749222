"""Every change is audited with its reason and named for what it changed: a manager changing or
cancelling someone else's booking must say why (422 reason_required), and a new purpose is
logged as ``booking.purpose_changed``, a new time as ``booking.rescheduled``."""

from __future__ import annotations

from sqlalchemy import select

from facility.audit.models import AuditEvent
from facility.bookings.models import Booking
from facility.core.extensions import db
from tests.support.clients import PASSWORD, error_codes
from tests.support.databases import SQLITE_ONLY
from tests.support.factory import local_slot


def book(client, hour=10) -> int:
    start, end = local_slot(14, hour)
    made = client.post("/bookings", {"resource": "lab-bsc", "start": start, "end": end, "purpose": "expansion"})
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"]


def events_of(app, booking_id: int) -> list[tuple[str, str, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.action, AuditEvent.reason, AuditEvent.actor_id)
            .where(AuditEvent.entity == "bookings", AuditEvent.entity_id == booking_id)
            .order_by(AuditEvent.seq)
        ).all()
        return [tuple(row) for row in rows]


def purpose_of(app, booking_id: int) -> str:
    with app.app_context():
        return db.session.get(Booking, booking_id).purpose


def test_a_managers_change_to_someone_elses_booking_needs_a_reason(app, people):
    alice = people.make()
    manager = people.make("manager", facilities=["lab"])
    booking_id = book(alice)

    refused = manager.patch(f"/bookings/{booking_id}", {"purpose": "by the manager"})
    assert refused.status_code == 422 and error_codes(refused) == ["reason_required"]
    assert refused.get_json()["errors"][0]["field"] == "reason"
    assert purpose_of(app, booking_id) == "expansion"

    changed = manager.patch(f"/bookings/{booking_id}", {"purpose": "by the manager", "reason": "typo in the lot"})
    assert changed.status_code == 200 and changed.get_json()["purpose"] == "by the manager"
    start, end = local_slot(14, 13)
    no_reason = manager.patch(f"/bookings/{booking_id}", {"start": start, "end": end, "reason": "  "})
    assert error_codes(no_reason) == ["reason_required"]
    moved = manager.patch(f"/bookings/{booking_id}", {"start": start, "end": end, "reason": "instrument swap"})
    assert moved.status_code == 200, moved.get_json()

    assert error_codes(manager.post(f"/bookings/{booking_id}/cancel", {})) == ["reason_required"]
    assert manager.post(f"/bookings/{booking_id}/cancel", {"reason": "service visit"}).status_code == 200
    assert [(action, reason) for action, reason, _actor in events_of(app, booking_id)] == [
        ("booking.requested", ""),
        ("booking.purpose_changed", "typo in the lot"),
        ("booking.rescheduled", "instrument swap"),
        ("booking.cancelled", "service visit"),
    ]


def test_the_owner_changes_without_a_reason_and_each_change_is_named(app, people):
    alice = people.make()
    booking_id = book(alice)
    assert alice.patch(f"/bookings/{booking_id}", {"purpose": "new purpose"}).status_code == 200
    start, end = local_slot(14, 15)
    assert alice.patch(f"/bookings/{booking_id}", {"start": start, "end": end}).status_code == 200
    assert alice.patch(f"/bookings/{booking_id}", {"reason": "only a reason"}).status_code == 422
    actions = [action for action, _reason, _actor in events_of(app, booking_id)]
    assert actions == ["booking.requested", "booking.purpose_changed", "booking.rescheduled"]


@SQLITE_ONLY
def test_the_reschedule_page_asks_a_manager_for_a_reason(app, people):
    alice = people.make()
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    booking_id = book(alice)
    desk = people.signed_in(manager.email)
    start, _end = local_slot(14, 10)
    day = start[:10]
    form = {"start_date": day, "start_time": "10:00", "end_date": day, "end_time": "11:00", "purpose": "corrected"}

    refused = desk.post_form(f"/bookings/{booking_id}/edit", form)
    assert refused.status_code == 422
    assert "A manager who changes someone else&#39;s booking must say why." in refused.text
    assert purpose_of(app, booking_id) == "expansion"

    done = desk.post_form(f"/bookings/{booking_id}/edit", {**form, "reason": "lot number corrected"})
    assert done.status_code == 200 and purpose_of(app, booking_id) == "corrected"
    assert events_of(app, booking_id)[-1][:2] == ("booking.purpose_changed", "lot number corrected")
