"""GET /api/v1/calendar: what the interactive calendar draws. Own bookings in detail, the others'
as "Booked" (privacy), a facility's managers see names; changeover, blackouts, closed days by
name, and free time that is what availability says; a fixed number of statements."""

from __future__ import annotations

from datetime import datetime, timedelta

from facility.accounts.models import User
from facility.bookings import services
from facility.core.extensions import db
from tests.bookings.test_read_budget import fill_week
from tests.support.clients import error_codes
from tests.support.factory import local_slot
from tests.support.statements import statements_sent


def week_of(days_ahead: int = 7) -> dict:
    """The Monday-to-Monday week of ``local_slot(days_ahead, ...)``'s Tuesday."""
    monday = datetime.fromisoformat(local_slot(days_ahead, 0, weekday=1)[0]) - timedelta(days=1)
    return {"from": monday.isoformat(), "to": (monday + timedelta(days=7)).isoformat()}


def test_own_booking_in_detail_the_others_only_as_booked(app, people):
    me, other = people.make(), people.make()
    start, end = local_slot(7, 10, 2)
    mine = me.post("/bookings", json={"resource": "lab-bsc", "start": start, "end": end, "purpose": "T-cell split"})
    assert mine.status_code == 201, mine.get_json()
    start2, end2 = local_slot(7, 14, 1)
    theirs = other.post("/bookings", json={"resource": "lab-bsc", "start": start2, "end": end2, "purpose": "Secret"})
    assert theirs.status_code == 201

    body = me.get("/calendar", query_string={"resource": "lab-bsc", **week_of()}).get_json()
    bookings = {e["start"]: e for e in body["events"] if e["kind"] in ("own", "booking", "pending")}
    own = bookings[mine.get_json()["start"]]
    assert own["kind"] == "own" and own["booking"] == mine.get_json()["id"] and own["movable"] is True
    assert "T-cell split" in own["title"]
    hidden = bookings[theirs.get_json()["start"]]
    assert hidden == {**hidden, "kind": "booking", "title": "Booked", "booking": None, "movable": False}
    assert "Secret" not in str(body) and other.email not in str(body)
    assert body["timezone"] == "Europe/Stockholm" and body["now"].endswith(("+01:00", "+02:00"))


def test_a_manager_sees_names_but_may_not_drag_others(app, people):
    manager, other = people.make("manager", facilities=["lab"]), people.make()
    start, end = local_slot(7, 10, 2)
    assert other.post("/bookings", json={"resource": "lab-bsc", "start": start, "end": end}).status_code == 201
    body = manager.get("/calendar", query_string={"facility": "lab", **week_of()}).get_json()
    [seen] = [e for e in body["events"] if e["kind"] == "booking"]
    assert "Test Scientist" in seen["title"] and seen["booking"] is not None and seen["movable"] is False


def test_free_time_is_the_availability(app, people):
    me = people.make()
    start, end = local_slot(7, 10, 2)
    assert me.post("/bookings", json={"resource": "lab-bsc", "start": start, "end": end}).status_code == 201
    window = week_of()
    free = me.get("/resources/lab-bsc/availability", query_string=window).get_json()["free"]
    body = me.get("/calendar", query_string={"facility": "lab", **window}).get_json()
    shown = [{"start": e["start"], "end": e["end"]} for e in body["events"] if e["kind"] == "free"]
    assert [s for s in shown if s in free] == free and free
    assert {r["key"] for r in body["resources"]} >= {"lab-bsc", "lab-bioreactor"}


def test_changeover_and_blackouts(app, people):
    manager = people.make("manager", facilities=["lab"])
    me = people.make(qualifications=["bioreactor-operation"])
    start, end = local_slot(7, 9, 24)
    run = me.post("/bookings", json={"resource": "lab-bioreactor", "start": start, "end": end})
    assert run.status_code == 201, run.get_json()
    b_start, b_end = local_slot(7, 10, 3, weekday=3)
    with app.app_context():
        actor = db.session.scalar(db.select(User).where(User.email == manager.email))
        services.add_blackout(
            actor, "lab", datetime.fromisoformat(b_start), datetime.fromisoformat(b_end),
            resource_key="lab-bsc", kind="maintenance", reason="Filter change",
        )  # fmt: skip
    body = me.get("/calendar", query_string={"facility": "lab", **week_of()}).get_json()
    kinds = {e["kind"] for e in body["events"]}
    assert {"own", "changeover", "blackout", "free"} <= kinds
    [blackout] = [e for e in body["events"] if e["kind"] == "blackout"]
    assert blackout["resource"] == "lab-bsc" and blackout["title"] == "Closed: maintenance — Filter change"
    swedish = me.get("/calendar", query_string={"facility": "lab", **week_of()}, headers={"Accept-Language": "sv"})
    [blackout] = [e for e in swedish.get_json()["events"] if e["kind"] == "blackout"]
    assert blackout["title"] == "Stängt: underhåll — Filter change"
    [changeover] = [e for e in body["events"] if e["kind"] == "changeover"]
    assert changeover["start"] == end


def test_bad_input_is_a_clear_4xx(app, people):
    me = people.make()
    assert error_codes(me.get("/calendar")) == ["required"]
    assert me.get("/calendar", query_string={"facility": "nowhere"}).status_code == 404
    assert error_codes(me.get("/calendar", query_string={"facility": "lab", "from": "2026-12-01T00:00:00"})) == [
        "naive_datetime"
    ]
    window = {"from": "2026-12-01T00:00:00+01:00", "to": "2027-06-01T00:00:00+01:00"}
    assert error_codes(me.get("/calendar", query_string={"facility": "lab", **window})) == ["window_too_large"]
    assert error_codes(me.get("/calendar", query_string={"facility": "gmp", "resource": "lab-bsc"})) == ["mismatch"]
    assert people.api().get("/calendar", query_string={"facility": "lab"}).status_code == 401


def statements_for_a_month(app, people, per_day: int, days_ahead: int) -> list[str]:
    viewer = people.make()
    monday = datetime.fromisoformat(local_slot(days_ahead, 7, weekday=0)[0])
    fill_week(app, people, monday, 3, per_day)
    month = {"facility": "lab", "from": monday.isoformat(), "to": (monday + timedelta(days=31)).isoformat()}
    assert viewer.get("/facilities").status_code == 200
    with statements_sent(app) as statements:
        response = viewer.get("/calendar", query_string=month)
    assert response.status_code == 200
    assert len([e for e in response.get_json()["events"] if e["kind"] == "booking"]) == 2 * 5 * per_day
    return list(statements)


def test_a_busy_month_costs_the_statements_of_a_quiet_one(app, people):
    quiet = statements_for_a_month(app, people, per_day=1, days_ahead=14)
    busy = statements_for_a_month(app, people, per_day=5, days_ahead=56)
    assert len(busy) == len(quiet) <= 8, busy


def test_closed_days_are_named(app, people, tmp_path):
    from facility.catalog.services import load_catalog
    from tests.support.databases import TEST_CATALOG

    text = TEST_CATALOG.read_text(encoding="utf-8").replace("    closed_days: []\n", "    public_holidays: SE\n", 1)
    (tmp_path / "catalog.yaml").write_text(text, encoding="utf-8")
    with app.app_context():
        load_catalog(tmp_path / "catalog.yaml")
    me = people.make()
    window = {"facility": "lab", "from": "2026-12-21T00:00:00+01:00", "to": "2026-12-28T00:00:00+01:00"}
    english = me.get("/calendar", query_string=window).get_json()["closed"]
    assert {"date": "2026-12-25", "name": "Christmas Day"} in english
    swedish = me.get("/calendar", query_string=window, headers={"Accept-Language": "sv"}).get_json()["closed"]
    assert {"date": "2026-12-25", "name": "Juldagen"} in swedish
    assert not [e for e in me.get("/calendar", query_string=window).get_json()["events"] if e["kind"] == "free"
                and e["start"].startswith("2026-12-25")]  # fmt: skip


def test_a_month_view_may_ask_without_the_free_time(app, people):
    me = people.make()
    start, end = local_slot(7, 10, 2)
    assert me.post("/bookings", json={"resource": "lab-bsc", "start": start, "end": end}).status_code == 201
    window = {"facility": "lab", **week_of()}
    with_free = {e["kind"] for e in me.get("/calendar", query_string=window).get_json()["events"]}
    without = {e["kind"] for e in me.get("/calendar", query_string={**window, "free": "false"}).get_json()["events"]}
    assert "free" in with_free and without == with_free - {"free"} == {"own"}
