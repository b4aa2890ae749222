"""Blackouts can be changed and removed, by their facility's managers only, each change audited
(before and after, and why) in one transaction with it; through the API and the pages. A
blackout from a calendar source is changed at its source, not here."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from facility.accounts.models import User
from facility.audit.models import AuditEvent
from facility.bookings import services
from facility.bookings.models import Blackout
from facility.core.extensions import db
from tests.support.clients import PASSWORD, error_codes
from tests.support.factory import local_slot, user_id


def make_blackout(app, manager_email: str, hours=(10, 2), days_ahead: int = 7, resource: str | None = "lab-bsc") -> int:
    start, end = local_slot(days_ahead, hours[0], hours[1])
    with app.app_context():
        actor = db.session.get(User, user_id(manager_email))
        blackout, _ = services.add_blackout(
            actor, "lab", datetime.fromisoformat(start), datetime.fromisoformat(end), resource_key=resource,
            kind="maintenance", reason="Filter change",
        )  # fmt: skip
        return blackout.id


def audit_of(app, blackout_id: int) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "blackouts", AuditEvent.entity_id == blackout_id)
        )
        return [(e.action, e.before, e.after, e.reason) for e in rows]


def test_change_a_blackout_through_the_api_and_see_what_it_now_hits(app, people):
    manager, alice = people.make("manager", facilities=["lab"]), people.make()
    blackout_id = make_blackout(app, manager.email)
    start, end = local_slot(7, 14, 2)
    booked = alice.post("/bookings", json={"resource": "lab-bsc", "start": start, "end": end})
    assert booked.status_code == 201
    later_end = local_slot(7, 16, 1)[0]
    changed = manager.patch(f"/blackouts/{blackout_id}", json={"end": later_end, "reason": "Filter and fan"})
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert (
        body["end"] == later_end
        and body["reason"] == "Filter and fan"
        and body["colliding"] == [booked.get_json()["id"]]
    )
    [created, change] = audit_of(app, blackout_id)
    assert (
        change[0] == "blackout.changed"
        and change[1]["reason"] == "Filter change"
        and change[2]["reason"] == "Filter and fan"
    )
    listed = manager.get("/blackouts", query_string={"facility": "lab"}).get_json()
    assert [b["id"] for b in listed] == [blackout_id]


def test_bad_changes_are_refused_whole_and_change_nothing(app, people):
    manager = people.make("manager", facilities=["lab"])
    blackout_id = make_blackout(app, manager.email)
    start, _end = local_slot(7, 10, 2)
    refused = manager.patch(f"/blackouts/{blackout_id}", json={"end": start})  # end at the start
    assert refused.status_code == 422 and error_codes(refused) == ["end_before_start"]
    assert manager.patch(f"/blackouts/{blackout_id}", json={}).status_code == 422
    assert manager.patch(f"/blackouts/{blackout_id}", json={"kind": "party"}).status_code == 422
    assert manager.patch(f"/blackouts/{blackout_id}", json={"start": "2026-12-01T10:00:00"}).status_code == 422
    assert [a for a, *_ in audit_of(app, blackout_id)] == ["blackout.created"]


def test_only_its_facilitys_managers(app, people):
    lab_manager, gmp_manager, alice = (
        people.make("manager", facilities=["lab"]),
        people.make("manager", facilities=["gmp"]),
        people.make(),
    )
    blackout_id = make_blackout(app, lab_manager.email)
    assert gmp_manager.patch(f"/blackouts/{blackout_id}", json={"reason": "x"}).status_code == 404
    assert gmp_manager.delete(f"/blackouts/{blackout_id}", query_string={"reason": "x"}).status_code == 404
    assert alice.patch(f"/blackouts/{blackout_id}", json={"reason": "x"}).status_code == 404
    assert alice.get("/blackouts").status_code == 403
    assert lab_manager.patch("/blackouts/999999", json={"reason": "x"}).status_code == 404


def test_remove_a_blackout_and_the_time_is_free_again(app, people):
    manager, alice = people.make("manager", facilities=["lab"]), people.make()
    blackout_id = make_blackout(app, manager.email)
    start, end = local_slot(7, 10, 1)
    assert error_codes(alice.post("/bookings", json={"resource": "lab-bsc", "start": start, "end": end})) == [
        "blackout"
    ]
    assert error_codes(manager.delete(f"/blackouts/{blackout_id}")) == ["required"]
    assert manager.delete(f"/blackouts/{blackout_id}", query_string={"reason": "Done early"}).status_code == 204
    assert alice.post("/bookings", json={"resource": "lab-bsc", "start": start, "end": end}).status_code == 201
    removed = audit_of(app, blackout_id)[-1]
    assert removed[0] == "blackout.removed" and removed[1]["kind"] == "maintenance" and removed[3] == "Done early"
    assert manager.delete(f"/blackouts/{blackout_id}", query_string={"reason": "again"}).status_code == 404


def test_a_calendar_sources_blackout_is_changed_at_its_source(app, people):
    manager = people.make("manager", facilities=["lab"])
    blackout_id = make_blackout(app, manager.email)
    with app.app_context():
        from facility.feeds.models import CalendarSource

        source = db.session.scalars(select(CalendarSource)).first()
        if source is None:
            facility_id = db.session.get(Blackout, blackout_id).facility_id
            source = CalendarSource(facility_id=facility_id, name="Holidays", url="https://example.org/h.ics")
            db.session.add(source)
            db.session.flush()
        db.session.get(Blackout, blackout_id).source_id = source.id
        db.session.commit()
    assert error_codes(manager.patch(f"/blackouts/{blackout_id}", json={"reason": "x"})) == ["from_calendar_source"]


def test_change_and_remove_on_the_pages(app, people, visitor):
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    blackout_id = make_blackout(app, manager.email)
    browser = visitor()
    browser.sign_in(manager.email)
    listing = browser.get("/manage/blackouts").text
    assert f'href="/manage/blackouts/{blackout_id}/edit"' in listing and "maintenance" in listing
    page = browser.get(f"/manage/blackouts/{blackout_id}/edit").text
    day = re.search(r'name="start_date"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="start_date"', page
    )
    assert day, "the form is filled in"
    form = {"start_date": day.group(1), "start_time": "09:00", "end_date": day.group(1), "end_time": "12:00",
            "kind": "cleaning", "reason": "Deep clean"}  # fmt: skip
    saved = browser.post_form(f"/manage/blackouts/{blackout_id}/edit", form)
    assert saved.status_code == 200 and "The blackout is changed." in saved.text
    with app.app_context():
        assert db.session.get(Blackout, blackout_id).kind == "cleaning"
    bad = browser.post_form(f"/manage/blackouts/{blackout_id}/edit", {**form, "end_time": "08:00"})
    assert bad.status_code == 422 and "The end must be after the start." in bad.text
    no_reason = browser.post_form(
        f"/manage/blackouts/{blackout_id}/remove", {"reason": ""}, page=f"/manage/blackouts/{blackout_id}/edit"
    )
    assert no_reason.status_code == 422 and "Say why the blackout is removed." in no_reason.text
    gone = browser.post_form(
        f"/manage/blackouts/{blackout_id}/remove",
        {"reason": "Not needed"},
        page=f"/manage/blackouts/{blackout_id}/edit",
    )
    assert gone.status_code == 200 and "The blackout is removed" in gone.text
    with app.app_context():
        assert db.session.get(Blackout, blackout_id) is None


def test_a_new_blackouts_page_offers_to_notify_and_cancel(app, people, visitor, smtp):
    manager, alice = people.make("manager", facilities=["lab"], password=PASSWORD), people.make()
    start, end = local_slot(7, 10, 2)
    booking_id = alice.post("/bookings", json={"resource": "lab-bsc", "start": start, "end": end}).get_json()["id"]
    browser = visitor()
    browser.sign_in(manager.email)
    form = {"target": "resource:lab-bsc", "start_date": start[:10], "start_time": "08:00", "end_date": start[:10],
            "end_time": "18:00", "kind": "maintenance", "reason": "annual service"}  # fmt: skip
    added = browser.post_form("/manage/blackouts", form)
    assert added.status_code == 201
    cancel = re.search(rf'href="(/bookings/{booking_id}/cancel\?[^"]+)"', added.text).group(1)
    assert "next=/manage/blackouts" in cancel and "reason=Blackout" in cancel
    blackout_id = int(re.search(r'action="/manage/blackouts/(\d+)/notify"', added.text).group(1))
    told = browser.post_form(
        f"/manage/blackouts/{blackout_id}/notify", {"next": "/manage/blackouts"}, page="/manage/blackouts"
    )
    assert told.request.path == "/manage/blackouts" and "1 user was told about the blackout." in told.text


def test_the_blackout_pages_say_what_is_missing_in_swedish(app, people, visitor):
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    blackout_id = make_blackout(app, manager.email)
    browser = visitor()
    browser.sign_in(manager.email)
    browser.post_form("/language", {"lang": "sv"}, page="/account/tokens")
    page = browser.get(f"/manage/blackouts/{blackout_id}/edit").text
    day = re.search(r'name="start_date"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="start_date"', page
    )
    form = {"start_date": day.group(1), "start_time": "09:00", "end_date": day.group(1), "end_time": "08:00",
            "kind": "cleaning", "reason": ""}  # fmt: skip
    bad = browser.post_form(f"/manage/blackouts/{blackout_id}/edit", form)
    assert bad.status_code == 422
    assert "Slutet måste ligga efter starten." in bad.text and "Ange varför tiden tas ur drift." in bad.text
    no_reason = browser.post_form(
        f"/manage/blackouts/{blackout_id}/remove", {"reason": ""}, page=f"/manage/blackouts/{blackout_id}/edit"
    )
    assert no_reason.status_code == 422 and "Ange varför spärrtiden tas bort." in no_reason.text
    assert "Say why" not in no_reason.text and "The end must" not in bad.text
