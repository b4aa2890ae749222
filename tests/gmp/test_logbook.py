"""The logbook of a resource (EudraLex Vol. 4, Part I, ch. 4): entries, corrections, uses and
status changes in order of time, through the API, the pages, CSV and PDF; on both databases."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from facility.audit.models import AuditEvent
from facility.bookings import services as bookings
from facility.core.extensions import db
from facility.gmp.models import LogbookEntry
from tests.support import clock as clocks
from tests.support.clients import PASSWORD, error_codes
from tests.support.databases import POSTGRES_ONLY
from tests.support.factory import add_usage, local

NOW = clocks.DEFAULT_INSTANT


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(LogbookEntry)),
            db.session.scalar(select(func.count()).select_from(AuditEvent)),
        )


@pytest.fixture
def gmp_manager(people):
    return people.make("manager", facilities=("gmp",), password=PASSWORD)


def write(client, body, resource="gmp-suite"):
    return client.post(f"/resources/{resource}/logbook", json=body)


def test_a_month_of_records_in_order_with_a_correction(app, people, gmp_manager):
    operator = people.make(qualifications=("gowning-grade-b",))
    with app.app_context():
        add_usage("gmp-suite", operator.email, NOW - timedelta(hours=30), NOW - timedelta(hours=27))
        bookings.set_resource_status(
            _user(gmp_manager),
            "gmp-suite",
            "maintenance",
            "filter change",
        )
    first = write(
        gmp_manager,
        {
            "kind": "calibration",
            "text": "particle counter",
            "outcome": "passed",
            "occurred_at": _iso(NOW - timedelta(hours=26)),
        },
    )
    assert first.status_code == 201, first.text
    cleaning = write(
        operator,
        {"kind": "cleaning", "procedure": "SOP-CL-01", "occurred_at": _iso(NOW - timedelta(hours=26, minutes=30))},
    )
    assert cleaning.status_code == 201, cleaning.text
    correction = write(
        gmp_manager,
        {
            "kind": "calibration",
            "text": "particle counter, probe 2",
            "outcome": "failed",
            "corrects": first.get_json()["id"],
            "reason": "wrong probe read",
            "occurred_at": _iso(NOW - timedelta(hours=26)),
        },
    )
    assert correction.status_code == 201, correction.text

    book = gmp_manager.get("/resources/gmp-suite/logbook")
    assert book.status_code == 200, book.text
    lines = book.get_json()["lines"]
    kinds = [line["kind"] for line in lines]
    assert kinds == ["use", "cleaning", "calibration", "calibration", "status"]
    original, corrected = lines[2], lines[3]
    assert original["corrected_by"] == correction.get_json()["number"] and original["outcome"] == "passed"
    assert corrected["corrects"] == first.get_json()["number"] and corrected["reason"] == "wrong probe read"
    assert lines[0]["who"] == "Test Scientist" and lines[-1]["what"] == "maintenance"
    assert lines[0]["at"].endswith("+01:00")  # the facility's offset

    # the audit trail holds the correction with the entry it corrects
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "logbook.corrected")).one()
        assert event.before["outcome"] == "passed" and event.after["outcome"] == "failed"


def _user(client):
    from facility.accounts.services import get_user_by_email

    return get_user_by_email(client.email)


def _iso(instant):
    return instant.isoformat()


def test_bad_entries_are_refused_and_nothing_is_written(app, people, gmp_manager):
    before = counts(app)
    cases = [
        ({"kind": "note", "text": "x", "occurred_at": _iso(NOW - timedelta(hours=49))}, "backdated_too_far"),
        ({"kind": "note", "text": "x", "occurred_at": _iso(NOW + timedelta(hours=2))}, "in_future"),
        ({"kind": "cleaning"}, "procedure_required"),
        ({"kind": "calibration", "text": "x"}, "outcome_required"),
        ({"kind": "note", "text": "x", "corrects": 99999}, "not_found"),
        ({"kind": "verification", "outcome": "passed", "password": PASSWORD}, "verifies_required"),
        ({"kind": "note"}, "text_required"),
    ]
    for body, code in cases:
        response = write(gmp_manager, body)
        assert response.status_code in (404, 422), (body, response.text)
        assert code in error_codes(response), (body, response.text)
    naive = write(gmp_manager, {"kind": "note", "text": "x", "occurred_at": "2026-11-10T08:00:00"})
    assert naive.status_code == 422 and "naive_datetime" in error_codes(naive)
    assert counts(app) == before


def test_the_back_dating_limit_is_a_setting(app, gmp_manager):
    app.config["FACILITY_LOGBOOK_BACKDATE_HOURS"] = 72
    response = write(gmp_manager, {"kind": "note", "text": "x", "occurred_at": _iso(NOW - timedelta(hours=60))})
    assert response.status_code == 201, response.text


def test_a_correction_names_the_same_kind_and_a_reason_and_corrects_once(app, gmp_manager):
    note = write(gmp_manager, {"kind": "note", "text": "door seal worn"}).get_json()
    wrong = write(gmp_manager, {"kind": "repair", "text": "x", "corrects": note["id"]})
    assert wrong.status_code == 422 and {"kind_mismatch", "reason_required"} <= set(error_codes(wrong))
    right = write(gmp_manager, {"kind": "note", "text": "door seal torn", "corrects": note["id"], "reason": "typo"})
    assert right.status_code == 201
    again = write(gmp_manager, {"kind": "note", "text": "y", "corrects": note["id"], "reason": "again"})
    assert again.status_code == 422 and error_codes(again) == ["already_corrected"]


def test_who_may_read_and_write_a_logbook(app, people, gmp_manager):
    lab_manager = people.make("manager", facilities=("lab",))
    scientist = people.make()
    assert lab_manager.get("/resources/gmp-suite/logbook").status_code == 403
    assert scientist.get("/resources/gmp-suite/logbook").status_code == 403
    assert people.api().get("/resources/gmp-suite/logbook").status_code == 401
    assert gmp_manager.get("/resources/no-such/logbook").status_code == 404
    assert write(lab_manager, {"kind": "note", "text": "x"}).status_code == 403
    # a scientist without the room's qualification writes nothing, not even a cleaning
    assert write(scientist, {"kind": "cleaning", "procedure": "SOP"}).status_code == 403
    # a qualified operator records cleanings but not maintenance
    operator = people.make(qualifications=("gowning-grade-b",))
    assert write(operator, {"kind": "maintenance", "text": "x"}).status_code == 403
    assert write(operator, {"kind": "cleaning", "procedure": "SOP"}).status_code == 201


def test_period_and_formats(app, gmp_manager):
    write(gmp_manager, {"kind": "deviation", "text": "pressure cascade alarm, 3 min"})
    today = clocks.today().isoformat()
    response = gmp_manager.get(f"/resources/gmp-suite/logbook?from={today}&to={today}&format=csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8"))))
    assert rows[0][:4] == ["number", "at", "until", "kind"] and rows[1][3] == "deviation"
    earlier = (clocks.today() - timedelta(days=3)).isoformat()
    empty = gmp_manager.get(f"/resources/gmp-suite/logbook?from={earlier}&to={earlier}").get_json()
    assert empty["lines"] == []
    bad = gmp_manager.get(f"/resources/gmp-suite/logbook?from={today}&to={earlier}")
    assert bad.status_code == 422 and error_codes(bad) == ["end_before_start"]
    assert gmp_manager.get("/resources/gmp-suite/logbook?from=2026-13-01").status_code == 422
    assert gmp_manager.get("/resources/gmp-suite/logbook?format=doc").status_code == 422


def test_the_pdf_shows_the_entries_and_the_corrections(app, gmp_manager):
    note = write(gmp_manager, {"kind": "maintenance", "text": "HEPA filter replaced"}).get_json()
    fix = write(
        gmp_manager,
        {"kind": "maintenance", "text": "HEPA filter H14 replaced", "corrects": note["id"], "reason": "filter class"},
    ).get_json()
    response = gmp_manager.get("/resources/gmp-suite/logbook?format=pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    text = " ".join(text.split())
    assert "HEPA filter replaced" in text and "HEPA filter H14 replaced" in text
    assert f"CORRECTED by {fix['number']}" in text
    assert f"CORRECTION of {note['number']}: filter class" in text
    assert "GMP cleanroom suite 1" in text


def post_refused_entries(browser):
    """A cleaning without its procedure, and a note dated five days back: both refused."""
    refused = browser.post_form("/manage/logbook/gmp-suite", {"kind": "cleaning", "procedure": ""})
    day = (clocks.today() - timedelta(days=5)).isoformat()
    too_old = browser.post_form(
        "/manage/logbook/gmp-suite", {"kind": "note", "text": "x", "occurred_date": day, "occurred_time": "09:00"}
    )
    return refused, too_old


def test_the_logbook_pages(app, people, gmp_manager):
    browser = people.signed_in(gmp_manager.email)
    page = browser.get("/manage/logbook/gmp-suite")
    assert page.status_code == 200 and "Logbook of GMP cleanroom suite 1" in page.text
    posted = browser.post_form(
        "/manage/logbook/gmp-suite",
        {"kind": "repair", "occurred_date": "", "occurred_time": "", "text": "door closer fixed"},
    )
    assert posted.status_code == 200 and "door closer fixed" in posted.text
    refused, too_old = post_refused_entries(browser)
    assert refused.status_code == 422 and "Name the procedure" in refused.text
    assert too_old.status_code == 422 and "hours back" in too_old.text
    pdf = browser.get("/manage/logbook/gmp-suite.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    csv_page = browser.get("/manage/logbook/gmp-suite.csv")
    assert csv_page.status_code == 200 and "door closer fixed" in csv_page.data.decode()
    other = people.signed_in(people.make("manager", facilities=("lab",), password=PASSWORD).email)
    assert other.get("/manage/logbook/gmp-suite").status_code == 403
    assert other.get("/manage/logbook/gmp-suite.pdf").status_code == 403


def test_the_logbook_page_in_swedish(app, people, gmp_manager):
    write(gmp_manager, {"kind": "deviation", "text": "larm"})
    browser = people.signed_in(gmp_manager.email)
    browser.post_form("/language", {"lang": "sv"}, page="/manage/logbook/gmp-suite")
    page = browser.get("/manage/logbook/gmp-suite")
    assert "Loggbok för GMP cleanroom suite 1" in page.text and "avvikelse" in page.text
    refused, too_old = post_refused_entries(browser)
    assert refused.status_code == 422 and "Ange instruktionen (SOP) som följdes." in refused.text
    assert too_old.status_code == 422 and "En post får dateras högst" in too_old.text
    assert "Name the procedure" not in refused.text and "hours back" not in too_old.text


@POSTGRES_ONLY
def test_postgres_refuses_to_change_or_delete_an_entry(app, gmp_manager):
    import sqlalchemy.exc

    write(gmp_manager, {"kind": "note", "text": "kept"})
    with app.app_context():
        for statement in ("UPDATE logbook_entries SET text = 'changed'", "DELETE FROM logbook_entries"):
            with pytest.raises(sqlalchemy.exc.DBAPIError):
                db.session.execute(db.text(statement))
            db.session.rollback()
        assert db.session.scalar(select(LogbookEntry.text)) == "kept"


def test_a_use_and_its_correction_both_show(app, people, gmp_manager):
    operator = people.make(qualifications=("gowning-grade-b",))
    with app.app_context():
        old = add_usage(
            "gmp-suite", operator.email, local("2026-11-09 08:00"), local("2026-11-09 10:00"), superseded=True
        )
        add_usage(
            "gmp-suite",
            operator.email,
            local("2026-11-09 08:00"),
            local("2026-11-09 11:00"),
            source="manual",
            corrects_id=old,
        )
    lines = gmp_manager.get("/resources/gmp-suite/logbook").get_json()["lines"]
    assert [line["number"] for line in lines] == [f"U{old}", f"U{old + 1}"]
    assert lines[0]["corrected_by"] == f"U{old + 1}" and lines[1]["corrects"] == f"U{old}"


def test_the_pdf_in_swedish(app, people, gmp_manager):
    note = write(gmp_manager, {"kind": "repair", "text": "Dörrstängare lagad"}).get_json()
    write(gmp_manager, {"kind": "repair", "text": "Dörrstängare bytt", "corrects": note["id"], "reason": "fel ord"})
    browser = people.signed_in(gmp_manager.email)
    browser.post_form("/language", {"lang": "sv"}, page="/manage/logbook/gmp-suite")
    pdf = browser.get("/manage/logbook/gmp-suite.pdf")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert "Loggbok för GMP cleanroom suite 1" in text and "reparation" in text and "Dörrstängare lagad" in text
    assert f"RÄTTAD genom E{note['id'] + 1}" in text and f"RÄTTELSE av {note['number']}: fel ord" in text


def test_the_command_line_gives_the_logbook_and_the_batches(app, gmp_manager, tmp_path):
    write(gmp_manager, {"kind": "deviation", "text": "pressure alarm"})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["facility", "logbook", "gmp-suite", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "pressure alarm" in result.output and result.output.startswith("number,at,until,kind")
    target = tmp_path / "logbook.pdf"
    result = runner.invoke(args=["facility", "logbook", "gmp-suite", "--format", "pdf", "--output", str(target)])
    assert result.exit_code == 0 and "pressure alarm" in PdfReader(str(target)).pages[0].extract_text()
    assert runner.invoke(args=["facility", "logbook", "gmp-suite", "--format", "pdf"]).exit_code != 0
    unknown = runner.invoke(args=["facility", "logbook", "nothing"])
    assert unknown.exit_code != 0 and "resource" in unknown.output
    bad = runner.invoke(args=["facility", "logbook", "gmp-suite", "--from", "2026-13-40"])
    assert bad.exit_code != 0 and "not a date" in bad.output
    batches = runner.invoke(args=["facility", "batches", "gmp-suite", "--since-last-passed-calibration"])
    assert batches.exit_code == 0 and batches.output.startswith("product,batch,use")
