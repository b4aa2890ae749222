"""The usage pages over real HTTP: check-in and check-out on the booking page and on the
instrument display, the managers' monthly report with charts and downloads, the admins'
indicators with the lists behind them, and the project page (SQLite only)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from facility.bookings.models import Booking
from facility.core.extensions import db
from facility.core.time import utcnow
from facility.usage import projects as project_services
from facility.usage.models import UsageRecord
from tests.support.databases import sqlite_url
from tests.support.factory import add_booking, add_usage, local


@pytest.fixture
def database_url(tmp_path, sqlite_template):
    return sqlite_url(sqlite_template, tmp_path)


def booking_now(
    app,
    email,
    *,
    starts_in=timedelta(minutes=-5),
    hours=1,
    resource="lab-bsc",
    purpose="test",
    project=None,
    status="confirmed",
):
    with app.app_context():
        start = (utcnow() + starts_in).replace(microsecond=0)
        booking_id = add_booking(resource, email, start, start + timedelta(hours=hours), status)
        booking = db.session.get(Booking, booking_id)
        booking.purpose, booking.project = purpose, project
        db.session.commit()
        return booking_id


def status_of(app, booking_id) -> str:
    with app.app_context():
        return db.session.get(Booking, booking_id).status


def usage_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(UsageRecord))


# --- check-in and check-out ---------------------------------------------------------------


def test_the_owner_checks_in_and_out_on_the_booking_page(app, signed_in):
    alice, browser = signed_in()
    booking = booking_now(app, alice.email)
    page = browser.get(f"/bookings/{booking}")
    assert page.status_code == 200 and "Check in</button>" in page.text
    checked_in = browser.post_form(f"/bookings/{booking}/check-in", {}, page=f"/bookings/{booking}")
    assert checked_in.status_code == 200 and checked_in.request.url.endswith(f"/bookings/{booking}")
    assert "Checked in. Remember to check out" in checked_in.text and "Check out</button>" in checked_in.text
    assert usage_count(app) == 1
    again = browser.post_form(f"/bookings/{booking}/check-in", {}, page=f"/bookings/{booking}")
    assert "This booking is already checked in." in again.text and usage_count(app) == 1
    checked_out = browser.post_form(f"/bookings/{booking}/check-out", {}, page=f"/bookings/{booking}")
    assert "Checked out. Thank you." in checked_out.text
    assert status_of(app, booking) == "completed"
    assert "Check in</button>" not in checked_out.text and "Check out</button>" not in checked_out.text


def test_check_in_too_early_or_of_someone_elses_booking_is_refused_kindly(app, signed_in):
    alice, browser = signed_in()
    later = booking_now(app, alice.email, starts_in=timedelta(hours=3))
    page = browser.get(f"/bookings/{later}")
    assert "Check-in opens 15 minutes before the start." in page.text and "Check in</button>" not in page.text
    early = browser.post_form(f"/bookings/{later}/check-in", {}, page=f"/bookings/{later}")
    assert early.status_code == 200 and "Check-in opens 15 minutes before the start." in early.text
    _bob, other = signed_in()
    refused = other.post_form(f"/bookings/{later}/check-in", {}, page="/bookings")
    assert refused.status_code == 404 and "Not found" in refused.text
    assert usage_count(app) == 0
    assert browser.post(f"/bookings/{later}/check-in").status_code == 400  # no CSRF


def test_the_instrument_display_shows_now_and_next_without_others_details(app, signed_in):
    alice, alice_browser = signed_in()
    bob, bob_browser = signed_in()
    now_id = booking_now(app, alice.email, purpose="secret CAR-T batch 7")
    next_id = booking_now(app, bob.email, starts_in=timedelta(hours=2), purpose="confidential vector")
    seen_by_bob = bob_browser.get("/display/lab-bsc")
    assert seen_by_bob.status_code == 200
    text = seen_by_bob.text
    assert '<meta http-equiv="refresh" content="60">' in text
    assert "Biosafety cabinet" in text and "Booked by Test" in text  # his own, next
    assert "<p>Booked</p>" in text  # Alice's, now: not by whom (core.access.may_see_details)
    assert "secret" not in text and "confidential" not in text and alice.email not in text
    assert "Test Scientist" not in text.replace('<span class="who">Test Scientist</span>', "")  # first name only
    assert f"/bookings/{now_id}/check-in" not in text  # not his booking
    assert "Check-in opens 15 minutes before the start." in text  # his own, next one

    seen_by_alice = alice_browser.get("/display/lab-bsc")
    assert f"/bookings/{now_id}/check-in" in seen_by_alice.text and f"/bookings/{next_id}/" not in seen_by_alice.text
    back = alice_browser.post_form(
        f"/bookings/{now_id}/check-in", {"next": "/display/lab-bsc"}, page="/display/lab-bsc"
    )
    assert back.request.url.endswith("/display/lab-bsc") and "Check out</button>" in back.text
    out = alice_browser.post_form(
        f"/bookings/{now_id}/check-out", {"next": "/display/lab-bsc"}, page="/display/lab-bsc"
    )
    assert out.request.url.endswith("/display/lab-bsc") and status_of(app, now_id) == "completed"
    evil = alice_browser.post_form(
        f"/bookings/{now_id}/check-out",
        {"next": "https://evil.example/"},
        page="/display/lab-bsc",
        follow_redirects=False,
    )
    assert evil.headers["Location"].endswith(f"/bookings/{now_id}")  # no open redirect

    free = alice_browser.get("/display/lab-bioreactor")
    assert free.status_code == 200 and "Free" in free.text and "Nothing booked in the next 31 days." in free.text
    with app.app_context():
        ended = db.session.get(
            Booking, booking_now(app, bob.email, starts_in=timedelta(hours=-5), hours=4.5, resource="lab-bioreactor")
        )
        ended.blocked_until = ended.end_at + timedelta(hours=4)
        db.session.commit()
    cleaning = alice_browser.get("/display/lab-bioreactor")
    assert "Cleaning (changeover) until" in cleaning.text and "Booked by" not in cleaning.text
    missing = alice_browser.get("/display/no-such-thing")
    assert missing.status_code == 404 and "Not found" in missing.text


def test_the_display_needs_sign_in(people):
    response = people.visitor().get("/display/lab-bsc", follow_redirects=False)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


# --- the monthly report ---------------------------------------------------------------------


@pytest.fixture
def october(app, people):
    """Alice (LU) and Carl (CellCo, a company) used the lab in October 2026."""
    alice = people.make()
    carl = people.make(organisation="cellco")
    with app.app_context():
        b1 = add_booking("lab-bsc", alice.email, local("2026-10-06 09:00"), local("2026-10-06 12:00"))
        add_usage("lab-bsc", alice.email, local("2026-10-06 09:00"), local("2026-10-06 11:30"), booking_id=b1)
        b2 = add_booking("lab-bioreactor", carl.email, local("2026-10-12 08:00"), local("2026-10-14 08:00"))
        add_usage("lab-bioreactor", carl.email, local("2026-10-12 08:00"), local("2026-10-14 08:00"), booking_id=b2)
        add_booking("lab-bsc", carl.email, local("2026-10-20 09:00"), local("2026-10-20 10:00"), "no_show")
        b3 = add_booking("lab-bioreactor", alice.email, local("2026-09-07 08:00"), local("2026-09-08 08:00"))
        add_usage("lab-bioreactor", alice.email, local("2026-09-07 08:00"), local("2026-09-08 08:00"), booking_id=b3)
    return alice, carl


def test_the_monthly_report_page_shows_tables_charts_and_downloads(app, signed_in, october):
    _manager, browser = signed_in("manager", facilities=("lab",))
    page = browser.get("/manage/reports?facility=lab&month=2026-10")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Test cell lab, 2026-10" in text
    assert 'id="report-resources"' in text and 'id="report-organisations"' in text
    assert "<td>2.50</td>" in text and "<td>48.00</td>" in text  # used hours of the cabinet and the bioreactor
    assert "CellCo AB" in text and "Lund University" in text
    assert text.count("<svg") == 3 and "<script" not in text
    assert "Utilisation of opening hours per resource" in text and "Month over month" in text
    assert "2026-09" in text  # month over month goes back

    csv_href = "/api/v1/reports/monthly?month=2026-10&facility=lab&format=csv"
    assert csv_href.replace("&", "&amp;") in text
    download = browser.get(csv_href)
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/csv")
    rows = {(r["section"], r["key"]): r for r in csv.DictReader(io.StringIO(download.text))}
    assert rows[("resource", "lab-bsc")]["used_minutes"] == "150"
    assert rows[("organisation", "cellco")]["no_shows"] == "1"
    xlsx = browser.get("/api/v1/reports/monthly?month=2026-10&facility=lab&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_the_report_page_explains_bad_input_and_refuses_others(app, signed_in):
    _manager, browser = signed_in("manager", facilities=("lab",))
    default = browser.get("/manage/reports")
    assert default.status_code == 200 and 'id="report-resources"' in default.text  # the previous month
    bad = browser.get("/manage/reports?facility=lab&month=2026-13")
    assert bad.status_code == 422 and "Give the month as YYYY-MM" in bad.text and 'value="2026-13"' in bad.text
    other = browser.get("/manage/reports?facility=gmp&month=2026-10")
    assert other.status_code == 403 and "that you manage" in other.text  # another's, as the API says
    assert browser.get("/manage/reports?facility=no-such&month=2026-10").status_code == 404
    empty = browser.get("/manage/reports?facility=lab&month=2020-01")
    assert empty.status_code == 200 and "No bookings or recorded use this month." in empty.text
    first = browser.get("/manage/reports?facility=lab&month=2000-02")  # the trend stops at the first year
    assert first.status_code == 200 and "Month over month" in first.text and "1999-" not in first.text
    _alice, scientist = signed_in()
    assert scientist.get("/manage/reports?facility=lab&month=2026-10").status_code == 403


# --- the indicators -------------------------------------------------------------------------


def test_the_indicators_page_links_each_figure_to_its_list_and_exports_csv(app, signed_in, october):
    alice, carl = october
    _admin, browser = signed_in("admin")
    page = browser.get("/admin/indicators")
    assert page.status_code == 200, page.text
    text = page.text
    assert text.count('<tr id="indicator-') == 12
    for name in ("users_of_infrastructure", "researcher_fte", "enterprises_supported", "equipment_nominal_value_sek"):
        assert f'id="indicator-{name}"' in text
        assert f"/admin/indicators/{name}?from=2025-03-01&amp;to=2026-11-10" in text  # the project so far
        assert f"/admin/indicators/{name}?from=2026-01-01&amp;to=2026-06-30" in text  # the last reporting period
    assert "1,200,000 SEK" in text and "4,000,000 SEK" in text and "30%" in text  # 1.2 of 4 million
    assert 'id="chart-progress"' in text and "<svg" in text

    users = browser.get("/admin/indicators/users_of_infrastructure?from=2026-10-01&to=2026-10-31")
    assert users.status_code == 200 and carl.email in users.text and alice.email in users.text
    assert 'id="chart-history"' in users.text and "Target" in users.text
    records = browser.get("/admin/indicators/researcher_fte.csv?from=2026-10-01&to=2026-10-31")
    assert records.status_code == 200 and records.text.startswith("id,resource,activity,user")
    assert "lab-bsc" in records.text and "lab-bioreactor" in records.text  # both in the lab, activity 4.2

    export = browser.get("/admin/indicators.csv")
    assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(export.text)))
    assert lines[0][:4] == ["Code", "Indicator", "Unit", "Target"] and len(lines) == 1 + 12 + 4
    workbook = browser.get("/admin/indicators.xlsx")
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"


def test_the_indicator_pages_speak_swedish(app, signed_in, october):
    admin, browser = signed_in("admin")
    with app.app_context():
        from facility.accounts.models import User

        db.session.scalar(select(User).where(User.email == admin.email)).locale = "sv"
        db.session.commit()
    text = browser.get("/admin/indicators").text
    assert "Stödda företag" in text and "Målvärde" in text
    assert "1\u00a0200\u00a0000 kr" in text  # Swedish digit grouping
    assert "0,00" in text  # FTE with a decimal comma


def test_the_indicators_page_explains_bad_periods_and_is_for_admins(app, signed_in):
    _admin, browser = signed_in("admin")
    assert browser.get("/admin/indicators").status_code == 200  # the project so far
    bad = browser.get("/admin/indicators?as_of=2024-10-31")
    assert bad.status_code == 422 and "The project starts on 2025-03-01" in bad.text
    assert browser.get("/admin/indicators?as_of=yesterday").status_code == 422
    assert browser.get("/admin/indicators.csv?as_of=nonsense").status_code == 400
    assert browser.get("/admin/indicators/researcher_fte?from=2026-10-31&to=2026-10-01").status_code == 400
    assert browser.get("/admin/indicators/no_such_figure?from=2026-10-01&to=2026-10-31").status_code == 404
    _manager, manager = signed_in("manager", facilities=("lab",))
    assert manager.get("/admin/indicators").status_code == 403
    assert manager.get("/admin/indicators.csv?from=2026-10-01&to=2026-10-31").status_code == 403


def test_the_project_office_keeps_the_register_on_its_page(app, signed_in):
    admin, browser = signed_in("admin")
    page = "/admin/indicator-register"
    assert browser.get(page).status_code == 200
    entry = {"kind": "activity_3_4", "organisation": "cellco", "day": "2026-03-02", "evidence": "Cohort 2 list"}
    refused = browser.post_form(page, entry)
    assert refused.status_code == 422 and "without an organisation number" in refused.text
    assert admin.patch("/organisations/cellco", json={"org_number": "556036-0793"}).status_code == 200
    bad_day = browser.post_form(page, {**entry, "day": "2026-02-30"})
    assert bad_day.status_code == 422 and "Give a date like 2026-11-30." in bad_day.text
    made = browser.post_form(page, entry)
    assert made.status_code == 200 and made.request.path == page
    assert "Cohort 2 list" in made.text and "556036-0793" in made.text
    entry_id = admin.get("/indicator-register").get_json()[0]["id"]
    withdrawn = browser.post_form(f"{page}/{entry_id}/withdraw", {"evidence": "Wrong cohort"}, page=page)
    assert withdrawn.status_code == 200 and f"Entry {entry_id} withdrawn" in withdrawn.text
    states = [e["state"] for e in admin.get("/indicator-register").get_json()]
    assert states == ["withdrawal", "replaced"]


# --- projects -------------------------------------------------------------------------------


def test_the_project_page_shows_its_path_across_the_facilities(app, signed_in):
    alice, browser = signed_in()
    with app.app_context():
        project = project_services.create_project(None, "car-t-lund", "CAR-T Lund", "pre-gmp", ["lu", "cellco"])
        project_id = project.id
        b1 = add_booking("lab-bsc", alice.email, local("2026-09-08 09:00"), local("2026-09-08 13:00"))
        b2 = add_booking("gmp-suite", alice.email, local("2026-10-13 08:00"), local("2026-10-13 18:00"))
        b3 = add_booking("lab-bsc", alice.email, local("2026-10-14 09:00"), local("2026-10-14 10:00"), "cancelled")
        b4 = add_booking("lab-bsc", alice.email, local("2026-10-15 09:00"), local("2026-10-15 10:00"))
        for booking_id, name in ((b1, "car-t lund "), (b2, "CAR-T LUND"), (b3, "CAR-T Lund"), (b4, "Other")):
            db.session.get(Booking, booking_id).project = name
        db.session.commit()
        add_usage("lab-bsc", alice.email, local("2026-09-08 09:00"), local("2026-09-08 12:00"), booking_id=b1)
    page = browser.get(f"/projects/{project_id}")
    assert page.status_code == 200, page.text
    text = page.text
    assert "CAR-T Lund" in text and "pre-GMP process development" in text
    assert "Lund University" in text and "CellCo AB" in text
    path = text[text.index('id="project-path"') :]
    assert path.index("Test cell lab") < path.index("Test GMP unit")  # research before GMP
    assert "2026-09" in path and "2026-10" in path
    assert "1 booking, 4.0 h booked, 3.0 h used" in path and "1 booking, 10.0 h booked" in path
    assert "2 bookings" not in path  # the cancelled and the other project's bookings are not counted
    assert f"/projects/{project_id}" in browser.get("/projects").text

    assert browser.get("/projects/9999").status_code == 404
    with app.app_context():
        outsider_project = project_services.create_project(None, "other", "Other", "research", ["cellco"])
        outsider_id = outsider_project.id
    assert browser.get(f"/projects/{outsider_id}").status_code == 404  # LU does not take part


def test_a_refused_check_in_is_said_in_swedish(app, signed_in):
    alice, browser = signed_in()
    browser.post_form("/language", {"lang": "sv"}, page="/account/tokens")
    booking = booking_now(app, alice.email)
    browser.post_form(f"/bookings/{booking}/check-in", {}, page=f"/bookings/{booking}")
    again = browser.post_form(f"/bookings/{booking}/check-in", {}, page=f"/bookings/{booking}")
    assert "Bokningen är redan incheckad." in again.text and "already checked in" not in again.text
    assert usage_count(app) == 1
