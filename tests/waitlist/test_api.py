"""The waiting list over real HTTP, on SQLite and on PostgreSQL: wait for a taken slot, be
offered it when it frees up, hold it (nobody else can book it), accept it; expiry offers the
next in line; bad input is refused with a code and nothing written."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from facility.accounts.services import get_user_by_email
from facility.audit.models import AuditEvent
from facility.bookings.models import Booking
from facility.bookings.services import add_blackout
from facility.core.errors import ServiceError
from facility.core.extensions import db
from facility.waitlist import jobs, services
from facility.waitlist.models import WaitlistEntry
from tests.support.clients import error_codes
from tests.support.factory import local_slot

SUITE = "gmp-suite"
GOWNING = ["gowning-grade-b"]
LABELS = {"purpose": "CAR-T fill", "project": "CART-7", "batch": "B-12"}


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model)) for model in (WaitlistEntry, Booking, AuditEvent)
        )


def book(client, slot, resource=SUITE, **extra):
    start, end = slot
    return client.post("/bookings", {"resource": resource, "start": start, "end": end, **LABELS, **extra})


def wait(client, slot, resource=SUITE):
    start, end = slot
    return client.post("/waitlist", {"resource": resource, "start": start, "end": end, **LABELS})


def mine(client) -> list[dict]:
    answer = client.get("/waitlist")
    assert answer.status_code == 200, answer.text
    return answer.get_json()


@pytest.fixture
def suite_people(people):
    """A manager of the GMP unit, and three gowned scientists: the first books, two wait."""
    manager = people.make("manager", facilities=["gmp"])
    return manager, *(people.make(qualifications=GOWNING) for _ in range(3))


def test_the_second_user_is_offered_the_cancelled_suite_holds_it_and_accepts(app, suite_people, smtp, clock):
    _manager, anna, bo, cai = suite_people
    slot = local_slot(14, 9, hours=4)
    first = book(anna, slot)
    assert first.status_code == 201, first.text
    assert book(bo, slot).status_code == 409  # taken: so Bo waits
    joined = wait(bo, slot)
    assert joined.status_code == 201, joined.text
    entry = joined.get_json()
    assert entry["status"] == "waiting" and entry["place"] == 1 and entry["kind"] == "slot"
    assert entry["start"] == slot[0] and entry["user"] == bo.email

    cancelled = anna.post(f"/bookings/{first.get_json()['id']}/cancel", {})
    assert cancelled.status_code == 200, cancelled.text

    [offer] = mine(bo)
    assert offer["status"] == "offered" and offer["place"] is None
    assert (offer["offered_start"], offer["offered_end"]) == slot
    hold_until = datetime.fromisoformat(offer["hold_until"])
    assert timedelta(minutes=119) < hold_until - clock.now <= timedelta(minutes=120)
    held = bo.get(f"/bookings/{offer['booking']}").get_json()
    assert held["status"] == "held" and held["user"] == bo.email
    # The offer is mailed to Bo (and to nobody else).
    [mail] = [m for m in smtp.wait_for(2) if "offered" in m["Subject"]]
    assert bo.email in mail["X-Rcpt"] and anna.email not in mail["X-Rcpt"]
    assert "Accept or decline" in mail.get_payload(decode=True).decode()

    # Held: a third user cannot book it meanwhile, and sees it busy without Bo's name.
    assert error_codes(book(cai, slot)) == ["overlap"]
    busy = cai.get(f"/resources/{SUITE}/availability", query_string={"from": slot[0], "to": slot[1]}).get_json()
    assert [b["kind"] for b in busy["busy"] if b["kind"] != "changeover"] == ["pending"]
    assert bo.email not in str(busy)

    accepted = bo.post(f"/waitlist/{offer['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.get_json()["status"] == "accepted"
    booking = bo.get(f"/bookings/{offer['booking']}").get_json()
    assert booking["status"] == "pending"  # the GMP suite needs approval: a normal request now
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity == "bookings", AuditEvent.entity_id == offer["booking"])
        ).all()
    assert actions == ["booking.held", "booking.requested"]


def test_expiry_offers_the_next_in_line(app, suite_people, clock):
    _manager, anna, bo, cai = suite_people
    slot = local_slot(14, 9, hours=4)
    first = book(anna, slot).get_json()
    assert wait(bo, slot).status_code == 201
    third = wait(cai, slot).get_json()
    assert third["place"] == 2
    anna.post(f"/bookings/{first['id']}/cancel", {})
    [bo_offer] = mine(bo)
    assert bo_offer["status"] == "offered" and mine(cai)[0]["place"] == 1

    with app.app_context():  # the job, at a chosen time: not yet run out
        assert jobs.expire_offers(clock.now + timedelta(minutes=100)) == 0
    assert mine(bo)[0]["status"] == "offered"
    with app.app_context():
        assert jobs.expire_offers(clock.now + timedelta(minutes=121)) == 2  # Bo's expired, Cai offered
    assert mine(bo)[0]["status"] == "expired"
    assert bo.get(f"/bookings/{bo_offer['booking']}").get_json()["status"] == "cancelled"
    assert error_codes(bo.post(f"/waitlist/{bo_offer['id']}/accept")) == ["invalid_state"]
    [cai_offer] = mine(cai)
    assert cai_offer["status"] == "offered" and (cai_offer["offered_start"], cai_offer["offered_end"]) == slot
    assert cai.post(f"/waitlist/{cai_offer['id']}/accept").status_code == 200
    assert cai.get(f"/bookings/{cai_offer['booking']}").get_json()["status"] == "pending"


def test_an_offer_the_user_lets_run_out_cannot_be_accepted(app, suite_people, clock):
    _manager, anna, bo, _cai = suite_people
    slot = local_slot(14, 9, hours=2)
    first = book(anna, slot).get_json()
    wait(bo, slot)
    anna.post(f"/bookings/{first['id']}/cancel", {})
    [offer] = mine(bo)
    with app.app_context():
        try:
            services.accept(get_user_by_email(bo.email), offer["id"], now=clock.now + timedelta(minutes=121))
        except ServiceError as error:
            refused = error
    assert refused is not None and [v.code for v in refused.violations] == ["offer_expired"]
    assert mine(bo)[0]["status"] == "offered"  # nothing written; the job will release it


def test_declining_offers_the_next_and_withdrawing_leaves_the_line(app, suite_people):
    _manager, anna, bo, cai = suite_people
    slot = local_slot(14, 9, hours=2)
    first = book(anna, slot).get_json()
    bo_entry = wait(bo, slot).get_json()
    cai_entry = wait(cai, slot).get_json()
    withdrawn = cai.post(f"/waitlist/{cai_entry['id']}/withdraw")
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert error_codes(cai.post(f"/waitlist/{cai_entry['id']}/withdraw")) == ["invalid_state"]
    cai_again = wait(cai, slot).get_json()  # back in line, behind Bo
    assert cai_again["place"] == 2
    anna.post(f"/bookings/{first['id']}/cancel", {})
    assert error_codes(bo.post(f"/waitlist/{bo_entry['id']}/withdraw")) == ["invalid_state"]  # offered: decline
    assert cai.post(f"/waitlist/{bo_entry['id']}/decline").status_code == 404  # not Cai's
    declined = bo.post(f"/waitlist/{bo_entry['id']}/decline")
    assert declined.get_json()["status"] == "declined"
    [offer] = [e for e in mine(cai) if e["id"] == cai_again["id"]]
    assert offer["status"] == "offered"


def test_a_scientist_sees_their_place_not_who_else_waits_managers_see_the_list(app, suite_people, people):
    manager, anna, bo, cai = suite_people
    slot = local_slot(14, 9, hours=2)
    book(anna, slot)
    wait(bo, slot)
    wait(cai, slot)
    cai_view = cai.get("/waitlist")
    assert [e["place"] for e in cai_view.get_json()] == [2]
    assert bo.email not in cai_view.text
    assert error_codes(cai.get("/waitlist", query_string={"facility": "gmp"})) == ["forbidden"]
    assert cai.get("/waitlist", query_string={"facility": "gmp"}).status_code == 403
    listed = manager.get("/waitlist", query_string={"facility": "gmp"}).get_json()
    assert [(e["user"], e["place"]) for e in listed] == [(bo.email, 1), (cai.email, 2)]
    assert [e["user"] for e in manager.get("/waitlist", query_string={"resource": SUITE}).get_json()] == [
        bo.email,
        cai.email,
    ]
    lab_manager = people.make("manager", facilities=["lab"])
    assert lab_manager.get("/waitlist", query_string={"facility": "gmp"}).status_code == 403


def test_bad_wishes_get_a_code_and_nothing_is_written(app, suite_people, people, clock):
    _manager, anna, bo, _cai = suite_people
    slot = local_slot(14, 9, hours=2)
    book(anna, slot)
    past = (clock.now - timedelta(days=2)).isoformat(), (clock.now - timedelta(days=2, hours=-2)).isoformat()
    beyond = local_slot(200, 9, hours=2)  # the suite's horizon is 180 days
    free = local_slot(21, 9, hours=2)
    unqualified = people.make()
    before = counts(app)
    cases = [
        ({"resource": SUITE, "start": past[0], "end": past[1]}, 422, ["wait_in_past"]),
        ({"resource": SUITE, "start": beyond[0], "end": beyond[1]}, 422, ["wait_beyond_horizon"]),
        ({"resource": SUITE, "start": free[0], "end": free[1]}, 422, ["slot_free"]),
        ({"resource": SUITE, "start": slot[1], "end": slot[0]}, 422, ["end_before_start"]),
        ({"resource": SUITE, "start": "2026-12-01T09:00:00", "end": slot[1]}, 422, ["naive_datetime"]),
        ({"resource": "nope", "start": slot[0], "end": slot[1]}, 404, ["not_found"]),
        ({"resource": SUITE, "start": slot[0]}, 422, ["invalid"]),
        ({"resource": SUITE, "start": slot[0], "end": slot[1], "hours": 2}, 422, ["invalid"]),
        ({"resource": SUITE, "from": slot[0], "to": slot[1], "hours": 3}, 422, ["hours_exceed_window"]),
        ({"resource": SUITE, "from": slot[0], "to": slot[1], "hours": -1}, 422, ["invalid"]),
        ({"resource": SUITE, "start": slot[0], "end": slot[1], "colour": "red"}, 422, ["unknown_field"]),
    ]
    for body, status, codes in cases:
        answer = bo.post("/waitlist", body)
        assert (answer.status_code, error_codes(answer)) == (status, codes), (body, answer.text)
    not_ok = unqualified.post("/waitlist", {"resource": SUITE, "start": slot[0], "end": slot[1]})
    assert error_codes(not_ok) == ["not_qualified"]
    assert bo.post("/waitlist", "not json", content_type="application/json").status_code == 400
    assert counts(app) == before
    assert wait(bo, slot).status_code == 201
    assert error_codes(wait(bo, slot)) == ["already_waiting"]


def test_any_two_hours_this_day_is_offered_the_first_freed_fit(app, people):
    """A window wish: any 2 h of the biosafety cabinet on one day, all booked; a 3 h booking is
    cancelled and the first 2 h of it are offered."""
    bookers = [people.make() for _ in range(4)]
    day = [local_slot(14, hour, hours=3) for hour in (7, 10, 13, 16)]
    made = [book(who, slot, resource="lab-bsc").get_json() for who, slot in zip(bookers, day)]
    waiter = people.make()
    whole_day = day[0][0], day[-1][1]
    joined = waiter.post("/waitlist", {"resource": "lab-bsc", "from": whole_day[0], "to": whole_day[1], "hours": 2})
    assert joined.status_code == 201, joined.text
    assert joined.get_json()["kind"] == "window" and joined.get_json()["hours"] == 2
    bookers[1].post(f"/bookings/{made[1]['id']}/cancel", {})
    [offer] = mine(waiter)
    assert offer["status"] == "offered"
    assert (offer["offered_start"], offer["offered_end"]) == local_slot(14, 10, hours=2)
    # the hour left over is free for anyone
    assert book(bookers[0], (local_slot(14, 12)[0], local_slot(14, 13)[0]), resource="lab-bsc").status_code == 201


def test_a_removed_blackout_is_offered_to_the_waiting(app, people):
    manager = people.make("manager", facilities=["lab"])
    waiter = people.make()
    slot = local_slot(14, 9, hours=2)
    with app.app_context():
        start, end = (datetime.fromisoformat(t) for t in slot)
        blackout_id = add_blackout(get_user_by_email(manager.email), "lab", start, end, resource_key="lab-bsc",
                                   reason="filter")[0].id  # fmt: skip
    assert wait(waiter, slot, resource="lab-bsc").status_code == 201
    removed = manager.delete(f"/blackouts/{blackout_id}", query_string={"reason": "done early"})
    assert removed.status_code == 204, removed.text
    assert mine(waiter)[0]["status"] == "offered"


def test_feeds_show_the_held_slot_busy_to_others_and_tentative_to_its_user(app, suite_people):
    _manager, anna, bo, cai = suite_people
    slot = local_slot(14, 9, hours=2)
    first = book(anna, slot).get_json()
    wait(bo, slot)
    anna.post(f"/bookings/{first['id']}/cancel", {})
    assert mine(bo)[0]["status"] == "offered"

    def feed(client, scope, target=None):
        made = client.post("/calendar-feeds", {"scope": scope, **({"target": target} if target else {})}).get_json()
        answer = client.client.get("/" + made["url"].split("/", 3)[3])
        assert answer.status_code == 200, answer.text
        return [c for c in Calendar.from_ical(answer.data).walk("VEVENT") if str(c["STATUS"]) != "CANCELLED"]

    [own] = feed(bo, "user")
    assert str(own["STATUS"]) == "TENTATIVE" and "held for you" in str(own["SUMMARY"])
    [other] = feed(cai, "resource", SUITE)
    assert str(other["SUMMARY"]) == "Booked" and bo.email not in str(other.to_ical())


def test_the_hold_time_is_configurable_and_a_bad_value_stops_the_start(app, suite_people, clock):
    from facility import create_app

    app.config["FACILITY_WAITLIST_HOLD_MINUTES"] = 30
    _manager, anna, bo, _cai = suite_people
    slot = local_slot(14, 9, hours=2)
    first = book(anna, slot).get_json()
    wait(bo, slot)
    anna.post(f"/bookings/{first['id']}/cancel", {})
    hold_until = datetime.fromisoformat(mine(bo)[0]["hold_until"])
    assert timedelta(minutes=29) < hold_until - clock.now <= timedelta(minutes=30)
    for bad in ("two hours", "0", "-5"):
        with pytest.raises(RuntimeError, match="FACILITY_WAITLIST_HOLD_MINUTES"):
            create_app({"FACILITY_WAITLIST_HOLD_MINUTES": bad, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_a_held_booking_cancelled_through_the_bookings_is_a_declined_offer(app, suite_people):
    _manager, anna, bo, cai = suite_people
    slot = local_slot(14, 9, hours=2)
    first = book(anna, slot).get_json()
    wait(bo, slot)
    wait(cai, slot)
    anna.post(f"/bookings/{first['id']}/cancel", {})
    [offer] = mine(bo)
    assert bo.patch(f"/bookings/{offer['booking']}", {"purpose": "x"}).status_code == 422  # a hold is not moved
    assert bo.post(f"/bookings/{offer['booking']}/cancel", {}).status_code == 200
    assert mine(bo)[0]["status"] == "declined"
    assert mine(cai)[0]["status"] == "offered"


def test_the_calendar_shows_the_hold_to_its_user_unmovable_and_to_others_as_busy(app, suite_people):
    _manager, anna, bo, cai = suite_people
    slot = local_slot(14, 9, hours=2)
    first = book(anna, slot).get_json()
    wait(bo, slot)
    anna.post(f"/bookings/{first['id']}/cancel", {})
    window = {"resource": SUITE, "from": slot[0], "to": slot[1], "free": "false"}
    [own] = [e for e in bo.get("/calendar", query_string=window).get_json()["events"] if e["kind"] == "own"]
    assert own["status"] == "held" and own["movable"] is False and "held for you" in own["title"]
    seen = cai.get("/calendar", query_string=window).get_json()["events"]
    assert [e["title"] for e in seen if e["kind"] in ("booking", "pending")] == ["Booked"]
    assert bo.email not in str(seen)


def test_a_failing_offer_never_undoes_the_cancel_and_the_job_offers_later(app, suite_people, clock, monkeypatch):
    _manager, anna, bo, _cai = suite_people
    slot = local_slot(14, 9, hours=2)
    first = book(anna, slot).get_json()
    wait(bo, slot)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the offer failed")

    monkeypatch.setattr(services, "offer_free_time", broken)
    cancelled = anna.post(f"/bookings/{first['id']}/cancel", {})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert mine(bo)[0]["status"] == "waiting"
    monkeypatch.undo()
    with app.app_context():
        assert jobs.expire_offers(clock.now) == 1
    assert mine(bo)[0]["status"] == "offered"
