"""A database that is down or restarting: 503 with Retry-After (the API's error body, the error
page), one line in the log and no traceback; once it is back, the pool recovers by itself."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

import psycopg
import pytest
import requests
from psycopg import errors
from sqlalchemy import exc

from facility.core.database import is_outage
from tests.support.clients import PASSWORD
from tests.support.factory import local_slot
from tests.support.live import GunicornServer


def wrapped(error: BaseException, **kwargs) -> exc.DBAPIError:
    """``error`` as SQLAlchemy raises it."""
    driver_error = sqlite3.Error if isinstance(error, sqlite3.Error) else psycopg.Error
    wrapped = exc.DBAPIError.instance("SELECT 1", {}, error, driver_error, **kwargs)
    assert isinstance(wrapped, exc.DBAPIError)
    return wrapped


def sqlite_error(message: str, name: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorname = name
    return error


def test_an_outage_is_told_apart_from_a_broken_query():
    away = [
        psycopg.OperationalError("connection failed: Connection refused"),  # no SQLSTATE: client side
        errors.AdminShutdown(),  # 57P01: the server is shutting down
        errors.CannotConnectNow(),  # 57P03: the server is starting up
        errors.ConnectionFailure(),  # 08006
        errors.TooManyConnections(),  # 53300
        psycopg.InterfaceError("the connection is closed"),
        sqlite_error("database is locked", "SQLITE_BUSY"),
    ]
    for error in away:
        assert is_outage(wrapped(error)), error
    assert is_outage(exc.TimeoutError("QueuePool limit reached"))
    assert is_outage(wrapped(psycopg.DatabaseError("server closed the connection"), connection_invalidated=True))

    broken = [
        errors.UndefinedTable(),
        errors.QueryCanceled(),  # 57014: a statement timeout, not an outage
        errors.NumericValueOutOfRange(),
        sqlite_error("no such table: bookings", "SQLITE_ERROR"),
        sqlite3.IntegrityError("UNIQUE constraint failed"),
    ]
    for error in broken:
        assert not is_outage(wrapped(error)), error
    assert not is_outage(RuntimeError("boom"))


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
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


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_restart_under_load_answers_only_201_409_or_503(app, database_url, people, postgres, tmp_path):
    """Four gunicorn workers take bookings from four clients while PostgreSQL restarts: every
    answer is a booking (201), a taken slot (409) or 'come back later' (503), never a 500,
    and no traceback is logged; after the restart the bookings go through again."""
    tokens = [people.make().token for _ in range(4)]
    server = GunicornServer(database_url, tmp_path, workers=4).start()
    answers: list[int] = []
    stop = threading.Event()

    def client(number: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tokens[number]}"
        for n in range(400):
            if stop.is_set():
                return
            week, slot = divmod(n % 150, 10)  # ten half hours a week: within the quota and the horizon
            start, end = local_slot(7 * (week + 1), 8 + number, hours=0.5, weekday=slot % 5, minute=30 * (slot % 2))
            body = {"resource": "lab-bsc", "start": start, "end": end, "purpose": f"load {number}"}
            answers.append(session.post(server.url + "/api/v1/bookings", json=body, timeout=60).status_code)

    threads = [threading.Thread(target=client, args=(number,)) for number in range(4)]
    try:
        for thread in threads:
            thread.start()
        wait_until(lambda: answers.count(201) >= 10)
        postgres.pause()
        wait_until(lambda: answers.count(503) >= 4)  # the clients went on asking while it was down
        postgres.resume()
        after_restart = len(answers)
        wait_until(lambda: answers[after_restart:].count(201) >= 10)  # the pools recovered
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
        output = server.stop()
    assert set(answers) <= {201, 409, 503}, (sorted(set(answers)), output[-3000:])
    assert "Traceback" not in output, output


def wait_until(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the load did not get there in time"
        time.sleep(0.02)
