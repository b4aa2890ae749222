"""The waiting list with the suites and the series (issue 16, "Done when"), over the real
``instruments.yaml``, on SQLite and PostgreSQL: a GMP manager books ``sus-cleanroom-1`` with
``sus-isolator`` in one booking; a scientist waits for the suite; when the bundle is cancelled
she is offered the suite and holds it (nobody else can book it), and accepts it. A series
cancelled from one week on, or moved away, gives its time to whoever waits for it."""

from __future__ import annotations

import pytest

from tests.support.clients import error_codes
from tests.support.factory import People, local_slot

GMP_QUALIFICATIONS = ["gowning-grade-b", "gmp-basic", "cryopreservation"]
LABELS = {"purpose": "CAR-T batch fill", "project": "CAR-T 19", "batch": "B-2026-041"}


@pytest.fixture
def app(catalogue_app):
    return catalogue_app


@pytest.fixture
def people(app):
    return People(app)


def offers_of(client) -> list[dict]:
    answer = client.get("/waitlist")
    assert answer.status_code == 200, answer.text
    return [entry for entry in answer.get_json() if entry["status"] == "offered"]


def test_waiting_for_the_suite_of_a_cancelled_bundle(app, people, clock):
    manager = people.make("manager", facilities=["sus-gmp"], qualifications=GMP_QUALIFICATIONS)
    waiting, third = (people.make(qualifications=GMP_QUALIFICATIONS) for _ in range(2))
    start, end = local_slot(14, 8, hours=4)
    made = manager.post("/bundles", json={"resources": ["sus-cleanroom-1", "sus-isolator"], "start": start,
                                          "end": end, **LABELS})  # fmt: skip
    assert made.status_code == 201, made.text
    bundle = made.get_json()

    joined = waiting.post("/waitlist", json={"resource": "sus-cleanroom-1", "start": start, "end": end, **LABELS})
    assert joined.status_code == 201, joined.text
    assert joined.get_json()["status"] == "waiting"

    cancelled = manager.post(f"/bundles/{bundle['id']}/cancel", json={"reason": "The batch was postponed."})
    assert cancelled.status_code == 200, cancelled.text
    assert {b["status"] for b in manager.get(f"/bundles/{bundle['id']}").get_json()["bookings"]} == {"cancelled"}

    [offer] = offers_of(waiting)
    held = waiting.get(f"/bookings/{offer['booking']}").get_json()
    assert (held["status"], held["resource"]) == ("held", "sus-cleanroom-1")
    taken = third.post("/bookings", json={"resource": "sus-cleanroom-1", "start": start, "end": end, **LABELS})
    assert taken.status_code == 409, taken.text  # held for the one who waited

    accepted = waiting.post(f"/waitlist/{offer['id']}/accept", json={})
    assert accepted.status_code == 200, accepted.text
    assert waiting.get(f"/bookings/{offer['booking']}").get_json()["status"] == "pending"  # the GMP unit approves


def test_a_series_cancelled_from_one_week_on_gives_its_time_to_the_waiting(app, people, clock):
    owner, waiting = (people.make(qualifications=["bsc-class-ii"]) for _ in range(2))
    start, end = local_slot(14, 9, hours=4)
    made = owner.post("/series", json={"resource": "smile-bsc-1", "rrule": "FREQ=WEEKLY;COUNT=4", "start": start,
                                       "end": end, "purpose": "Culture"})  # fmt: skip
    assert made.status_code == 201, made.text
    series = made.get_json()
    occurrences = sorted(series["occurrences"], key=lambda b: b["start"])
    third = occurrences[2]
    joined = waiting.post("/waitlist", json={"resource": "smile-bsc-1", "start": third["start"], "end": third["end"]})
    assert joined.status_code == 201, joined.text

    cancelled = owner.post(f"/series/{series['id']}/cancel", json={"scope": "following", "from": occurrences[1]["id"]})
    assert cancelled.status_code == 200, cancelled.text
    [offer] = offers_of(waiting)
    assert (offer["offered_start"], offer["offered_end"]) == (third["start"], third["end"])


def test_a_gmp_manager_books_the_suite_for_a_scientist(app, people, clock):
    manager = people.make("manager", facilities=["sus-gmp"])  # not gowned: the rules are the scientist's
    scientist, ungowned = people.make(qualifications=GMP_QUALIFICATIONS), people.make()
    start, end = local_slot(14, 8, hours=4)
    suite = {"resources": ["sus-cleanroom-1", "sus-isolator"], "start": start, "end": end, **LABELS}

    made = manager.post("/bundles", json={**suite, "user": scientist.email})
    assert made.status_code == 201, made.text
    assert made.get_json()["user"] == scientist.email
    assert {b["user"] for b in made.get_json()["bookings"]} == {scientist.email}

    later = dict(zip(("start", "end"), local_slot(21, 8, hours=4)))
    refused = manager.post("/bundles", json={**suite, **later, "user": ungowned.email})
    assert refused.status_code == 422 and set(error_codes(refused)) == {"not_qualified"}, refused.text
    by_scientist = scientist.post("/bundles", json={**suite, "user": ungowned.email})
    assert by_scientist.status_code == 403 and error_codes(by_scientist) == ["not_a_manager"], by_scientist.text
