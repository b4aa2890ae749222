"""Monthly report and indicators against hand-computed figures, on SQLite and PostgreSQL.

The data set (Stockholm time, facility `lab`, opening hours Mon-Fri 07-19):
- bioreactor (funded, unattended): alice (lu, researcher) 24 Oct 12:00 -> 25 Oct 12:00, over
  midnight and the end of summer time: 25 h = 1500 min;
  bob (cellco, small company, not a researcher) 31 Oct 20:00 -> 1 Nov 08:00: 240 min in
  October, 480 min in November.
- biosafety cabinet: alice's walk-up 5 Oct 09:00-11:00, corrected to 09:00-10:30 (90 min);
  bob's no-show 6 Oct 10:00-12:00 (booked 120 min); alice's cancellations on 7 Oct (late:
  cancelled 2 h before) and on 8 Oct (cancelled a week before).
The lab is activity 4.2 of the application (tests/catalog.yaml), so all of that use counts
for the indicators; companies count only from the project office's register
(tests/usage/test_indicator_table.py), so bob's company, which only bought time, counts for none.
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from facility.accounts.models import User
from facility.core.extensions import db
from facility.usage.projects import create_project
from tests.support.clients import error_codes
from tests.support.factory import add_booking, add_usage, local

OCTOBER_MINUTES = (31 * 24 + 1) * 60  # the month has the extra hour of 25 October
OCTOBER_OPENING_MINUTES = 22 * 12 * 60  # 22 weekdays of 12 hours


@pytest.fixture
def data(app, people):
    alice, bob = people.make(organisation="lu"), people.make(organisation="cellco")
    manager = people.make("manager", facilities=["lab"])
    admin = people.make("admin")
    with app.app_context():
        db.session.scalar(db.select(User).where(User.email == bob.email)).is_researcher = False
        db.session.commit()
        run = add_booking(
            "lab-bioreactor", alice.email, local("2026-10-24 12:00"), local("2026-10-25 12:00"), "completed"
        )
        add_usage("lab-bioreactor", alice.email, local("2026-10-24 12:00"), local("2026-10-25 12:00"), booking_id=run)
        across = add_booking(
            "lab-bioreactor", bob.email, local("2026-10-31 20:00"), local("2026-11-01 08:00"), "completed"
        )
        add_usage("lab-bioreactor", bob.email, local("2026-10-31 20:00"), local("2026-11-01 08:00"), booking_id=across)
        wrong = add_usage(
            "lab-bsc",
            alice.email,
            local("2026-10-05 09:00"),
            local("2026-10-05 11:00"),
            source="walk-up",
            superseded=True,
        )
        add_usage(
            "lab-bsc",
            alice.email,
            local("2026-10-05 09:00"),
            local("2026-10-05 10:30"),
            source="manual",
            corrects_id=wrong,
        )
        add_booking("lab-bsc", bob.email, local("2026-10-06 10:00"), local("2026-10-06 12:00"), "no_show")
        add_booking(
            "lab-bsc",
            alice.email,
            local("2026-10-07 10:00"),
            local("2026-10-07 11:00"),
            "cancelled",
            updated_at=local("2026-10-07 08:00"),
        )
        add_booking(
            "lab-bsc",
            alice.email,
            local("2026-10-08 10:00"),
            local("2026-10-08 11:00"),
            "cancelled",
            updated_at=local("2026-10-01 08:00"),
        )
        create_project(None, "car-nk", "CAR-NK", "pre-gmp", ["cellco", "lu"])
    return {"alice": alice, "bob": bob, "manager": manager, "admin": admin}


def by_key(rows, key):
    return {row[key]: row for row in rows}


def test_october_report_matches_the_hand_computed_figures(data):
    response = data["manager"].get("/reports/monthly", query_string={"month": "2026-10", "facility": "lab"})
    assert response.status_code == 200, response.text
    report = response.get_json()
    assert report["month"] == "2026-10"
    lab = report["facilities"][0]
    assert (lab["from"], lab["to"]) == ("2026-10-01T00:00:00+02:00", "2026-11-01T00:00:00+01:00")
    resources = by_key(lab["resources"], "resource")
    assert resources["lab-bioreactor"] == {
        "resource": "lab-bioreactor",
        "name": "Bioreactor",
        "booked_minutes": 1740,
        "booked_hours": 29.0,
        "used_minutes": 1740,
        "used_hours": 29.0,
        "available_minutes": OCTOBER_MINUTES,
        "utilisation": round(1740 / OCTOBER_MINUTES, 4),
        "bookings": 2,
        "cancellations": 0,
        "late_cancellations": 0,
        "no_shows": 0,
        "users": 2,
        "organisations": 2,
    }
    assert resources["lab-bsc"] == {
        "resource": "lab-bsc",
        "name": "Biosafety cabinet",
        "booked_minutes": 120,
        "booked_hours": 2.0,
        "used_minutes": 90,
        "used_hours": 1.5,
        "available_minutes": OCTOBER_OPENING_MINUTES,
        "utilisation": round(90 / OCTOBER_OPENING_MINUTES, 4),
        "bookings": 1,
        "cancellations": 2,
        "late_cancellations": 1,
        "no_shows": 1,
        "users": 1,
        "organisations": 1,
    }
    organisations = by_key(lab["organisations"], "organisation")
    assert organisations["lu"] == {
        "organisation": "lu",
        "name": "Lund University",
        "kind": "university",
        "booked_minutes": 1500,
        "booked_hours": 25.0,
        "used_minutes": 1590,
        "used_hours": 26.5,
        "bookings": 1,
        "cancellations": 2,
        "late_cancellations": 1,
        "no_shows": 0,
        "users": 1,
        "resources": 2,
    }
    assert organisations["cellco"] == {
        "organisation": "cellco",
        "name": "CellCo AB",
        "kind": "company",
        "booked_minutes": 360,
        "booked_hours": 6.0,
        "used_minutes": 240,
        "used_hours": 4.0,
        "bookings": 2,
        "cancellations": 0,
        "late_cancellations": 0,
        "no_shows": 1,
        "users": 1,
        "resources": 1,
    }


def test_a_run_across_the_month_boundary_counts_its_november_part_in_november(data):
    report = data["manager"].get("/reports/monthly", query_string={"month": "2026-11", "facility": "lab"}).get_json()
    bioreactor = by_key(report["facilities"][0]["resources"], "resource")["lab-bioreactor"]
    assert (bioreactor["booked_minutes"], bioreactor["used_minutes"], bioreactor["bookings"]) == (480, 480, 0)
    assert bioreactor["available_minutes"] == 30 * 24 * 60
    assert by_key(report["facilities"][0]["organisations"], "organisation")["cellco"]["used_minutes"] == 480


def test_json_csv_and_xlsx_agree(data):
    manager = data["manager"]
    params = {"month": "2026-10", "facility": "lab"}
    report = manager.get("/reports/monthly", query_string=params).get_json()["facilities"][0]
    csv_response = manager.get("/reports/monthly", query_string={**params, "format": "csv"})
    assert csv_response.headers["Content-Type"].startswith("text/csv")
    csv_rows = list(csv.DictReader(io.StringIO(csv_response.text)))
    xlsx_response = manager.get("/reports/monthly", query_string={**params, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx_response.data)).active
    header, *xlsx_values = [list(row) for row in sheet.iter_rows(values_only=True)]
    xlsx_rows = [dict(zip(header, row)) for row in xlsx_values]
    expected = [("resource", r["resource"], r) for r in report["resources"]] + [
        ("organisation", o["organisation"], o) for o in report["organisations"]
    ]
    assert len(csv_rows) == len(xlsx_rows) == len(expected)
    for (section, key, figures), csv_row, xlsx_row in zip(expected, csv_rows, xlsx_rows):
        assert (csv_row["section"], csv_row["key"]) == (xlsx_row["section"], xlsx_row["key"]) == (section, key)
        for column in ("booked_minutes", "used_minutes", "bookings", "cancellations", "no_shows", "users"):
            assert int(csv_row[column]) == int(xlsx_row[column]) == figures[column], (key, column)


def test_an_empty_month_is_zeros_and_a_malformed_month_is_a_clear_error(data):
    manager = data["manager"]
    empty = manager.get("/reports/monthly", query_string={"month": "2025-02", "facility": "lab"})
    assert empty.status_code == 200
    assert {
        r["used_minutes"] + r["booked_minutes"] + r["bookings"] for r in empty.get_json()["facilities"][0]["resources"]
    } == {0}
    assert empty.get_json()["facilities"][0]["organisations"] == []
    for month in ("2026-13", "2026-1", "october", ""):
        bad = manager.get("/reports/monthly", query_string={"month": month, "facility": "lab"})
        assert bad.status_code == 422 and error_codes(bad) == ["invalid_month"], month
    assert error_codes(manager.get("/reports/monthly", query_string={"month": "2026-10", "format": "pdf"})) == [
        "invalid"
    ]


def test_reports_are_for_managers_of_the_facility(data):
    assert (
        data["alice"].get("/reports/monthly", query_string={"month": "2026-10", "facility": "lab"}).status_code == 403
    )
    assert (
        data["manager"].get("/reports/monthly", query_string={"month": "2026-10", "facility": "gmp"}).status_code == 403
    )
    mine = data["manager"].get("/reports/monthly", query_string={"month": "2026-10"}).get_json()
    assert [f["facility"] for f in mine["facilities"]] == ["lab"]
    everything = data["admin"].get("/reports/monthly", query_string={"month": "2026-10"}).get_json()
    assert [f["facility"] for f in everything["facilities"]] == ["lab", "gmp"]


def test_indicators_for_october(data):
    response = data["admin"].get("/indicators", query_string={"from": "2026-10-01", "to": "2026-10-31"})
    assert response.status_code == 200, response.text
    period_years = (31 * 24 + 1) / 24 / 365.25
    assert response.get_json() == {
        "users_of_infrastructure": 2,
        "researcher_fte": round(26.5 / (1720 * period_years), 2),  # only alice is a researcher: 25 h + 1.5 h
        "companies_supported": {"micro": 0, "small": 0, "medium": 0, "large": 0},  # bought time: no support
        "companies_collaborating_with_research": 0,  # a project with a university is not joint work
        "equipment_nominal_value_sek": 1200000,
    }


def test_each_indicator_opens_to_what_is_behind_it(data):
    admin, period = data["admin"], {"from": "2026-10-01", "to": "2026-10-31"}
    users = admin.get("/indicators/users_of_infrastructure", query_string=period).get_json()
    assert users["value"] == 2
    assert {(u["user"], u["minutes"]) for u in users["items"]} == {
        (data["alice"].email, 1590),
        (data["bob"].email, 240),
    }
    records = admin.get("/indicators/researcher_fte", query_string=period).get_json()["items"]
    assert [(r["user"], r["resource"], r["minutes_in_period"]) for r in records] == [
        (data["alice"].email, "lab-bsc", 90),
        (data["alice"].email, "lab-bioreactor", 1500),
    ]
    assert admin.get("/indicators/companies_supported", query_string=period).get_json()["items"] == []
    collaborating = admin.get("/indicators/companies_collaborating_with_research", query_string=period).get_json()
    assert collaborating["items"] == [] and collaborating["value"] == 0
    equipment = admin.get("/indicators/equipment_nominal_value_sek", query_string=period).get_json()["items"]
    assert equipment == [
        {
            "resource": "lab-bioreactor",
            "name": "Bioreactor",
            "facility": "lab",
            "activity": "4.2",
            "in_service_since": "2025-10-01",
            "nominal_value_sek": 1200000,
        }
    ]


def test_indicator_periods_are_checked_and_only_admins_see_them(data):
    admin = data["admin"]
    assert error_codes(admin.get("/indicators", query_string={"from": "2026-10-31", "to": "2026-10-01"})) == [
        "end_before_start"
    ]
    assert error_codes(admin.get("/indicators", query_string={"from": "last year", "to": "2026-10-01"})) == [
        "invalid_period"
    ]
    assert error_codes(admin.get("/indicators", query_string={"from": "2026-10-01T00:00:00", "to": "2026-10-02"})) == [
        "naive_datetime"
    ]
    assert admin.get("/indicators", query_string={"from": "2026-10-01"}).status_code == 422
    assert error_codes(admin.get("/indicators/nonsense", query_string={"from": "2026-10-01", "to": "2026-10-31"})) == [
        "invalid"
    ]
    empty = admin.get("/indicators", query_string={"from": "2020-01-01", "to": "2020-12-31"}).get_json()
    assert empty["users_of_infrastructure"] == 0 and empty["researcher_fte"] == 0
    assert (
        data["manager"].get("/indicators", query_string={"from": "2026-10-01", "to": "2026-10-31"}).status_code == 403
    )


def test_the_report_command_writes_the_same_figures(app, data, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["facility", "report", "--month", "2026-10", "--facility", "lab", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert (rows["lab-bioreactor"]["used_minutes"], rows["lab-bsc"]["used_minutes"]) == ("1740", "90")
    output = tmp_path / "october.xlsx"
    result = runner.invoke(
        args=["facility", "report", "--month", "2026-10", "--format", "xlsx", "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert (
        load_workbook(output).active.max_row == 1 + 2 + 2 + 1
    )  # header, lab's 2 resources + 2 organisations, gmp-suite
    bad = runner.invoke(args=["facility", "report", "--month", "2026/10"])
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output
