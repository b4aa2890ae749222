"""The scheduled jobs, run at chosen times (no sleeping); their mail arrives on a real SMTP server.

Every test here runs at each instant of ``tests/support/clock.py`` (SQLite only): the jobs are
given their ``now``, but what they do must not depend on the day the suite runs.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from facility.accounts import services as accounts
from facility.accounts.jobs import warn_expiring_qualifications
from facility.accounts.models import User
from facility.audit.models import AuditEvent
from facility.bookings.jobs import expire_pending, nudge_managers, send_reminders
from facility.bookings.models import Booking
from facility.core.extensions import db
from facility.jobs import locks
from facility.jobs.scheduler import JOBS, build_scheduler, run_job
from facility.usage import services as usage
from facility.usage.jobs import auto_check_out, mail_monthly_reports, mark_no_shows
from facility.usage.models import UsageRecord
from tests.support.databases import sqlite_url
from tests.support.factory import add_booking, add_usage, local, local_slot, user_id

pytestmark = pytest.mark.any_date


@pytest.fixture
def database_url(tmp_path, sqlite_template):
    return sqlite_url(sqlite_template, tmp_path)


@pytest.fixture
def lab(app, people):
    return {"alice": people.make(), "manager": people.make("manager", facilities=["lab"])}


def status_of(booking_id):
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def test_reminders_go_out_24_hours_and_1_hour_before_once_each(app, lab, smtp):
    start = local("2030-03-05 10:00")
    with app.app_context():
        booking = add_booking("lab-bsc", lab["alice"].email, start, start + timedelta(hours=1))
        assert send_reminders(start - timedelta(hours=25)) == 0
        assert send_reminders(start - timedelta(hours=23)) == 1
        assert send_reminders(start - timedelta(hours=22)) == 0
        assert send_reminders(start - timedelta(minutes=50)) == 1
        assert send_reminders(start - timedelta(minutes=40)) == 0
        assert booking
    mails = smtp.wait_for(2)
    assert [m["Subject"] for m in mails] == [
        "Reminder: Biosafety cabinet in 24 h",
        "Reminder: Biosafety cabinet in 1 h",
    ]
    assert all(m["X-Rcpt"] == lab["alice"].email for m in mails)
    assert "2030-03-05 10:00 CET" in mails[0].get_payload()


def test_no_show_after_the_grace_period_frees_the_slot(app, lab):
    start = local("2030-03-05 10:00")
    with app.app_context():
        booking = add_booking("lab-bsc", lab["alice"].email, start, start + timedelta(hours=2))
        checked_in = add_booking("lab-bsc", lab["alice"].email, start + timedelta(hours=3), start + timedelta(hours=4))
        add_usage("lab-bsc", lab["alice"].email, start + timedelta(hours=3), None, booking_id=checked_in)
        assert mark_no_shows(start + timedelta(minutes=29)) == 0
        assert mark_no_shows(start + timedelta(hours=3, minutes=31)) == 1
        assert status_of(booking) == "no_show" and status_of(checked_in) == "confirmed"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.no_show"))
        assert event.entity_id == booking and event.actor_id is None


def test_a_booking_never_checked_out_is_closed_at_its_end_and_flagged(app, lab):
    start = local("2030-03-05 10:00")
    with app.app_context():
        booking = add_booking("lab-bsc", lab["alice"].email, start, start + timedelta(hours=2))
        alice = db.session.get(User, user_id(lab["alice"].email))
        usage.check_in(alice, booking, now=start + timedelta(minutes=5))
        assert auto_check_out(start + timedelta(hours=1)) == 0
        assert auto_check_out(start + timedelta(hours=3)) == 1
        db.session.expire_all()
        record = db.session.scalar(select(UsageRecord).where(UsageRecord.booking_id == booking))
        assert (record.end_at, record.flagged) == (start + timedelta(hours=2), True)
        assert status_of(booking) == "completed"
        assert auto_check_out(start + timedelta(hours=4)) == 0


def test_pending_requests_expire_when_their_start_passes(app, lab, smtp):
    start = local("2030-03-05 10:00")
    with app.app_context():
        booking = add_booking(
            "gmp-suite",
            lab["alice"].email,
            start,
            start + timedelta(hours=2),
            "pending",
            created_at=start - timedelta(days=3),
        )
        assert expire_pending(start - timedelta(minutes=1)) == 0
        assert expire_pending(start) == 1
        assert status_of(booking) == "cancelled"
        assert db.session.get(Booking, booking).decision_reason == "expired"
        assert db.session.scalar(select(AuditEvent.reason).where(AuditEvent.action == "booking.expired")) == "expired"
    assert smtp.wait_for(1)[0]["Subject"].startswith("Your request expired")


def test_managers_are_nudged_about_requests_waiting_over_a_day(app, people, smtp):
    alice = people.make()
    gmp_manager = people.make("manager", facilities=["gmp"])
    start = local("2030-03-05 10:00")
    with app.app_context():
        add_booking(
            "gmp-suite", alice.email, start, start + timedelta(hours=2), "pending", created_at=local("2030-03-01 09:00")
        )
        assert nudge_managers(local("2030-03-02 08:00")) == 0
        assert nudge_managers(local("2030-03-02 10:00")) == 1
        assert nudge_managers(local("2030-03-02 11:00")) == 0  # once a day
        assert nudge_managers(local("2030-03-03 10:00")) == 1
    assert [m["X-Rcpt"] for m in smtp.wait_for(2)] == [gmp_manager.email, gmp_manager.email]


def test_qualification_expiry_is_warned_30_days_ahead(app, lab, smtp):
    with app.app_context():
        accounts.qualify(lab["alice"].email, "bioreactor-operation", date(2030, 4, 30))
        assert warn_expiring_qualifications(local("2030-03-30 09:00")) == 0
        assert warn_expiring_qualifications(local("2030-03-31 09:00")) == 1
        assert warn_expiring_qualifications(local("2030-04-01 09:00")) == 0
    assert "expires on 2030-04-30" in smtp.wait_for(1)[0]["Subject"]


def test_the_monthly_report_is_mailed_on_the_first_at_seven(app, lab, smtp):
    with app.app_context():
        add_usage("lab-bsc", lab["alice"].email, local("2026-10-05 09:00"), local("2026-10-05 10:30"), source="walk-up")
        assert mail_monthly_reports(local("2026-11-01 06:59")) == 0
        assert mail_monthly_reports(local("2026-11-01 07:00")) == 1  # lab has a manager, gmp none
        assert mail_monthly_reports(local("2026-11-01 08:00")) == 0
        assert mail_monthly_reports(local("2026-11-02 07:00")) == 0
    mail = smtp.wait_for(1)[0]
    assert mail["Subject"] == "Test cell lab: usage report 2026-10" and mail["X-Rcpt"] == lab["manager"].email
    attachment = [part for part in mail.walk() if part.get_filename()][0]
    assert attachment.get_filename() == "lab-usage-2026-10.xlsx"
    assert "lab-bsc: booked 0.0 h, used 1.5 h" in mail.get_payload()[0].get_payload()


def test_without_an_smtp_host_mail_is_skipped_and_not_remembered(app, lab):
    start = local("2030-03-05 10:00")
    with app.app_context():
        add_booking("lab-bsc", lab["alice"].email, start, start + timedelta(hours=1))
        assert send_reminders(start - timedelta(hours=2)) == 0


def test_mail_on_request_approval_and_rejection(app, people, smtp):
    alice = people.make(qualifications=["gowning-grade-b"])
    manager = people.make("manager", facilities=["gmp"])
    first = alice.post(
        "/bookings", {"resource": "gmp-suite", "start": local_slot(14, 10)[0], "end": local_slot(14, 10, hours=2)[1]}
    ).get_json()
    smtp.wait_for(2)
    assert {m["X-Rcpt"] for m in smtp.messages} == {manager.email, alice.email}
    assert manager.post(f"/bookings/{first['id']}/approve", {"reason": "batch 7 scheduled"}).status_code == 200
    mails = smtp.wait_for(3)
    assert mails[2]["Subject"].startswith("Your booking is confirmed") and "batch 7 scheduled" in mails[2].get_payload()
    second = alice.post(
        "/bookings", {"resource": "gmp-suite", "start": local_slot(28, 10)[0], "end": local_slot(28, 10, hours=2)[1]}
    ).get_json()
    smtp.wait_for(5)
    assert manager.post(f"/bookings/{second['id']}/reject", {"reason": "suite requalification"}).status_code == 200
    assert smtp.wait_for(6)[5]["Subject"].startswith("Your request was rejected")


def test_a_broken_mail_server_never_breaks_a_booking(app, people):
    app.config.update(FACILITY_SMTP_HOST="127.0.0.1", FACILITY_SMTP_PORT=1)  # nothing listens there
    alice = people.make()
    assert (
        alice.post(
            "/bookings", {"resource": "lab-bsc", "start": local_slot(14, 10)[0], "end": local_slot(14, 10)[1]}
        ).status_code
        == 201
    )


def test_only_one_scheduler_holds_a_job_at_a_time(app, clock):
    now = local("2030-03-05 10:00")
    lease = timedelta(minutes=5)
    with app.app_context():
        assert locks.claim("send_reminders", now, lease, holder="first")
        assert not locks.claim("send_reminders", now + timedelta(minutes=1), lease, holder="second")
        assert locks.claim("send_reminders", now + timedelta(minutes=1), lease, holder="first")  # renew own lease
        assert locks.claim("send_reminders", now + timedelta(minutes=7), lease, holder="second")  # expired
        locks.release("send_reminders", now + timedelta(minutes=8), holder="second")
        assert locks.claim("send_reminders", now + timedelta(minutes=8), lease, holder="first")
    # A job held by another process is skipped; a free one runs.
    with app.app_context():
        locks.claim("expire_pending", clock.now, timedelta(hours=1), holder="someone-else")
    assert run_job(app, "expire_pending") is None
    assert run_job(app, "mark_no_shows") == 0
    assert run_job(app, "refresh_calendar_sources") == 0


def test_the_scheduler_has_every_job(app):
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = build_scheduler(app, BackgroundScheduler)
    assert {job.id for job in scheduler.get_jobs()} == set(JOBS)
    assert "scheduler" in app.cli.commands["facility"].commands
