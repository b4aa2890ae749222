"""The application's indicator table (1.7) against hand-built cases, on SQLite and PostgreSQL.

The world: the test catalogue's lab is activity 4.2 (its bioreactor, 1,200,000 SEK, came into
service on 2025-10-01), the GMP unit 4.3. The project runs 2025-03-01 to 2028-06-30 with
half-year reporting periods (the defaults); the clock stands at 2026-11-10.

- CellCo (small until 2025-12-31, medium from 2026-01-01) takes part in activity 3.2 on
  2025-05-10 and in 3.4 on 2026-02-03: supported twice, counted once, as small.
- BioCo (micro) takes part in 3.4 on 2026-03-01 and works with Lund University from 2026-04-01
  (research cooperation), introduces an innovation on 2026-05-01, and invests 250,000 SEK
  (first registered as 100,000, then corrected).
- BuyCo (small) only bought instrument time (usage of the bioreactor, a project with Lund
  University): no register entry, so counted neither as supported nor under RCO10.
- LoneCo (medium) has a research cooperation entry but never took part in 3.2 or 3.4.
- BigCo (large) introduces an innovation: not an SME.
- Lund University is a partner (2025-04-01).
- Alice (researcher, Lund University) works 1,290 h in the GMP unit in 2025 and 430 h in 2026;
  Bob (not a researcher, BuyCo) uses the bioreactor 10 h.
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from facility.accounts import services as accounts
from facility.accounts.models import User
from facility.audit.models import AuditEvent
from facility.catalog.models import Resource
from facility.core.extensions import db
from facility.usage.models import RegisterEntry
from facility.usage.projects import create_project
from tests.support.clients import error_codes
from tests.support.factory import add_usage, local

NUMBERS = {"cellco": "556036-0793", "bioco": "559123-4561", "buyco": "559012-3450", "loneco": "556677-8899"}
NUMBERS |= {"bigco": "559234-5671", "lu": "202100-3211"}


def register(admin, kind, organisation, day, evidence="Signed attendance list", **extra):
    answer = admin.post(
        "/indicator-register",
        json={"kind": kind, "organisation": organisation, "day": day, "evidence": evidence, **extra},
    )
    assert answer.status_code == 201, answer.text
    return answer.get_json()


@pytest.fixture
def world(app, people):
    admin = people.make("admin", organisation="lu")
    with app.app_context():
        accounts.create_organisation("bioco", "BioCo AB", "company", "micro")
        accounts.create_organisation("buyco", "BuyCo AB", "company", "small")
        accounts.create_organisation("loneco", "LoneCo AB", "company", "medium")
        accounts.create_organisation("bigco", "BigCo AB", "company", "large")
    for key, number in NUMBERS.items():
        assert admin.patch(f"/organisations/{key}", json={"org_number": number}).status_code == 200
    for size, since in (("small", "2020-01-01"), ("medium", "2026-01-01")):
        answer = admin.post(
            "/organisations/cellco/size-classes",
            json={"size_class": size, "valid_from": since, "source": f"Annual report {since[:4]}"},
        )
        assert answer.status_code == 201
    alice = people.make(organisation="lu")
    bob = people.make(organisation="buyco")
    with app.app_context():
        db.session.scalar(select(User).where(User.email == bob.email)).is_researcher = False
        db.session.commit()
        add_usage(
            "gmp-suite", alice.email, local("2025-03-03 00:00"), local("2025-04-25 19:00")
        )  # 1,290 h (summer time began)
        add_usage("gmp-suite", alice.email, local("2026-01-05 00:00"), local("2026-01-22 22:00"))  # 430 h
        add_usage("gmp-suite", bob.email, local("2026-02-02 08:00"), local("2026-02-02 18:00"))  # no researcher
        add_usage("lab-bioreactor", bob.email, local("2026-03-02 08:00"), local("2026-03-02 18:00"))
        create_project(None, "buy-time", "Bought time", "research", ["buyco", "lu"])
    register(admin, "activity_3_2", "cellco", "2025-05-10")
    register(admin, "activity_3_4", "cellco", "2026-02-03")
    register(admin, "activity_3_4", "bioco", "2026-03-01")
    register(admin, "research_cooperation", "bioco", "2026-04-01", "Collaboration agreement LU dnr 2026/123")
    register(admin, "research_cooperation", "loneco", "2026-04-02", "Collaboration agreement")
    register(admin, "innovation", "bioco", "2026-05-01", "New closed-process SOP introduced")
    register(admin, "innovation", "bigco", "2026-05-01", "New assay")
    wrong = register(admin, "private_investment", "bioco", "2026-05-02", "Board minutes 12", amount_sek=100_000)
    register(
        admin, "private_investment", "bioco", "2026-05-02", "Board minutes 12", amount_sek=250_000, replaces=wrong["id"]
    )
    grant = register(admin, "grant", "bioco", "2026-05-03", "Mistaken")
    assert (
        admin.post(f"/indicator-register/{grant['id']}/withdraw", json={"evidence": "No grant given"}).status_code
        == 201
    )
    register(admin, "partner", "lu", "2025-04-01", "Partnership agreement")
    return {"admin": admin, "alice": alice, "bob": bob}


def table(admin, **query):
    answer = admin.get("/indicators/table", query_string={"as_of": "2026-11-10", **query})
    assert answer.status_code == 200, answer.text
    return answer


def rows(answer) -> dict:
    return {row["key"]: row for row in answer.get_json()["indicators"]}


def figures(admin, start, end) -> dict:
    answer = admin.get("/indicators", query_string={"from": start, "to": end})
    assert answer.status_code == 200, answer.text
    return answer.get_json()


# --- the figures against the hand-built cases ------------------------------------------------


def test_an_enterprise_supported_twice_counts_once_with_its_size_on_the_day_of_support(world):
    admin = world["admin"]
    so_far = rows(table(admin))
    assert so_far["enterprises_supported"]["so_far"]["value"] == 2  # CellCo (twice) and BioCo
    assert table(admin).get_json()["enterprises_by_size"] == {"micro": 1, "small": 1, "medium": 0, "large": 0}
    assert so_far["enterprises_non_financial"]["so_far"]["value"] == 2
    assert so_far["enterprises_grants"]["so_far"]["value"] == 0  # the grant was withdrawn
    # In 2026 CellCo's first support was on 2026-02-03, when it was medium-sized.
    assert figures(admin, "2026-01-01", "2026-06-30")["companies_supported"] == {
        "micro": 1,
        "small": 0,
        "medium": 1,
        "large": 0,
    }
    assert figures(admin, "2025-01-01", "2025-12-31")["companies_supported"]["small"] == 1


def test_a_company_that_only_bought_time_is_not_cooperating_with_research(world):
    admin = world["admin"]
    row = rows(table(admin))["enterprises_cooperating"]
    assert row["so_far"]["value"] == 1  # BioCo; not BuyCo (bought time), not LoneCo (not in 3.2 or 3.4)
    items = admin.get("/indicators/enterprises_cooperating", query_string={"from": "2025-03-01", "to": "2026-11-10"})
    assert [(i["organisation"], i["evidence"]) for i in items.get_json()["items"]] == [
        ("bioco", "Collaboration agreement LU dnr 2026/123")
    ]
    assert figures(admin, "2025-03-01", "2026-11-10")["companies_collaborating_with_research"] == 1


def test_researcher_hours_over_two_years_give_annual_fte(world):
    admin = world["admin"]
    assert figures(admin, "2025-01-01", "2025-12-31")["researcher_fte"] == 0.75  # 1,290 h / 1,720 h
    assert figures(admin, "2026-01-01", "2026-12-31")["researcher_fte"] == 0.25  # 430 h / 1,720 h
    assert figures(admin, "2025-01-01", "2026-12-31")["researcher_fte"] == 0.5  # 1,720 h over two years


def test_use_of_the_sus_gmp_unit_counts_as_researcher_fte_and_smile_use_does_not(app, world):
    admin = world["admin"]
    records = admin.get("/indicators/researcher_fte", query_string={"from": "2025-01-01", "to": "2025-12-31"})
    assert [(r["resource"], r["activity"], r["minutes_in_period"]) for r in records.get_json()["items"]] == [
        ("gmp-suite", "4.3", 1290 * 60)
    ]
    with app.app_context():  # the bench of an activity-4.4 facility (SmiLe): used, but no researcher FTE
        db.session.scalar(select(Resource).where(Resource.key == "lab-bsc")).activity = "4.4"
        db.session.commit()
        add_usage("lab-bsc", world["alice"].email, local("2025-06-02 08:00"), local("2025-06-02 18:00"))
    again = figures(admin, "2025-01-01", "2025-12-31")
    assert again["researcher_fte"] == 0.75
    assert again["users_of_infrastructure"] == 1  # Alice, on equipment of activities 4.2-4.4


def test_the_register_figures_smes_partners_and_private_investment(world):
    so_far = rows(table(world["admin"]))
    assert so_far["smes_innovating"]["so_far"]["value"] == 1  # BioCo; BigCo is large
    assert so_far["smes_developing"]["so_far"]["value"] == 0
    assert so_far["organisations_supported"]["so_far"]["value"] == 1
    assert so_far["users_of_support_structures"]["so_far"]["value"] == 2
    assert so_far["private_investment_sek"]["so_far"]["value"] == 250_000  # the correction, not both
    assert so_far["users_of_infrastructure"]["so_far"]["value"] == 2  # Alice and Bob


def test_equipment_counts_from_the_day_it_came_into_service(world):
    admin = world["admin"]
    assert figures(admin, "2025-03-01", "2025-09-30")["equipment_nominal_value_sek"] == 0
    assert figures(admin, "2025-10-01", "2025-12-31")["equipment_nominal_value_sek"] == 1_200_000
    items = admin.get(
        "/indicators/equipment_nominal_value_sek", query_string={"from": "2025-03-01", "to": "2026-11-10"}
    )
    assert items.get_json()["items"] == [
        {
            "resource": "lab-bioreactor",
            "name": "Bioreactor",
            "facility": "lab",
            "activity": "4.2",
            "in_service_since": "2025-10-01",
            "nominal_value_sek": 1_200_000,
        }
    ]


# --- progress -----------------------------------------------------------------------------------


def test_the_table_has_all_twelve_rows_with_targets_and_progress_per_reporting_period(world):
    answer = table(world["admin"]).get_json()
    assert answer["project"] == {"from": "2025-03-01", "to": "2028-06-30"}
    assert answer["so_far"] == {"from": "2025-03-01", "to": "2026-11-10"}
    assert answer["last_period"] == {"from": "2026-01-01", "to": "2026-06-30"}
    assert [p["from"] for p in answer["periods"]] == ["2025-03-01", "2025-07-01", "2026-01-01", "2026-07-01"]
    assert answer["periods"][-1]["to"] == "2026-11-10"  # the current period, so far
    codes = [row["code"] for row in answer["indicators"]]
    assert codes == ["RCO01", "RCO02", "RCO04", "RCO06", "RCO08", "RCO10", None, None, "RCR03", None, None, "RCR02"]
    assert [row["target"] for row in answer["indicators"]] == [30, 0, 30, 3.0, 4_000_000, 20, 40, 30, 560, 60, 60, 0]
    supported = rows(table(world["admin"]))["enterprises_supported"]
    assert supported["so_far"]["share"] == round(2 / 30, 4)
    assert supported["last_period"]["value"] == 2  # CellCo and BioCo in 2026's first half
    assert [(p["value"], p["cumulative"]) for p in supported["periods"]] == [(1, 1), (0, 1), (2, 2), (0, 2)]
    assert rows(table(world["admin"]))["enterprises_grants"]["so_far"]["share"] is None  # a target of 0
    assert all(row["definition"] and row["title"] and row["unit_name"] for row in answer["indicators"])


def test_the_xlsx_is_the_table_of_the_application(world):
    answer = table(world["admin"], format="xlsx")
    assert answer.headers["Content-Disposition"] == 'attachment; filename="indicators-2026-11-10.xlsx"'
    sheet = load_workbook(io.BytesIO(answer.data)).active
    header = [c.value for c in sheet[4]]
    assert header[:4] == ["Code", "Indicator", "Unit", "Target"]
    assert header[4] == "Project so far (2025-03-01 – 2026-11-10)"
    assert header[6] == "Last reporting period (2026-01-01 – 2026-06-30)"
    assert header[7:11] == [
        "2025-03-01 – 2025-06-30",
        "2025-07-01 – 2025-12-31",
        "2026-01-01 – 2026-06-30",
        "2026-07-01 – 2026-11-10",
    ]
    body = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert body[0][:7] == [
        "RCO01 (output)",
        "Enterprises supported (of which micro, small, medium, large)",
        "enterprises",
        30,
        2,
        round(2 / 30, 4),
        2,
    ]
    assert [row[1].strip() for row in body[1:5]] == [
        "of which micro",
        "of which small",
        "of which medium-sized",
        "of which large",
    ]
    assert [row[4] for row in body[1:5]] == [1, 1, 0, 0]
    by_code = {row[0]: row for row in body if row[0]}
    assert by_code["RCO06 (output)"][3] == 3.0 and sheet.cell(row=5 + 7, column=5).number_format == "0.00"
    assert by_code["RCO08 (output)"][4] == 1_200_000
    assert by_code["RCR02 (result)"][4] == 250_000
    assert len([code for code in by_code if code.startswith("RC")]) == 8
    assert [row[0] for row in body].count("programme's own (result)") == 3
    assert sheet.cell(row=5, column=6).number_format == "0%"


def test_the_csv_has_the_same_rows(world):
    answer = table(world["admin"], format="csv")
    assert answer.headers["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(answer.text)))
    assert lines[0][:4] == ["Code", "Indicator", "Unit", "Target"]
    assert len(lines) == 1 + 12 + 4
    assert lines[1][4] == "2" and lines[3][1].strip() == "of which small" and lines[3][4] == "1"


# --- the register: evidence, corrections, refusals ---------------------------------------------


def test_the_register_keeps_every_entry_and_says_which_count(world):
    entries = world["admin"].get("/indicator-register", query_string={"kind": "private_investment"}).get_json()
    assert [(e["amount_sek"], e["state"]) for e in entries] == [(250_000, "counts"), (100_000, "replaced")]
    grants = world["admin"].get("/indicator-register", query_string={"kind": "grant"}).get_json()
    assert [e["state"] for e in grants] == ["withdrawal", "replaced"]


def entry_count(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(RegisterEntry)),
            db.session.scalar(select(func.count()).select_from(AuditEvent)),
        )


def test_bad_entries_are_refused_and_nothing_is_written(app, world):
    admin = world["admin"]
    with app.app_context():
        accounts.create_organisation("nonumber", "No Number AB", "company", "small")
    before = entry_count(app)
    body = {"kind": "activity_3_2", "organisation": "nonumber", "day": "2026-03-01", "evidence": "List"}
    assert error_codes(admin.post("/indicator-register", json=body)) == ["org_number_required"]
    no_amount = {**body, "organisation": "bioco", "kind": "private_investment"}
    assert error_codes(admin.post("/indicator-register", json=no_amount)) == ["required"]
    amount = {**body, "organisation": "bioco", "amount_sek": 5}
    assert error_codes(admin.post("/indicator-register", json=amount)) == ["invalid"]
    assert admin.post("/indicator-register", json={**body, "kind": "coffee"}).status_code == 422
    assert admin.post("/indicator-register", json={**body, "evidence": ""}).status_code == 422
    assert admin.post("/indicator-register", json={**body, "organisation": "nobody"}).status_code == 404
    replaced = admin.get("/indicator-register", query_string={"kind": "private_investment"}).get_json()[1]["id"]
    again = {**no_amount, "amount_sek": 1, "replaces": replaced}
    assert error_codes(admin.post("/indicator-register", json=again)) == ["already_replaced"]
    assert admin.post("/indicator-register/999999/withdraw", json={"evidence": "x"}).status_code == 404
    assert entry_count(app) == before


def test_only_the_project_office_sees_the_table_and_keeps_the_register(app, people, world):
    manager = people.make("manager", facilities=["lab"])
    scientist = people.make(organisation="cellco")
    before = entry_count(app)
    body = {"kind": "activity_3_2", "organisation": "cellco", "day": "2026-03-01", "evidence": "List"}
    for client in (manager, scientist):
        assert client.get("/indicators/table").status_code == 403
        assert client.get("/indicators/table", query_string={"format": "xlsx"}).status_code == 403
        assert client.get("/indicator-register").status_code == 403
        assert client.post("/indicator-register", json=body).status_code == 403
        assert client.post("/indicator-register/1/withdraw", json={"evidence": "x"}).status_code == 403
    assert people.api().get("/indicators/table").status_code == 401
    assert entry_count(app) == before


def test_bad_table_requests_are_422(world):
    admin = world["admin"]
    assert error_codes(admin.get("/indicators/table", query_string={"as_of": "yesterday"})) == ["invalid_date"]
    assert error_codes(admin.get("/indicators/table", query_string={"as_of": "2024-12-31"})) == ["before_project"]
    assert admin.get("/indicators/table", query_string={"format": "pdf"}).status_code == 422


# --- the settings -------------------------------------------------------------------------------


def test_the_fte_divisor_and_the_reporting_periods_are_settings(app, world):
    app.config.update(
        FACILITY_FTE_HOURS=860.0, FACILITY_REPORTING_PERIODS="2025-03-01/2025-12-31,2026-01-01/2026-09-30"
    )
    admin = world["admin"]
    assert figures(admin, "2025-01-01", "2025-12-31")["researcher_fte"] == 1.5  # 1,290 h / 860 h
    answer = table(admin).get_json()
    assert answer["fte_hours"] == 860.0
    assert answer["periods"] == [{"from": "2025-03-01", "to": "2025-12-31"}, {"from": "2026-01-01", "to": "2026-09-30"}]
    assert answer["last_period"] == {"from": "2026-01-01", "to": "2026-09-30"}


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"FACILITY_FTE_HOURS": "0"}, "FACILITY_FTE_HOURS"),
        ({"FACILITY_PROJECT_PERIOD": "2028-06-30/2025-03-01"}, "ends before it starts"),
        ({"FACILITY_REPORTING_PERIODS": "2025-03-01/2025-12-31,2025-12-01/2026-06-30"}, "in order and apart"),
        ({"FACILITY_REPORTING_PERIODS": "2024-01-01/2024-12-31"}, "inside FACILITY_PROJECT_PERIOD"),
        ({"FACILITY_REPORTING_PERIODS": "2025-03-01"}, "not a period"),
    ],
)
def test_a_bad_setting_stops_the_start_with_a_clear_message(settings, words):
    from facility.usage.indicators import check_settings

    with pytest.raises(ValueError, match=words):
        check_settings(dict(settings))


def test_a_correction_racing_another_is_refused_by_the_database(app, world, monkeypatch):
    """Two workers correcting one entry at once both pass the service's check; the unique
    replaces_id refuses the second, which gets the same answer (here the check is blinded)."""
    from facility.usage import register as register_service

    admin = world["admin"]
    replaced = admin.get("/indicator-register", query_string={"kind": "private_investment"}).get_json()[1]["id"]
    monkeypatch.setattr(register_service, "replaced_ids", set)
    before = entry_count(app)
    body = {"kind": "private_investment", "organisation": "bioco", "day": "2026-05-02", "evidence": "x"}
    answer = admin.post("/indicator-register", json={**body, "amount_sek": 1, "replaces": replaced})
    assert answer.status_code == 422 and error_codes(answer) == ["already_replaced"]
    assert entry_count(app) == before
