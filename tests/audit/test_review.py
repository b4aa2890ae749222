"""The audit-trail review (Annex 11 §9): GET /api/v1/audit-events, the page /manage/audit and
its CSV download: who, when, what, before/after, reason and signature, per period and
facility; managers see their facilities only, administrators everything."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import text

from facility.accounts import services as accounts
from facility.bookings import services as bookings
from facility.core.extensions import db
from tests.support import clock as clocks
from tests.support.clients import PASSWORD, error_codes
from tests.support.clock import STOCKHOLM
from tests.support.databases import SQLITE_ONLY
from tests.support.factory import local_slot


def history(app, people):
    """A lab booking changed by its owner, and a GMP booking approved with a signature."""
    alice = people.make(qualifications=["gowning-grade-b"], password=PASSWORD)
    lab_manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    gmp_manager = people.make("manager", facilities=["gmp"], password=PASSWORD)
    start, end = local_slot(14, 10)
    lab = alice.post("/bookings", {"resource": "lab-bsc", "start": start, "end": end, "purpose": "expansion"})
    assert alice.patch(f"/bookings/{lab.get_json()['id']}", {"purpose": "harvest"}).status_code == 200
    start, end = local_slot(14, 8, 2)
    gmp = alice.post("/bookings", {"resource": "gmp-suite", "start": start, "end": end, "purpose": "CAR-T lot 7"})
    with app.app_context():
        signer = accounts.get_user_by_email(gmp_manager.email)
        bookings.approve(signer, gmp.get_json()["id"], "batch record reviewed", signed=True)
    return alice, lab_manager, gmp_manager, lab.get_json()["id"], gmp.get_json()["id"]


def period(days_back=1, days_ahead=1):
    now = clocks.now().astimezone(STOCKHOLM)
    return {"from": (now - timedelta(days=days_back)).isoformat(), "to": (now + timedelta(days=days_ahead)).isoformat()}


def test_a_manager_reviews_their_facility_with_who_when_what_why(app, people):
    _alice, lab_manager, _gmp_manager, lab_id, _gmp_id = history(app, people)
    rows = lab_manager.get("/audit-events", query_string={"facility": "lab", **period()}).get_json()
    mine = [r for r in rows if r["entity"] == "bookings"]
    assert [r["action"] for r in mine] == ["booking.requested", "booking.purpose_changed"]
    changed = mine[1]
    assert changed["entity_id"] == lab_id and changed["actor"] == "Test Scientist"
    assert changed["before"]["purpose"] == "expansion" and changed["after"]["purpose"] == "harvest"
    assert changed["at"].endswith("+01:00") and changed["facility"] == "lab" and changed["signature"] is None
    assert set(changed) == {
        "seq", "at", "facility", "actor", "actor_email", "action", "entity", "entity_id",
        "before", "after", "reason", "signature", "hash",
    }  # fmt: skip
    # Without a facility: still only the facilities the manager manages.
    assert {r["facility"] for r in lab_manager.get("/audit-events").get_json()} == {"lab"}
    assert lab_manager.get("/audit-events", query_string={"facility": "gmp"}).status_code == 403
    assert error_codes(lab_manager.get("/audit-events", query_string={"facility": "nope"})) == ["not_found"]
    # A period before everything shows nothing.
    assert lab_manager.get("/audit-events", query_string=period(3, -2)).get_json() == []


def test_signatures_show_in_the_review_and_admins_see_everything(app, people):
    alice, _lab_manager, gmp_manager, _lab_id, gmp_id = history(app, people)
    rows = gmp_manager.get("/audit-events", query_string={"facility": "gmp"}).get_json()
    approved = next(r for r in rows if r["action"] == "booking.approved")
    assert approved["entity_id"] == gmp_id and approved["reason"] == "batch record reviewed"
    assert approved["signature"]["signer_name"] == "Test Manager"
    assert approved["signature"]["meaning"] == "approval" and len(approved["signature"]["signed_content_hash"]) == 64
    admin = people.make("admin")
    every = admin.get("/audit-events").get_json()
    assert {"lab", "gmp", None} <= {r["facility"] for r in every}
    assert [r["seq"] for r in every] == sorted(r["seq"] for r in every)
    assert alice.get("/audit-events").status_code == 403
    assert error_codes(admin.get("/audit-events", query_string={"from": "2026-12-01T10:00:00"})) == ["naive_datetime"]


def test_the_csv_download_holds_the_same_rows(app, people):
    _alice, _lab, gmp_manager, _lab_id, _gmp_id = history(app, people)
    rows = gmp_manager.get("/audit-events", query_string={"facility": "gmp"}).get_json()
    download = gmp_manager.get("/audit-events", query_string={"facility": "gmp", "format": "csv"})
    assert download.status_code == 200 and download.content_type.startswith("text/csv")
    assert "attachment" in download.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [(int(r["seq"]), r["action"], r["reason"]) for r in table] == [
        (r["seq"], r["action"], r["reason"]) for r in rows
    ]
    approved = next(r for r in table if r["action"] == "booking.approved")
    assert (approved["signature_meaning"], approved["signer_name"]) == ("approval", "Test Manager")
    assert '"status": "confirmed"' in approved["after"]


@SQLITE_ONLY
def test_the_review_page_and_its_csv(app, people):
    alice, lab_manager, _gmp_manager, _lab_id, _gmp_id = history(app, people)
    desk = people.signed_in(lab_manager.email)
    page = desk.get("/manage/audit?facility=lab")
    assert page.status_code == 200
    assert "booking.purpose_changed" in page.text and "Test Scientist" in page.text and "harvest" in page.text
    assert "booking.approved" not in page.text  # the GMP unit's events are not theirs
    download = desk.get("/manage/audit?facility=lab&format=csv")
    assert download.status_code == 200 and download.content_type.startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert "booking.purpose_changed" in [r["action"] for r in table] and {r["facility"] for r in table} == {"lab"}
    bad = desk.get("/manage/audit?from=yesterday")
    assert bad.status_code == 422 and "&#39;yesterday&#39; is not a date" in bad.text
    assert desk.get("/manage/audit?facility=gmp").status_code == 403
    assert people.signed_in(alice.email).get("/manage/audit").status_code == 403


@SQLITE_ONLY
def test_the_admins_review_page_walks_the_hash_chain(app, people):
    history(app, people)
    admin = people.make("admin", password=PASSWORD)
    desk = people.signed_in(admin.email)
    assert "Hash chain intact:" in desk.get("/manage/audit").text
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE audit_events SET reason = 'tampered' WHERE seq = 2"))
        db.session.remove()
    page = desk.get("/manage/audit").text
    assert "The audit trail is broken after 1 good events: event 2" in page and "was altered" in page
    lab_manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    assert "Hash chain" not in people.signed_in(lab_manager.email).get("/manage/audit").text


def test_a_change_reads_with_its_own_letters():
    """The review page and CSV show before/after as people read them, not as \\u escapes."""
    from facility.audit.review import change_text

    assert change_text({"name": "SUS GMP-enhet", "holiday": "Nyårsafton"}) == (
        '{"holiday": "Nyårsafton", "name": "SUS GMP-enhet"}'
    )
    assert change_text(None) == ""
