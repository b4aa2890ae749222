"""The 80 % warning to managers (a job run at a chosen time; mail on a real SMTP server) and
`flask facility state-aid`. SQLite only: the SQL is the ledger's, tested on both in test_ledger_api.

At 2026-11-02 12:00 UTC the three years start 2023-11-02 13:00 local: CellCo has 40,800 SEK from
October and 8 h of the run across the month end (4,800): 45,600 SEK = 4,145.45 EUR at 11 SEK/EUR.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from facility.aid.services import warn_state_aid
from tests.support.databases import sqlite_url

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def database_url(tmp_path, sqlite_template):
    return sqlite_url(sqlite_template, tmp_path)


@pytest.fixture
def managers(people):
    return {"lab": people.make("manager", facilities=["lab"]), "gmp": people.make("manager", facilities=["gmp"])}


def run_at(app, ceiling_eur: int, now=NOW) -> int:
    app.config["FACILITY_STATE_AID_CEILING_EUR"] = ceiling_eur
    with app.app_context():
        return warn_state_aid(now)


def test_managers_are_warned_once_at_80_percent_and_once_at_the_ceiling(app, ledger_data, managers, smtp):
    assert run_at(app, 300000) == 0  # 1.4 %: nothing to say
    assert run_at(app, 5000) == 1  # 82.9 %
    [mail] = smtp.wait_for(1)
    assert "CellCo AB has reached 80 % of the de minimis ceiling" in mail["Subject"]
    # it used both facilities: the managers of both are told
    assert managers["lab"].email in mail["X-Rcpt"] and managers["gmp"].email in mail["X-Rcpt"]
    body = mail.get_payload(decode=True).decode()
    assert "45 600.00 SEK = 4 145.45 EUR" in body and "82.9 %" in body
    assert run_at(app, 5000) == 0  # once per crossing, however often the job runs
    assert run_at(app, 4000) == 1  # 103.6 %: the ceiling
    assert "has reached the de minimis ceiling" in smtp.wait_for(2)[1]["Subject"]
    assert run_at(app, 4000) == 0
    assert len(smtp.messages) == 2


def test_a_company_that_falls_below_is_warned_again_at_its_next_crossing(app, ledger_data, managers, smtp):
    assert run_at(app, 5000) == 1
    assert run_at(app, 10000) == 0  # 41 %: below again, the warning is re-armed
    assert run_at(app, 5000) == 1
    assert len(smtp.wait_for(2)) == 2


def test_without_smtp_nothing_is_remembered_as_sent(app, ledger_data, managers):
    app.config["FACILITY_SMTP_HOST"] = None
    assert run_at(app, 5000) == 0
    assert run_at(app, 5000) == 0


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["facility", "state-aid", *args])


def test_the_command_prints_totals_and_warnings(app, ledger_data):
    result = invoke(app, "--at", "2026-10-31")
    assert result.exit_code == 0, result.output
    assert "three years 2023-11-01 to 2026-10-31" in result.output
    [cellco] = [line for line in result.output.splitlines() if line.startswith("cellco")]
    assert "47,200.00 SEK" in cellco and "4,290.91 EUR" in cellco and "1.4 %" in cellco and cellco.endswith("ok")
    assert "WARNING" not in result.output
    app.config["FACILITY_STATE_AID_CEILING_EUR"] = 5000
    warned = invoke(app, "--at", "2026-10-31", "--organisation", "cellco")
    assert warned.exit_code == 0
    assert [line.split()[0] for line in warned.output.splitlines()[1:] if not line.startswith("WARNING")] == ["cellco"]
    assert "WARNING: cellco has reached 85.8 % of the de minimis ceiling; 709.09 EUR remain" in warned.output


def test_the_command_with_nothing_to_report_and_with_bad_input(app, ledger_data):
    assert "no company received subsidised access" in invoke(app, "--at", "2020-01-01").output
    bad_day = invoke(app, "--at", "2026-02-30")
    assert bad_day.exit_code == 1 and "is not a date like 2026-11-25" in bad_day.output
    unknown = invoke(app, "--organisation", "nope")
    assert unknown.exit_code == 1 and "No such organisation" in unknown.output
    university = invoke(app, "--organisation", "lu")
    assert university.exit_code == 1 and "de minimis aid is counted for company organisations only" in university.output
