"""Fixtures: the app on SQLite and on a real PostgreSQL, reached through Flask's test client.

Each database is migrated and loaded with ``tests/catalog.yaml`` once per session; every
test gets its own copy (a copied SQLite file, or a PostgreSQL database made from a template).
The helpers behind these fixtures live in ``tests/support/`` (conftest files hold fixtures only
and never import each other).

Time is frozen for every test (the autouse ``clock`` fixture, ``tests/support/clock.py``);
tests marked ``any_date`` run at each of ``clock.INSTANTS``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from facility.core.extensions import db
from tests.support import clock as clocks
from tests.support.clients import PageClient
from tests.support.databases import drop_test_databases, make_app, postgres_url, prepare_database, sqlite_url
from tests.support.factory import People
from tests.support.live import LiveServer
from tests.support.mail import Inbox
from tests.support.postgres import PostgresServer, free_port


def pytest_generate_tests(metafunc):
    """Tests marked ``any_date`` run at every instant of ``tests/support/clock.py``."""
    if "clock" in metafunc.fixturenames and metafunc.definition.get_closest_marker("any_date"):
        metafunc.parametrize(
            "clock",
            [instant for _id, instant in clocks.INSTANTS],
            ids=[name for name, _instant in clocks.INSTANTS],
            indirect=True,
        )


def pytest_collection_modifyitems(config, items):
    """An ``any_date`` test runs at every instant on SQLite, and on PostgreSQL at the default
    instant only: what changes with the date is the Python of the rules and pages, not the
    backend, and the PostgreSQL runs would double the time. Set FACILITY_TEST_ALL_DATES=1
    to run every instant on both backends."""
    if os.environ.get("FACILITY_TEST_ALL_DATES") == "1":
        return
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if (
            params.get("database_url") == "postgres"
            and params.get("clock", clocks.DEFAULT_INSTANT) != clocks.DEFAULT_INSTANT
        ):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def clock(request):
    """Freezes time (ticking on) at ``DEFAULT_INSTANT``, or at this run's instant of an
    ``any_date`` test, for the whole test including its function-scoped fixtures."""
    instant = getattr(request, "param", clocks.DEFAULT_INSTANT)
    with clocks.travel(instant):
        yield clocks.Clock(instant)


@pytest.fixture(scope="session")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    prepare_database(f"sqlite:///{path}", path.parent)
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres, tmp_path_factory) -> str:
    postgres.execute("CREATE DATABASE facility_template")
    prepare_database(postgres.url("facility_template"), tmp_path_factory.mktemp("pg-template"))
    return "facility_template"


@pytest.fixture(autouse=True)
def _drop_test_databases():
    yield
    drop_test_databases()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path, sqlite_template) -> str:
    """A fresh, migrated database with the test catalogue, on each backend in turn."""
    if request.param == "sqlite":
        return sqlite_url(sqlite_template, tmp_path)
    postgres = request.getfixturevalue("postgres")
    return postgres_url(postgres, request.getfixturevalue("postgres_template"))


@pytest.fixture
def app(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_server(app):
    """The app served over a real socket, for the tests where an outside process (a browser)
    must connect; everything else uses Flask's test client."""
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def people(app) -> People:
    return People(app)


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1; the app sends its mail there (the mail about bookings
    when the test waits for mail, as the scheduler's job would send it by then)."""
    from facility.jobs.scheduler import run_job

    inbox = Inbox(deliver=lambda: run_job(app, "booking_mails"))
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(FACILITY_SMTP_HOST="127.0.0.1", FACILITY_SMTP_PORT=port, FACILITY_MAIL_FROM="facility@test")
    yield inbox
    controller.stop()


# --- pages: a visitor through the test client, and one headless Debian Chromium ---------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def visitor(app):
    """visitor() -> a new visitor of the pages (a Flask test client), not signed in."""
    return lambda: PageClient(app.test_client())
