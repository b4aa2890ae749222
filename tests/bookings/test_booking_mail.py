"""Mail about bookings goes out from the scheduler's ``booking_mails`` job, which reads the audit
trail the changes wrote: the request itself sends nothing and waits on no mail server; each
change is mailed once, in the order the changes were made; what happened before the job
existed (migration 0017) is not mailed again."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from facility.core.extensions import db
from facility.core.mail import MailPosition
from facility.jobs.scheduler import JOBS, run_job
from tests.support.factory import local_slot


def book(client, days_ahead=14, resource="lab-bsc", hours=1):
    start, end = local_slot(days_ahead, 10, hours=hours)
    response = client.post("/bookings", {"resource": resource, "start": start, "end": end})
    assert response.status_code == 201, response.text
    return response.get_json()


def test_the_request_sends_nothing_the_scheduler_sends_its_mail_once(app, people, smtp):
    alice = people.make()
    book(alice)
    # Mail goes over SMTP before send returns: had the request sent it, it would be here now.
    assert smtp.messages == []
    assert "booking_mails" in JOBS
    assert run_job(app, "booking_mails") == 1
    assert [m["Subject"] for m in smtp.messages] == ["Booking confirmed: Biosafety cabinet"]
    assert smtp.messages[0]["X-Rcpt"] == alice.email
    assert run_job(app, "booking_mails") == 0
    assert len(smtp.messages) == 1


def test_changes_are_mailed_in_the_order_they_were_made(app, people, smtp):
    alice = people.make(qualifications=["gowning-grade-b"])
    manager = people.make("manager", facilities=["gmp"])
    pending = book(alice, resource="gmp-suite", hours=2)
    assert manager.post(f"/bookings/{pending['id']}/approve", {"reason": "batch 7"}).status_code == 200
    second = book(alice, days_ahead=21, resource="gmp-suite", hours=2)
    assert manager.post(f"/bookings/{second['id']}/approve", {"reason": "batch 8"}).status_code == 200
    assert manager.post(f"/bookings/{second['id']}/cancel", {"reason": "service visit"}).status_code == 200
    assert run_job(app, "booking_mails") == 5
    # The first request is mailed as the booking is by then: approved, so there is nothing
    # left for the managers to decide; the second was cancelled before its mail went out.
    assert [(m["X-Rcpt"], m["Subject"].split(":")[0]) for m in smtp.messages] == [
        (alice.email, "Booking confirmed"),
        (alice.email, "Your booking is confirmed"),
        (alice.email, "Your booking is confirmed"),
        (alice.email, "Your booking is cancelled"),
    ]


def test_a_request_withdrawn_before_its_mail_went_out_is_not_announced(app, people, smtp):
    alice = people.make(qualifications=["gowning-grade-b"])
    manager = people.make("manager", facilities=["gmp"])
    pending = book(alice, resource="gmp-suite", hours=2)
    assert alice.post(f"/bookings/{pending['id']}/cancel", {}).status_code == 200
    assert run_job(app, "booking_mails") == 2  # the request and the cancellation were read
    assert not smtp.to(manager.email)  # nothing left to approve
    assert smtp.messages == []  # and the owner cancelled it themselves


def test_what_happened_before_the_mail_job_is_not_mailed_again(app, people, smtp):
    alice = people.make()
    book(alice)
    with app.app_context():
        downgrade(revision="0016_waiting_list")  # before mail_positions
        upgrade(revision="heads")
        position = db.session.scalar(select(MailPosition.seq).where(MailPosition.name == "bookings"))
        assert position > 0
        db.engine.dispose()
    assert run_job(app, "booking_mails") == 0
    assert smtp.messages == []
    book(alice, days_ahead=21)
    assert run_job(app, "booking_mails") == 1
