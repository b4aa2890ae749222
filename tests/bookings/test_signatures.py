"""Electronic signatures of GMP approvals (21 CFR 11.50/11.70, Annex 11 §14): the password is
asked again at each signing; the printed name, the time (facility-local) and the meaning are
recorded and shown; the signature is bound to the booking's content and says when that changed."""

from __future__ import annotations

from sqlalchemy import select

from facility.audit import chain
from facility.audit.models import AuditEvent
from facility.bookings import services as bookings
from facility.bookings.models import Booking
from facility.core.extensions import db
from tests.support.clients import PASSWORD, error_codes
from tests.support.clock import STOCKHOLM
from tests.support.databases import SQLITE_ONLY
from tests.support.factory import local_slot


def request_gmp(client, hour: int) -> int:
    start, end = local_slot(14, hour, 2)
    made = client.post("/bookings", {"resource": "gmp-suite", "start": start, "end": end, "purpose": "CAR-T lot 7"})
    assert made.status_code == 201 and made.get_json()["status"] == "pending", made.get_json()
    return made.get_json()["id"]


def decide(browser, booking_id: int, **form):
    path = f"/manage/approvals/{booking_id}"
    return browser.post_form(path, {"decision": "approve", "reason": "Batch record reviewed", **form})


def status_of(app, booking_id: int) -> str:
    with app.app_context():
        return db.session.get(Booking, booking_id).status


@SQLITE_ONLY
def test_each_gmp_approval_asks_for_the_password_and_records_name_time_meaning_and_content(app, people):
    alice = people.make(qualifications=["gowning-grade-b"], password=PASSWORD)
    manager = people.make("manager", facilities=["gmp"], password=PASSWORD)
    first, second = request_gmp(alice, 8), request_gmp(alice, 13)
    desk = people.signed_in(manager.email)

    missing = decide(desk, first)
    assert missing.status_code == 422 and "Enter your password to sign the approval." in missing.text
    wrong = decide(desk, first, password="not my password")
    assert wrong.status_code == 422 and "nothing was signed" in wrong.text
    assert status_of(app, first) == "pending"

    signed = decide(desk, first, password=PASSWORD)
    assert signed.status_code == 200 and "Approved and signed: approval: I approve this record." in signed.text
    assert status_of(app, first) == "confirmed"
    # Having signed once does not sign the next one: the password is asked again.
    again = decide(desk, second)
    assert again.status_code == 422 and "Enter your password to sign the approval." in again.text
    assert status_of(app, second) == "pending"

    with app.app_context():
        booking = db.session.get(Booking, first)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.approved"))
        assert (event.signature_meaning, event.signer_name, event.entity_id) == ("approval", "Test Manager", first)
        assert event.signed_content_hash == chain.content_hash(bookings.signed_fields(booking))
        assert bookings.signed_fields(booking)["status"] == "confirmed"
        when = event.at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M %Z")

    for viewer in (desk, people.signed_in(alice.email)):
        page = viewer.get(f"/bookings/{first}").text
        assert "Electronic signature" in page and "Test Manager" in page and when in page
        assert "approval: I approve this record" in page
        assert "The booking still holds exactly what was signed." in page
    assert "Test Manager" in desk.get(f"/manage/approvals/{first}").text


@SQLITE_ONLY
def test_a_signature_says_when_the_signed_booking_changed_afterwards(app, people):
    alice = people.make(qualifications=["gowning-grade-b"], password=PASSWORD)
    manager = people.make("manager", facilities=["gmp"], password=PASSWORD)
    booking_id = request_gmp(alice, 8)
    desk = people.signed_in(manager.email)
    assert decide(desk, booking_id, password=PASSWORD).status_code == 200
    assert "no longer matches" not in desk.get(f"/bookings/{booking_id}").text

    changed = alice.patch(f"/bookings/{booking_id}", {"purpose": "CAR-T lot 8"})
    assert changed.status_code == 200, changed.get_json()
    page = people.signed_in(alice.email).get(f"/bookings/{booking_id}").text
    assert "The signature no longer matches: the booking has changed since it was signed (purpose)." in page
    assert "still holds exactly what was signed" not in page


@SQLITE_ONLY
def test_an_unsigned_approval_shows_no_signature(app, people):
    alice = people.make(password=PASSWORD)
    start, end = local_slot(14, 10)
    made = alice.post("/bookings", {"resource": "lab-bsc", "start": start, "end": end, "purpose": "x"}).get_json()
    assert "Electronic signature" not in people.signed_in(alice.email).get(f"/bookings/{made['id']}").text


def test_the_api_signs_an_approval_given_the_password_again(app, people):
    alice = people.make(qualifications=["gowning-grade-b"])
    manager = people.make("manager", facilities=["gmp"], password=PASSWORD)
    booking_id = request_gmp(alice, 8)
    path = f"/bookings/{booking_id}/approve"
    assert error_codes(manager.post(path, {"reason": "ok", "password": "wrong"})) == ["wrong_password"]
    assert error_codes(manager.post(path, {"reason": "ok", "password": ""})) == ["password_required"]
    assert status_of(app, booking_id) == "pending"
    signed = manager.post(path, {"reason": "batch record reviewed", "password": PASSWORD})
    assert signed.status_code == 200 and "password" not in signed.get_json()
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        signature = bookings.signature_of(booking)
        assert (signature.signer_name, signature.meaning, signature.matches) == ("Test Manager", "approval", True)
    # Without a password the API approves as before, unsigned.
    other = request_gmp(alice, 13)
    assert manager.post(f"/bookings/{other}/approve", {"reason": "ok"}).status_code == 200
    with app.app_context():
        assert bookings.signature_of(db.session.get(Booking, other)) is None
