"""Maintenance and calibration plans (EudraLex Vol. 4 Part I 3.41, Annex 15): what is due, a
lapsed calibration refuses bookings and check-ins until a passed one is recorded, a due task
proposes a blackout, managers are mailed ahead, and a failed calibration lists the batches
since the last pass."""

from __future__ import annotations

from datetime import timedelta

import pytest

from facility.accounts.services import get_user_by_email
from facility.catalog.services import get_resource
from facility.core.extensions import db
from facility.gmp.models import LogbookEntry
from facility.jobs.scheduler import run_job
from facility.usage.models import UsageRecord
from tests.support import clock as clocks
from tests.support.clients import PASSWORD, error_codes
from tests.support.factory import add_booking, add_usage, local_slot

NOW = clocks.DEFAULT_INSTANT
DAY = timedelta(days=1)
LABELS = {"project": "CAR-T-1", "batch": "2611-01"}


@pytest.fixture
def manager(people):
    return people.make("manager", facilities=("gmp",), password=PASSWORD)


@pytest.fixture
def alice(people):
    return people.make(qualifications=("gowning-grade-b",))


def done(plan, at, who, outcome="passed", kind="calibration") -> int:
    """A plan's record written directly: history from before the back-dating limit."""
    row = LogbookEntry(
        resource=get_resource("gmp-suite"),
        kind=kind,
        occurred_at=at,
        recorded_at=at,
        recorded_by=get_user_by_email(who),
        procedure="",
        text="by hand",
        outcome=outcome,
        reason="",
        plan_key=plan,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def plans(client) -> dict:
    answer = client.get("/resources/gmp-suite/plans")
    assert answer.status_code == 200, answer.text
    return {p["key"]: p for p in answer.get_json()}


def booking_request(client):
    start, end = local_slot(14, 10, hours=2)
    return client.post("/bookings", {"resource": "gmp-suite", "start": start, "end": end, **LABELS})


def test_a_plan_never_recorded_blocks_nothing(app, manager, alice):
    state = plans(manager)
    assert state["particle-counter"]["state"] == "not_recorded" and not state["particle-counter"]["lapsed"]
    assert state["hepa"]["state"] == "not_recorded" and state["hepa"]["hours_used"] == 0
    assert booking_request(alice).status_code == 201


def test_a_lapsed_calibration_refuses_bookings_and_check_ins_until_one_passes(app, manager, alice):
    with app.app_context():
        done("particle-counter", NOW - 40 * DAY, manager.email)
        booking = add_booking("gmp-suite", alice.email, NOW - timedelta(minutes=5), NOW + timedelta(hours=2))
    state = plans(manager)["particle-counter"]
    assert state["state"] == "overdue" and state["lapsed"]
    assert state["due_at"] == (NOW - 10 * DAY).astimezone(clocks.STOCKHOLM).isoformat()
    assert state["proposed_blackout"]["kind"] == "maintenance"
    refused = booking_request(alice)
    assert refused.status_code == 422 and error_codes(refused) == ["calibration_lapsed"]
    # with every other rule broken at the same time
    start, end = local_slot(14, 10, hours=2)
    both = alice.post("/bookings", {"resource": "gmp-suite", "start": start, "end": end})
    assert set(error_codes(both)) == {"calibration_lapsed", "product_required", "batch_required"}
    check_in = alice.post(f"/bookings/{booking}/check-in")
    assert check_in.status_code == 422 and error_codes(check_in) == ["calibration_lapsed"]

    passed = manager.post(
        "/resources/gmp-suite/logbook",
        json={"kind": "calibration", "plan": "particle-counter", "outcome": "passed", "text": "ISO 21501-4"},
    )
    assert passed.status_code == 201 and passed.get_json()["plan"] == "particle-counter"
    state = plans(manager)["particle-counter"]
    assert state["state"] == "ok" and state["proposed_blackout"] is None
    assert booking_request(alice).status_code == 201
    assert alice.post(f"/bookings/{booking}/check-in").status_code == 200


def test_a_failed_calibration_lapses_and_mails_the_batches_since_the_last_pass(app, smtp, manager, alice):
    with app.app_context():
        done("particle-counter", NOW - 20 * DAY, manager.email)
        record = add_usage("gmp-suite", alice.email, NOW - 5 * DAY, NOW - 5 * DAY + timedelta(hours=3))
        db.session.get(UsageRecord, record).product, db.session.get(UsageRecord, record).batch = "NK-2", "B77"
        db.session.commit()
        add_usage("gmp-suite", alice.email, NOW - 25 * DAY, NOW - 25 * DAY + timedelta(hours=3))  # before the pass
    failed = manager.post(
        "/resources/gmp-suite/logbook",
        json={"kind": "calibration", "plan": "particle-counter", "outcome": "failed", "text": "drift 12 %"},
    )
    assert failed.status_code == 201
    assert plans(manager)["particle-counter"]["state"] == "failed"
    assert error_codes(booking_request(alice)) == ["calibration_lapsed"]
    mails = smtp.wait_for(1)
    assert len(mails) == 1 and mails[0]["X-Rcpt"] == manager.email
    body = mails[0].get_payload(decode=True).decode()
    assert "Calibration failed" in mails[0]["Subject"] and "NK-2 / B77" in body and body.count(" / ") == 1
    impact = manager.get("/resources/gmp-suite/batches?since=last-passed-calibration").get_json()
    assert [b["batch"] for b in impact["batches"]] == ["B77"]


def test_plan_entries_are_checked(app, manager):
    wrong_kind = manager.post(
        "/resources/gmp-suite/logbook", json={"kind": "maintenance", "plan": "particle-counter", "text": "x"}
    )
    assert wrong_kind.status_code == 422 and error_codes(wrong_kind) == ["plan_kind_mismatch"]
    unknown = manager.post("/resources/gmp-suite/logbook", json={"kind": "maintenance", "plan": "nope", "text": "x"})
    assert unknown.status_code == 422 and error_codes(unknown) == ["unknown_plan"]
    filter_change = manager.post(
        "/resources/gmp-suite/logbook", json={"kind": "maintenance", "plan": "hepa", "text": "H14 filters changed"}
    )
    assert filter_change.status_code == 201


def test_a_plan_by_hours_of_use(app, manager, alice):
    with app.app_context():
        done("hepa", NOW - 30 * DAY, manager.email, outcome=None, kind="maintenance")
        add_usage("gmp-suite", alice.email, NOW - 20 * DAY, NOW - 20 * DAY + timedelta(hours=92))
    state = plans(manager)["hepa"]
    assert state["state"] == "due_soon" and state["hours_used"] == 92 and not state["lapsed"]
    with app.app_context():
        add_usage("gmp-suite", alice.email, NOW - 10 * DAY, NOW - 10 * DAY + timedelta(hours=9))
    state = plans(manager)["hepa"]
    assert state["state"] == "overdue" and not state["lapsed"]  # a filter change does not stop use
    assert booking_request(alice).status_code == 201


def test_managers_are_mailed_ahead_of_the_due_date_once(app, smtp, manager):
    with app.app_context():
        done("particle-counter", NOW - 20 * DAY, manager.email)  # due in ten days: inside the 14 days ahead
    assert run_job(app, "mail_due_plans") == 1
    mails = smtp.wait_for(1)
    assert mails[0]["X-Rcpt"] == manager.email and "Particle counter calibration" in mails[0]["Subject"]
    assert run_job(app, "mail_due_plans") == 0


def test_the_plans_on_the_logbook_page_and_a_proposed_blackout(app, people, manager, alice):
    with app.app_context():
        done("particle-counter", NOW - 40 * DAY, manager.email)
    browser = people.signed_in(manager.email)
    page = browser.get("/manage/logbook/gmp-suite")
    assert 'id="plan-particle-counter"' in page.text and "overdue" in page.text
    blocked = browser.post_form(
        "/manage/logbook/gmp-suite/plans/particle-counter/blackout", {}, page="/manage/logbook/gmp-suite"
    )
    assert blocked.status_code == 200 and "Blocked" in blocked.text
    blackouts = browser.get("/manage/blackouts").text
    assert "Particle counter calibration" in blackouts
    overview = browser.get("/manage/cleaning")
    assert 'id="plans-due"' in overview.text and "Particle counter calibration" in overview.text
    assert people.make("manager", facilities=("lab",)).get("/resources/gmp-suite/plans").status_code == 403
