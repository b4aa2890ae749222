"""The ledger and the statement over real HTTP, on SQLite and PostgreSQL, against hand-computed figures.

October 2026 for CellCo (see conftest): 28,800 + 8,000 + 0 + 4,000 + 2,400 = 43,200 SEK of aid in
48 + 4 + 2 + 2 + 4 = 60 hours; full cost 72,000 + 24,000 + 12,000 + 6,000 = 114,000 SEK, charged
43,200 + 16,000 + 8,000 + 3,600 = 70,800 SEK (lab-bsc has no rates). At 11 SEK/EUR, 43,200 SEK =
3,927.27 EUR. The three years that end with 2026-10-31 add 2023-11-01 (4,000): 47,200 SEK =
4,290.91 EUR = 1.4 % of EUR 300,000.
"""

from __future__ import annotations

import csv
import io

import pytest

from facility.catalog.services import load_catalog
from tests.support.databases import TEST_CATALOG
from tests.support.factory import add_usage, local

OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}


@pytest.fixture
def manager(people):
    return people.make("manager", facilities=["lab"])


def company_entry(body, key="cellco"):
    [entry] = [e for e in body["organisations"] if e["organisation"] == key]
    return entry


def test_the_ledger_per_company_for_a_month(ledger_data, manager):
    response = manager.get("/state-aid", query_string=OCTOBER)
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert body["from"] == "2026-10-01T00:00:00+02:00" and body["to"] == "2026-11-01T00:00:00+01:00"
    assert (body["ceiling_eur"], body["eur_sek"], body["warn_at"]) == (300000.0, 11.0, 0.8)
    assert "2023/2831" in body["regulation"]
    # companies only: the university's use is not state aid to an undertaking
    assert [e["organisation"] for e in body["organisations"]] == ["cellco", "bigco"]
    cellco = company_entry(body)
    assert (cellco["kind"], cellco["size_class"]) == ("company", "small")
    assert cellco["period"] == {
        "hours": 60.0,
        "full_cost_sek": 114000.0,
        "charged_sek": 70800.0,
        "subsidised_sek": 43200.0,
        "subsidised_eur": 3927.27,
    }
    three = cellco["three_years"]
    assert (three["from"], three["to"]) == ("2023-11-01T00:00:00+01:00", "2026-11-01T00:00:00+01:00")
    assert (three["subsidised_sek"], three["subsidised_eur"]) == (47200.0, 4290.91)
    assert (three["percent"], three["status"], three["remaining_eur"]) == (1.4, "ok", 295709.09)
    bigco = company_entry(body, "bigco")
    assert (bigco["period"]["hours"], bigco["period"]["subsidised_sek"]) == (1.0, 2000.0)


def test_one_organisation_and_a_period_without_use(ledger_data, manager):
    body = manager.get("/state-aid", query_string={**OCTOBER, "organisation": "cellco"}).get_json()
    assert [e["organisation"] for e in body["organisations"]] == ["cellco"]
    quiet = manager.get("/state-aid", query_string={"from": "2025-01-01", "to": "2025-01-31", "organisation": "cellco"})
    assert quiet.status_code == 200
    [entry] = quiet.get_json()["organisations"]
    assert entry["period"]["subsidised_sek"] == 0.0 and entry["period"]["hours"] == 0.0
    # the three years up to January 2025 (from 2022-02-01) hold both days of 2023: 4,000 SEK each
    assert entry["three_years"]["subsidised_sek"] == 8000.0
    # the three years that end with 2026-10-30 start on 2023-10-31: both in, nor the run across the month end
    edge = manager.get("/state-aid", query_string={"from": "2026-10-01", "to": "2026-10-30", "organisation": "cellco"})
    assert edge.get_json()["organisations"][0]["three_years"]["subsidised_sek"] == 8000.0 + 40800.0
    assert (
        manager.get("/state-aid", query_string={"from": "2025-01-01", "to": "2025-01-31"}).get_json()["organisations"]
        == []
    )


def test_the_default_period_is_the_three_years_up_to_today(ledger_data, manager):
    body = manager.get("/state-aid").get_json()
    cellco = company_entry(body)
    # today (2026-11 or later): October 2026 in full and the November part of the run across the month end
    assert cellco["period"]["subsidised_sek"] == cellco["three_years"]["subsidised_sek"]
    assert body["to"] == cellco["three_years"]["to"] and body["from"] == cellco["three_years"]["from"]


def test_a_change_of_rates_applies_from_the_load_and_never_reprices_past_use(ledger_data, manager, app, tmp_path):
    changed = tmp_path / "catalog.yaml"
    changed.write_text(
        TEST_CATALOG.read_text().replace(
            "charged_sek_per_hour: {company: 900,", "charged_sek_per_hour: {company: 1200,"
        )
    )
    with app.app_context():
        summary = load_catalog(changed)
        assert summary.updated == 1
        # after the load (now): 10 h of the bioreactor at 1,500 - 1,200 = 300 SEK/h
        add_usage("lab-bioreactor", ledger_data["company"].email, local("2030-01-07 08:00"), local("2030-01-07 18:00"))
        assert load_catalog(changed).updated == 0  # idempotent: no new rates
    assert (
        company_entry(manager.get("/state-aid", query_string=OCTOBER).get_json())["period"]["subsidised_sek"] == 43200.0
    )
    later = company_entry(manager.get("/state-aid", query_string={"from": "2030-01-01", "to": "2030-01-31"}).get_json())
    assert later["period"]["subsidised_sek"] == 3000.0


def test_the_statement_per_resource_and_rate(ledger_data, manager):
    response = manager.get("/state-aid/organisations/cellco/statement", query_string=OCTOBER)
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert (body["organisation"], body["name"]) == ("cellco", "CellCo AB")
    lines = {line["resource"]: line for line in body["lines"]}
    assert list(lines) == ["gmp-suite", "lab-bioreactor", "lab-bsc"]
    assert {
        k: lines["gmp-suite"][k]
        for k in ("hours", "full_cost_sek_per_hour", "charged_sek_per_hour", "subsidised_sek", "facility")
    } == {
        "hours": 6.0,
        "full_cost_sek_per_hour": 6000,
        "charged_sek_per_hour": 4000,
        "subsidised_sek": 12000.0,
        "facility": "gmp",
    }
    assert (lines["lab-bioreactor"]["hours"], lines["lab-bioreactor"]["subsidised_sek"]) == (52.0, 31200.0)
    assert (
        lines["lab-bsc"]["hours"],
        lines["lab-bsc"]["full_cost_sek_per_hour"],
        lines["lab-bsc"]["subsidised_sek"],
    ) == (2.0, None, 0.0)
    assert body["total"]["subsidised_sek"] == 43200.0 and body["total"]["subsidised_eur"] == 3927.27
    assert body["three_years"]["subsidised_sek"] == 47200.0


def test_the_statement_to_sign_as_text_and_as_csv(ledger_data, manager):
    text = manager.get("/state-aid/organisations/cellco/statement", query_string={**OCTOBER, "format": "text"})
    assert text.status_code == 200 and text.headers["Content-Type"].startswith("text/plain")
    assert "cellco-2026-10-01-2026-11-01.txt" in text.headers["Content-Disposition"]
    for words in (
        "STATEMENT OF DE MINIMIS AID",
        "2023/2831",
        "CellCo AB (cellco, company, small)",
        "Period:        2026-10-01 to 2026-10-31",
        "three years 2023-11-01 to 2026-10-31:",
        "43 200.00 SEK = 3 927.27 EUR",
        "47 200.00 SEK = 4 290.91 EUR",
        "For the undertaking: ____",
    ):
        assert words in text.text, words
    table = manager.get("/state-aid/organisations/cellco/statement", query_string={**OCTOBER, "format": "csv"})
    assert table.status_code == 200 and table.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [r["resource"] for r in rows] == ["gmp-suite", "lab-bioreactor", "lab-bsc", "TOTAL", "THREE YEARS"]
    assert (rows[1]["hours"], rows[1]["subsidised_sek"]) == ("52.00", "31200.00")
    assert (rows[3]["subsidised_sek"], rows[3]["subsidised_eur"]) == ("43200.00", "3927.27")
    assert rows[4]["subsidised_sek"] == "47200.00"


def test_an_admin_may_and_a_scientist_may_not(ledger_data, people):
    assert people.make("admin").get("/state-aid", query_string=OCTOBER).status_code == 200
    scientist = ledger_data["company"]
    for path in ("/state-aid", "/state-aid/organisations/cellco/statement"):
        response = scientist.get(path, query_string=OCTOBER)
        assert response.status_code == 403 and response.get_json()["errors"][0]["code"] == "forbidden"


@pytest.mark.parametrize(
    "path, params, status, code, field",
    [
        ("/state-aid", {"from": "2026-13-01", "to": "2026-10-31"}, 422, "invalid_period", "from"),
        ("/state-aid", {"from": "2026-10-01", "to": "October"}, 422, "invalid_period", "to"),
        ("/state-aid", {"from": "2026-10-31", "to": "2026-10-01"}, 422, "end_before_start", "to"),
        ("/state-aid", {"from": "2026-10-01T00:00:00", "to": "2026-10-31"}, 422, "naive_datetime", "from"),
        ("/state-aid", {"to": "31/10/2026"}, 422, "invalid_period", "to"),
        ("/state-aid", {"to": "0001-01-01"}, 422, "invalid_period", "to"),
        ("/state-aid", {"from": "2026-10-01", "to": "2040-10-01"}, 422, "period_too_long", "to"),
        ("/state-aid", {**OCTOBER, "organisation": "nope"}, 404, "not_found", "organisation"),
        ("/state-aid", {**OCTOBER, "organisation": "lu"}, 422, "not_an_undertaking", "organisation"),
        ("/state-aid/organisations/nope/statement", OCTOBER, 404, "not_found", "organisation"),
        ("/state-aid/organisations/lu/statement", OCTOBER, 422, "not_an_undertaking", "organisation"),
        ("/state-aid/organisations/cellco/statement", {**OCTOBER, "from": "2026-02-30"}, 422, "invalid_period", "from"),
    ],
)
def test_bad_input_is_a_clear_error(ledger_data, manager, path, params, status, code, field):
    response = manager.get(path, query_string=params)
    assert response.status_code == status, response.text
    [error] = response.get_json()["errors"]
    assert (error["code"], error.get("field")) == (code, field)
    assert error["message"]


def test_an_unknown_statement_format_is_refused(ledger_data, manager):
    response = manager.get("/state-aid/organisations/cellco/statement", query_string={**OCTOBER, "format": "pdf"})
    assert response.status_code == 422
    assert [(e["code"], e["field"]) for e in response.get_json()["errors"]] == [("invalid", "format")]
