"""Product and batch on bookings and uses (21 CFR 211.182, 1271.200(e)), and the impact query:
which batches used a resource between two days, or since its last passed calibration, tested
against hand-built histories."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from facility.accounts.services import get_user_by_email
from facility.catalog.services import get_resource
from facility.core.extensions import db
from facility.gmp.models import LogbookEntry
from tests.support import clock as clocks
from tests.support.clients import PASSWORD, error_codes
from tests.support.factory import add_booking, add_usage, local_slot

NOW = clocks.DEFAULT_INSTANT
DAY = timedelta(days=1)


@pytest.fixture
def manager(people):
    return people.make("manager", facilities=("gmp",), password=PASSWORD)


def entry(kind, at, who, *, outcome=None, corrects=None, resource="gmp-suite") -> int:
    """A logbook row written directly: history from before the back-dating limit."""
    row = LogbookEntry(
        resource=get_resource(resource),
        kind=kind,
        occurred_at=at,
        recorded_at=at,
        recorded_by=get_user_by_email(who),
        procedure="",
        text=f"{kind} by hand",
        outcome=outcome,
        corrects_id=corrects,
        reason="re-read" if corrects else "",
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def use(who, start, end, product=None, batch=None, **kwargs) -> int:
    from facility.usage.models import UsageRecord

    record_id = add_usage("gmp-suite", who, start, end, **kwargs)
    record = db.session.get(UsageRecord, record_id)
    record.product, record.batch = product, batch
    db.session.commit()
    return record_id


@pytest.fixture
def history(app, people, manager):
    """Twenty days of one cleanroom: uses of five batches, calibrations that passed, one of them
    corrected to failed, and a use corrected to another batch."""
    alice = people.make(qualifications=("gowning-grade-b",))
    bob = people.make(qualifications=("gowning-grade-b",))
    with app.app_context():
        use(alice.email, NOW - 20 * DAY, NOW - 20 * DAY + timedelta(hours=3), "CAR-T-1", "B1")
        entry("calibration", NOW - 10 * DAY, manager.email, outcome="passed")
        booking = add_booking("gmp-suite", bob.email, NOW - 8 * DAY, NOW - 8 * DAY + timedelta(hours=4), "completed")
        from facility.bookings.models import Booking

        db.session.get(Booking, booking).project, db.session.get(Booking, booking).batch = "CAR-T-1", "B2"
        db.session.commit()
        use(bob.email, NOW - 8 * DAY, NOW - 8 * DAY + timedelta(hours=4), booking_id=booking)  # labels of the booking
        wrong = use(alice.email, NOW - 5 * DAY, NOW - 5 * DAY + timedelta(hours=2), "NK-2", "B3", superseded=True)
        use(
            alice.email,
            NOW - 5 * DAY,
            NOW - 5 * DAY + timedelta(hours=2),
            "NK-2",
            "B4",
            source="manual",
            corrects_id=wrong,
        )
        passed = entry("calibration", NOW - 3 * DAY, manager.email, outcome="passed")
        entry("calibration", NOW - 3 * DAY, manager.email, outcome="failed", corrects=passed)  # it did not pass
        entry("calibration", NOW - DAY, manager.email, outcome="failed")
        use(bob.email, NOW - timedelta(hours=1), None, "NK-2", "B5")  # in use now
    return alice, bob


def test_since_the_last_passed_calibration(app, history, manager):
    alice, bob = history
    answer = manager.get("/resources/gmp-suite/batches?since=last-passed-calibration")
    assert answer.status_code == 200, answer.text
    body = answer.get_json()
    assert body["since_calibration"] is not None and body["since_calibration"].startswith("E")
    assert [(b["product"], b["batch"], b["uses"]) for b in body["batches"]] == [
        ("CAR-T-1", "B2", 1),
        ("NK-2", "B4", 1),
        ("NK-2", "B5", 1),
    ]
    assert body["batches"][0]["users"] == [bob.email] and body["batches"][2]["last_use"] is None
    assert body["start"] == (NOW - 10 * DAY).astimezone(clocks.STOCKHOLM).isoformat()


def test_between_two_days(app, history, manager):
    first = (clocks.today() - timedelta(days=25)).isoformat()
    last = (clocks.today() - timedelta(days=6)).isoformat()
    body = manager.get(f"/resources/gmp-suite/batches?from={first}&to={last}").get_json()
    assert [(b["product"], b["batch"]) for b in body["batches"]] == [("CAR-T-1", "B1"), ("CAR-T-1", "B2")]
    response = manager.get(f"/resources/gmp-suite/batches?from={first}&to={last}&format=csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert [(r["product"], r["batch"]) for r in rows] == [("CAR-T-1", "B1"), ("CAR-T-1", "B2")]
    backwards = manager.get(f"/resources/gmp-suite/batches?from={last}&to={first}")
    assert backwards.status_code == 422 and error_codes(backwards) == ["end_before_start"]


def test_no_passed_calibration_means_the_whole_history(app, people, manager):
    alice = people.make(qualifications=("gowning-grade-b",))
    with app.app_context():
        use(alice.email, NOW - 300 * DAY, NOW - 300 * DAY + timedelta(hours=1), "X", "B0")
    body = manager.get("/resources/gmp-suite/batches?since=last-passed-calibration").get_json()
    assert body["since_calibration"] is None and [b["batch"] for b in body["batches"]] == ["B0"]


def test_only_the_managers_of_the_facility(app, history, people, manager):
    assert people.make("manager", facilities=("lab",)).get("/resources/gmp-suite/batches").status_code == 403
    assert history[0].get("/resources/gmp-suite/batches").status_code == 403
    assert manager.get("/resources/nothing/batches").status_code == 404
    assert manager.get("/resources/gmp-suite/batches?since=yesterday").status_code == 422


def test_the_batches_page(app, history, people, manager):
    browser = people.signed_in(manager.email)
    page = browser.get("/manage/logbook/gmp-suite/batches?since=last-passed-calibration")
    assert page.status_code == 200 and "B2" in page.text and "B4" in page.text and "B1" not in page.text
    assert ">B3<" not in page.text  # the corrected use's batch is not among those that used it
    download = browser.get("/manage/logbook/gmp-suite/batches.csv?since=last-passed-calibration")
    assert download.status_code == 200 and "B5" in download.data.decode()
    lab = people.signed_in(people.make("manager", facilities=("lab",), password=PASSWORD).email)
    assert lab.get("/manage/logbook/gmp-suite/batches").status_code == 403


# --- product and batch where the GMP unit requires them --------------------------------------


def test_a_gmp_booking_names_product_and_batch(app, people):
    alice = people.make(qualifications=("gowning-grade-b",))
    start, end = local_slot(14, 10, hours=2)
    body = {"resource": "gmp-suite", "start": start, "end": end, "purpose": "fill"}
    refused = alice.post("/bookings", body)
    assert refused.status_code == 422 and set(error_codes(refused)) == {"product_required", "batch_required"}
    fields = {e["code"]: e.get("field") for e in refused.get_json()["errors"]}
    assert fields == {"product_required": "project", "batch_required": "batch"}
    made = alice.post("/bookings", {**body, "project": "CAR-T-1", "batch": "2611-07"})
    assert made.status_code == 201, made.text
    assert set(made.get_json()) == {
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
    # where the facility does not ask, nothing is required
    lab_start, lab_end = local_slot(14, 10, hours=1)
    assert alice.post("/bookings", {"resource": "lab-bsc", "start": lab_start, "end": lab_end}).status_code == 201


def test_other_rules_come_with_the_batch(app, people):
    stranger = people.make()  # not qualified for the suite
    start, end = local_slot(14, 10, hours=2)
    refused = stranger.post("/bookings", {"resource": "gmp-suite", "start": start, "end": end})
    assert {"not_qualified", "product_required", "batch_required"} <= set(error_codes(refused))


def test_check_in_carries_the_booking_labels_into_the_use(app, people, manager):
    alice = people.make(qualifications=("gowning-grade-b",))
    with app.app_context():
        from facility.bookings.models import Booking

        booking_id = add_booking("gmp-suite", alice.email, NOW - timedelta(minutes=5), NOW + timedelta(hours=2))
        booking = db.session.get(Booking, booking_id)
        booking.project, booking.batch = "CAR-T-1", "2611-08"
        db.session.commit()
    checked_in = alice.post(f"/bookings/{booking_id}/check-in")
    assert checked_in.status_code == 200, checked_in.text
    assert (checked_in.get_json()["product"], checked_in.get_json()["batch"]) == ("CAR-T-1", "2611-08")
    lines = manager.get("/resources/gmp-suite/logbook").get_json()["lines"]
    assert [(line["kind"], line["product"], line["batch"]) for line in lines] == [("use", "CAR-T-1", "2611-08")]


def test_a_walk_up_at_the_gmp_unit_names_product_and_batch(app, people, manager):
    alice = people.make(qualifications=("gowning-grade-b",))
    start, end = (NOW - timedelta(hours=5)).isoformat(), (NOW - timedelta(hours=4)).isoformat()
    body = {"resource": "gmp-suite", "user": alice.email, "start": start, "end": end, "reason": "walk-up"}
    refused = manager.post("/usage", body)
    assert refused.status_code == 422 and set(error_codes(refused)) == {"product_required", "batch_required"}
    made = manager.post("/usage", {**body, "product": "NK-2", "batch": "B9"})
    assert made.status_code == 201 and made.get_json()["batch"] == "B9"


def test_the_booking_page_asks_for_the_batch(app, people):
    alice = people.make(qualifications=("gowning-grade-b",), password=PASSWORD)
    browser = people.signed_in(alice.email)
    start, end = local_slot(14, 10, hours=2)
    form = {
        "resource": "gmp-suite",
        "start_date": start[:10],
        "start_time": start[11:16],
        "end_date": end[:10],
        "end_time": end[11:16],
        "purpose": "fill",
    }
    refused = browser.post_form("/book", form)
    assert refused.status_code == 422 and 'id="batch-errors"' in refused.text and 'id="project-errors"' in refused.text
    made = browser.post_form("/book", {**form, "project": "CAR-T-1", "batch": "2611-09"})
    assert made.status_code == 200 and "2611-09" in made.text
