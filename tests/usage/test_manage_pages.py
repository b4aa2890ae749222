"""The managers' record-use page and state-aid page over real HTTP (SQLite only): a walk-up use
and a correction typed in the facility's local time, problems said next to their fields with
nothing saved, the de minimis ledger per company with its warnings and statements."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from facility.core.extensions import db
from facility.usage.models import UsageRecord
from tests.support.clock import today
from tests.support.databases import sqlite_url
from tests.support.factory import add_usage, local


@pytest.fixture
def database_url(tmp_path, sqlite_template):
    return sqlite_url(sqlite_template, tmp_path)


def usage_rows(app) -> list[tuple]:
    with app.app_context():
        return [
            (r.resource.key, r.user.email, r.start_at, r.end_at, r.source, r.reason, r.superseded, r.corrects_id)
            for r in db.session.scalars(select(UsageRecord).order_by(UsageRecord.id))
        ]


def usage_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(UsageRecord))


def yesterday() -> str:
    return (today() - timedelta(days=1)).isoformat()


def walk_up(user_email: str, **changes) -> dict:
    day = yesterday()
    return {
        "resource": "lab-bsc",
        "user": user_email,
        "start_date": day,
        "start_time": "10:00",
        "end_date": day,
        "end_time": "11:30",
        "reason": "Walk-up: forgot to book",
        "corrects": "",
        **changes,
    }


# --- record use -----------------------------------------------------------------------------


def test_a_walk_up_use_recorded_through_the_form_appears_in_the_list(app, signed_in):
    _manager, browser = signed_in("manager", facilities=("lab",))
    scientist, _other = signed_in()
    page = browser.get("/manage/usage")
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.text and "No usage recorded in the last 30 days." in page.text
    done = browser.post_form("/manage/usage", walk_up(scientist.email), page="/manage/usage")
    assert done.status_code == 200 and done.request.url.endswith("/manage/usage?facility=lab")
    assert "Recorded: Biosafety cabinet" in done.text
    [row] = usage_rows(app)
    day = yesterday()
    assert row == (
        "lab-bsc",
        scientist.email,
        local(f"{day} 10:00"),
        local(f"{day} 11:30"),
        "walk-up",
        "Walk-up: forgot to book",
        False,
        None,
    )
    with app.app_context():
        record_id = db.session.scalar(select(UsageRecord.id))
    assert f'id="usage-{record_id}"' in done.text and scientist.email in done.text
    assert f"{day} 10:00–11:30" in done.text and ">90<" in done.text  # local time, minutes


def test_a_record_is_corrected_from_the_list_with_a_reason(app, signed_in):
    manager, browser = signed_in("manager", facilities=("lab",))
    scientist, _other = signed_in()
    day = yesterday()
    with app.app_context():
        original = add_usage("lab-bsc", scientist.email, local(f"{day} 09:00"), local(f"{day} 17:00"), source="booking")
    listed = browser.get("/manage/usage")
    assert f"/manage/usage?facility=lab&amp;corrects={original}" in listed.text
    form = browser.get(f"/manage/usage?facility=lab&corrects={original}")
    assert f'value="{scientist.email}"' in form.text and 'value="09:00"' in form.text and 'value="17:00"' in form.text
    assert "Record the correction" in form.text
    done = browser.post_form(
        "/manage/usage?facility=lab",
        walk_up(scientist.email, start_time="09:00", end_time="12:00", reason="Left at noon", corrects=str(original)),
        page=f"/manage/usage?facility=lab&corrects={original}",
    )
    assert done.status_code == 200 and f"Record {original} corrected by record" in done.text
    old, new = usage_rows(app)
    assert old[6] is True and (new[2], new[3], new[4], new[6], new[7]) == (
        local(f"{day} 09:00"),
        local(f"{day} 12:00"),
        "manual",
        False,
        original,
    )
    assert f'id="usage-{original}"' not in done.text and f"correction of no. {original}" in done.text
    again = browser.post_form("/manage/usage", walk_up(scientist.email, corrects=str(original)), page="/manage/usage")
    assert again.status_code == 422 and "That record has already been corrected." in again.text
    assert usage_count(app) == 2


def test_a_bad_time_or_an_end_before_the_start_is_said_next_to_its_field_and_nothing_is_saved(app, signed_in):
    _manager, browser = signed_in("manager", facilities=("lab",))
    scientist, _other = signed_in()
    bad = browser.post_form("/manage/usage", walk_up(scientist.email, end_time="25:00"), page="/manage/usage")
    assert bad.status_code == 422
    text = html.unescape(bad.text)
    assert "'25:00' is not a time like 09:30." in text and 'id="end-errors"' in bad.text
    assert 'value="25:00"' in bad.text and "Walk-up: forgot to book</textarea>" in text  # what was typed is kept
    assert f'value="{scientist.email}"' in bad.text
    backwards = browser.post_form(
        "/manage/usage", walk_up(scientist.email, start_time="14:00", end_time="13:00"), page="/manage/usage"
    )
    assert backwards.status_code == 422 and "The end must be after the start." in backwards.text
    assert 'id="end-errors"' in backwards.text and 'value="14:00"' in backwards.text
    no_reason = browser.post_form("/manage/usage", walk_up(scientist.email, reason="  "), page="/manage/usage")
    assert no_reason.status_code == 422 and "Say why the use is recorded by hand." in no_reason.text
    assert 'id="reason-errors"' in no_reason.text
    nobody = browser.post_form("/manage/usage", walk_up("nobody@example.org"), page="/manage/usage")
    assert nobody.status_code == 422 and "No such user." in nobody.text and 'id="user-errors"' in nobody.text
    tomorrow = (today() + timedelta(days=1)).isoformat()
    future = browser.post_form(
        "/manage/usage", walk_up(scientist.email, start_date=tomorrow, end_date=tomorrow), page="/manage/usage"
    )
    assert future.status_code == 422 and "Usage can only be recorded for time that has passed." in future.text
    assert usage_count(app) == 0
    assert browser.post("/manage/usage", data=walk_up(scientist.email)).status_code == 400  # no CSRF token
    assert usage_count(app) == 0


def test_an_overlap_with_another_record_is_refused(app, signed_in):
    _manager, browser = signed_in("manager", facilities=("lab",))
    scientist, _other = signed_in()
    day = yesterday()
    with app.app_context():
        existing = add_usage("lab-bsc", scientist.email, local(f"{day} 11:00"), local(f"{day} 12:00"))
    clash = browser.post_form("/manage/usage", walk_up(scientist.email), page="/manage/usage")
    assert clash.status_code == 409 and f"overlaps usage record {existing}" in clash.text
    assert usage_count(app) == 1


def test_scientists_and_other_facilities_managers_are_refused(app, signed_in):
    scientist, browser = signed_in()
    assert browser.get("/manage/usage").status_code == 403
    assert browser.get("/manage/state-aid").status_code == 403
    token = browser.get("/bookings").text
    assert "csrf_token" in token
    assert browser.post_form("/manage/usage", walk_up(scientist.email), page="/bookings").status_code == 403
    _gmp, gmp_browser = signed_in("manager", facilities=("gmp",))
    refused = gmp_browser.post_form("/manage/usage", walk_up(scientist.email), page="/manage/usage")
    assert refused.status_code == 403 and "Only a manager of this facility can record usage." in refused.text
    assert gmp_browser.get("/manage/usage?facility=lab").status_code == 403  # another's, as the API says
    assert gmp_browser.get("/manage/usage?facility=no-such").status_code == 404
    assert usage_count(app) == 0


# --- state aid ------------------------------------------------------------------------------


@pytest.fixture
def rated_usage(app, people):
    """October 2026: CellCo 48 h of the bioreactor (600 SEK/h of aid: 28,800 SEK = 2,618.18 EUR),
    BigCo 1 h of the GMP suite (2,000 SEK), a third company 20 h of the suite (40,000 SEK), and a
    university (no undertaking) 10 h of the bioreactor."""
    from facility.accounts import services as accounts

    with app.app_context():
        accounts.create_organisation("bigco", "BigCo AB", "company", "large")
        accounts.create_organisation("vectorco", "VectorCo AB", "company", "micro")
    cellco, bigco, vectorco = (people.make(organisation=o) for o in ("cellco", "bigco", "vectorco"))
    university = people.make(organisation="lu")
    with app.app_context():
        add_usage("lab-bioreactor", cellco.email, local("2026-10-05 08:00"), local("2026-10-07 08:00"))
        add_usage("gmp-suite", bigco.email, local("2026-10-19 09:00"), local("2026-10-19 10:00"))
        add_usage("gmp-suite", vectorco.email, local("2026-10-20 06:00"), local("2026-10-21 02:00"))
        add_usage("lab-bioreactor", university.email, local("2026-10-08 08:00"), local("2026-10-08 18:00"))


def test_the_state_aid_page_shows_each_company_against_the_ceiling(app, signed_in, rated_usage):
    _manager, browser = signed_in("manager", facilities=("lab",))
    page = browser.get("/manage/state-aid?from=2026-10-01&to=2026-10-31")
    assert page.status_code == 200
    text = page.text
    assert 'id="aid-cellco" class="aid-ok"' in text and "CellCo AB" in text
    assert "48.00" in text and "28,800.00" in text and "2,618.18" in text  # English digits
    assert "Lund University" not in text  # a university is no undertaking
    assert text.index('id="aid-vectorco"') < text.index('id="aid-cellco"') < text.index('id="aid-bigco"')
    assert 'value="2026-10-01"' in text and 'value="2026-10-31"' in text
    link = "/api/v1/state-aid/organisations/cellco/statement?format=text&amp;from=2026-10-01&amp;to=2026-10-31"
    assert link in text
    statement = browser.get(html.unescape(link))
    assert statement.status_code == 200 and statement.headers["Content-Type"].startswith("text/plain")
    assert "STATEMENT OF DE MINIMIS AID" in statement.text and "CellCo AB" in statement.text
    assert "28 800.00 SEK" in statement.text


def test_companies_near_and_over_the_ceiling_are_marked(app, signed_in, rated_usage):
    app.config["FACILITY_STATE_AID_CEILING_EUR"] = 3000  # so that hours of October reach it
    _manager, browser = signed_in("manager", facilities=("gmp",))
    text = browser.get("/manage/state-aid?from=2026-10-01&to=2026-10-31").text
    # CellCo 2,618.18 EUR = 87.3 %; VectorCo 40,000 SEK = 3,636.36 EUR > 3,000; BigCo 181.82 EUR
    assert 'id="aid-cellco" class="aid-warning"' in text and "87.3 %" in text and "near the ceiling" in text
    assert 'id="aid-vectorco" class="aid-exceeded"' in text and "over the ceiling" in text
    assert 'id="aid-bigco" class="aid-ok"' in text


def test_the_state_aid_page_explains_a_bad_period_and_defaults_to_three_years(app, signed_in, rated_usage):
    _manager, browser = signed_in("manager", facilities=("lab",))
    bad = browser.get("/manage/state-aid?from=2026-13-01&to=2026-10-31")
    assert bad.status_code == 422
    assert "'from' is not a date (YYYY-MM-DD) or an RFC 3339 time." in html.unescape(bad.text)
    backwards = browser.get("/manage/state-aid?from=2026-10-31&to=2026-10-01")
    assert backwards.status_code == 422 and "must be after" in html.unescape(backwards.text)
    default = browser.get("/manage/state-aid")
    assert default.status_code == 200 and 'id="aid-cellco"' in default.text
    assert f'name="to" value="{today().isoformat()}"' in default.text
    quiet = browser.get("/manage/state-aid?from=2025-01-01&to=2025-01-31")
    assert quiet.status_code == 200 and "No company used a resource in this period." in quiet.text
