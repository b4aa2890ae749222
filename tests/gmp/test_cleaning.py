"""Cleaning, verification by a second person and release gate the next use of a GMP room
(EudraLex Vol. 4, Part I 5.35): check-in is refused until the room is released."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from facility.core.extensions import db
from facility.gmp.models import LogbookEntry
from facility.usage.models import UsageRecord
from tests.support import clock as clocks
from tests.support.clients import PASSWORD, error_codes
from tests.support.factory import add_booking, add_usage

NOW = clocks.DEFAULT_INSTANT


def setup_day(app, people):
    manager = people.make("manager", facilities=("gmp",), password=PASSWORD)
    operator = people.make(qualifications=("gowning-grade-b",), password=PASSWORD)
    colleague = people.make(qualifications=("gowning-grade-b",), password=PASSWORD)
    with app.app_context():
        add_usage("gmp-suite", operator.email, NOW - timedelta(hours=3), NOW - timedelta(hours=1))
        booking = add_booking("gmp-suite", operator.email, NOW - timedelta(minutes=5), NOW + timedelta(hours=2))
    return manager, operator, colleague, booking


def used(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(UsageRecord))


def test_check_in_waits_for_cleaning_verification_and_release(app, people):
    manager, operator, colleague, booking = setup_day(app, people)
    assert operator.get("/resources/gmp-suite/cleaning").get_json()["state"] == "to_be_cleaned"
    before = used(app)
    refused = operator.post(f"/bookings/{booking}/check-in")
    assert refused.status_code == 422 and error_codes(refused) == ["not_released"]
    assert used(app) == before

    cleaning = operator.post("/resources/gmp-suite/logbook", json={"kind": "cleaning", "procedure": "SOP-CL-01"})
    assert cleaning.status_code == 201, cleaning.text
    cleaning_id = cleaning.get_json()["id"]
    assert operator.get("/resources/gmp-suite/cleaning").get_json()["state"] == "to_be_verified"
    waiting = manager.get("/cleaning?facility=gmp").get_json()
    assert [(w["resource"], w["state"], w["cleaning"]) for w in waiting] == [
        ("gmp-suite", "to_be_verified", cleaning_id)
    ]
    assert error_codes(operator.post(f"/bookings/{booking}/check-in")) == ["not_released"]

    # the one who cleaned does not verify
    own = operator.post(
        "/resources/gmp-suite/logbook",
        json={"kind": "verification", "password": PASSWORD, "verifies": cleaning_id, "outcome": "passed"},
    )
    assert own.status_code == 422 and error_codes(own) == ["verifier_is_cleaner"]
    # a second qualified person does, and signs it
    verified = colleague.post(
        "/resources/gmp-suite/logbook",
        json={"kind": "verification", "password": PASSWORD, "verifies": cleaning_id, "outcome": "passed"},
    )
    assert verified.status_code == 201, verified.text
    assert verified.get_json()["signed_by"] == "Test Scientist" and verified.get_json()["signature_meaning"] == "review"
    assert operator.get("/resources/gmp-suite/cleaning").get_json()["state"] == "released"
    assert manager.get("/cleaning").get_json() == []

    checked_in = operator.post(f"/bookings/{booking}/check-in")
    assert checked_in.status_code == 200, checked_in.text
    assert operator.get("/resources/gmp-suite/cleaning").get_json()["state"] == "in_use"
    operator.post(f"/bookings/{booking}/check-out")
    assert operator.get("/resources/gmp-suite/cleaning").get_json()["state"] == "to_be_cleaned"


def test_a_failed_verification_or_a_corrected_cleaning_needs_cleaning_again(app, people):
    manager, operator, colleague, _booking = setup_day(app, people)
    first = operator.post("/resources/gmp-suite/logbook", json={"kind": "cleaning", "procedure": "SOP-CL-01"})
    failed = manager.post(
        "/resources/gmp-suite/logbook",
        json={
            "kind": "verification",
            "password": PASSWORD,
            "verifies": first.get_json()["id"],
            "outcome": "failed",
            "text": "residue",
        },
    )
    assert failed.status_code == 201
    assert manager.get("/resources/gmp-suite/cleaning").get_json()["state"] == "to_be_cleaned"
    second = operator.post("/resources/gmp-suite/logbook", json={"kind": "line_clearance", "procedure": "SOP-LC-02"})
    fix = manager.post(
        "/resources/gmp-suite/logbook",
        json={
            "kind": "line_clearance",
            "procedure": "SOP-LC-03",
            "corrects": second.get_json()["id"],
            "reason": "wrong SOP number",
        },
    )
    assert fix.status_code == 201
    # the corrected clearance cannot be verified; its correction can (by someone else than its writer)
    stale = colleague.post(
        "/resources/gmp-suite/logbook",
        json={"kind": "verification", "password": PASSWORD, "verifies": second.get_json()["id"], "outcome": "passed"},
    )
    assert stale.status_code == 422 and error_codes(stale) == ["already_corrected"]
    ok = colleague.post(
        "/resources/gmp-suite/logbook",
        json={"kind": "verification", "password": PASSWORD, "verifies": fix.get_json()["id"], "outcome": "passed"},
    )
    assert ok.status_code == 201
    assert manager.get("/resources/gmp-suite/cleaning").get_json()["state"] == "released"


def test_a_verification_is_signed_with_the_verifiers_password_or_not_written(app, people):
    _manager, operator, colleague, _booking = setup_day(app, people)
    cleaning = operator.post("/resources/gmp-suite/logbook", json={"kind": "cleaning", "procedure": "SOP"}).get_json()
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(LogbookEntry))
    for password, code in (("", "password_required"), ("not the password", "wrong_password")):
        body = {"kind": "verification", "verifies": cleaning["id"], "outcome": "passed", "password": password}
        refused = colleague.post("/resources/gmp-suite/logbook", json=body)
        assert refused.status_code == 422 and error_codes(refused) == [code], refused.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LogbookEntry)) == before
    assert operator.get("/resources/gmp-suite/cleaning").get_json()["state"] == "to_be_verified"


def test_an_unqualified_person_does_not_verify_and_nothing_is_written(app, people):
    _manager, operator, _colleague, _booking = setup_day(app, people)
    cleaning = operator.post("/resources/gmp-suite/logbook", json={"kind": "cleaning", "procedure": "SOP"}).get_json()
    stranger = people.make()
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(LogbookEntry))
    response = stranger.post(
        "/resources/gmp-suite/logbook",
        json={"kind": "verification", "password": PASSWORD, "verifies": cleaning["id"], "outcome": "passed"},
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LogbookEntry)) == before


def test_a_research_lab_has_no_gate(app, people):
    scientist = people.make()
    with app.app_context():
        add_usage("lab-bsc", scientist.email, NOW - timedelta(hours=3), NOW - timedelta(hours=1))
        booking = add_booking("lab-bsc", scientist.email, NOW - timedelta(minutes=5), NOW + timedelta(hours=1))
    assert scientist.post(f"/bookings/{booking}/check-in").status_code == 200


def test_the_waiting_list_page_and_the_display(app, people):
    manager, operator, _colleague, _booking = setup_day(app, people)
    browser = people.signed_in(manager.email)
    page = browser.get("/manage/cleaning")
    assert page.status_code == 200 and 'id="waiting-gmp-suite"' in page.text and "to be cleaned" in page.text
    display = people.signed_in(operator.email).get("/display/gmp-suite")
    assert 'id="display-cleaning"' in display.text and "To be cleaned" in display.text
    assert people.signed_in(operator.email).get("/manage/cleaning").status_code == 403
    lab = people.make("manager", facilities=("lab",))
    assert lab.get("/cleaning?facility=gmp").status_code == 403
    assert lab.get("/cleaning").get_json() == []
    assert 'id="display-cleaning"' not in people.signed_in(operator.email).get("/display/lab-bsc").text


def test_the_managers_start_page_lists_what_waits_for_cleaning_in_their_facilities_only(app, people):
    manager, _operator, _colleague, _booking = setup_day(app, people)
    start = people.signed_in(manager.email).get("/")
    assert start.status_code == 200 and 'id="start-cleaning"' in start.text
    assert 'id="start-cleaning-gmp-suite"' in start.text and "to be cleaned" in start.text
    lab_manager = people.make("manager", facilities=("lab",), password=PASSWORD)
    elsewhere = people.signed_in(lab_manager.email).get("/")
    assert 'id="start-cleaning-gmp-suite"' not in elsewhere.text and "Nothing waits for cleaning." in elsewhere.text
