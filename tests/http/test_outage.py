"""A database that is down or restarting: 503 with Retry-After (the API's error body, the error
page), one line in the log and no traceback; once it is back, the pool recovers by itself."""

from __future__ import annotations

import logging

import pytest

from tests.support.clients import PASSWORD

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("database_url", ["postgres"], indirect=True)]


def test_a_database_outage_is_503_and_the_service_recovers_when_it_is_back(app, people, postgres, caplog):
    admin = people.make("admin", password=PASSWORD)
    page = people.signed_in(admin.email)
    assert admin.get("/resources").status_code == 200
    assert page.get("/catalogue").status_code == 200

    postgres.pause()
    try:
        with caplog.at_level(logging.INFO):
            api = admin.get("/resources")
            html = page.get("/catalogue")
            anonymous = people.api(admin.token).get("/bookings")
    finally:
        postgres.resume()

    assert api.status_code == 503 and api.headers["Retry-After"] == "30"
    assert api.get_json() == {"errors": [{"code": "unavailable", "message": api.get_json()["errors"][0]["message"]}]}
    assert anonymous.status_code == 503  # the token check itself cannot reach the database
    assert html.status_code == 503 and html.headers["Retry-After"] == "30"
    assert html.mimetype == "text/html" and "briefly unavailable" in html.text
    assert "Content-Security-Policy" in html.headers
    logged = [r for r in caplog.records if r.name == "facility" or r.levelno >= logging.WARNING]
    assert logged and all(r.exc_info is None and "unavailable" in r.getMessage() for r in logged)

    assert admin.get("/resources").status_code == 200  # pool_pre_ping replaced the dead connections
    assert page.get("/catalogue").status_code == 200
