"""Fixtures: the app on SQLite and on a real PostgreSQL, served over real HTTP.

Each database is migrated and loaded with ``tests/catalog.yaml`` once per session; every
test gets its own copy (a copied SQLite file, or a PostgreSQL database made from a template).

Time is frozen for every test (the autouse ``clock`` fixture, ``tests/support/clock.py``);
tests marked ``any_date`` run at each of ``clock.INSTANTS``.
"""

from __future__ import annotations

import itertools
import os
import shutil
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade

from facility import create_app
from facility.accounts import services as accounts
from facility.catalog.services import load_catalog
from facility.core.extensions import db
from tests.support import clock as clocks
from tests.support.clock import STOCKHOLM
from tests.support.live import ApiClient, LiveServer
from tests.support.postgres import PostgresServer

HERE = Path(__file__).resolve().parent
TEST_CATALOG = HERE / "catalog.yaml"
_database_numbers = itertools.count()


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


def make_app(url: str, tmp_path: Path):
    # Calendar sources are served to the tests from 127.0.0.1, which production refuses.
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "FACILITY_BASE_URL": "http://facility.test",
            "FACILITY_SOURCE_ALLOW_PRIVATE": True,
        }
    )


def prepare_database(url: str, tmp_path: Path) -> None:
    app = make_app(url, tmp_path)
    with clocks.travel(clocks.SETUP_INSTANT), app.app_context():
        upgrade(revision="heads")
        load_catalog(TEST_CATALOG)
        accounts.create_organisation("lu", "Lund University", "university")
        accounts.create_organisation("cellco", "CellCo AB", "company", "small")
        db.engine.dispose()


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


def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "facility.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def postgres_url(postgres, template: str) -> str:
    name = f"facility_test_{next(_database_numbers)}"
    postgres.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    return postgres.url(name)


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
    server = LiveServer(app).start()
    yield server
    server.stop()


class People:
    """Makes users with tokens and qualifications, and API clients for them."""

    def __init__(self, app, base_url: str):
        self.app, self.base_url = app, base_url
        self._numbers = itertools.count(1)

    def make(
        self,
        role: str = "scientist",
        *,
        organisation: str = "lu",
        facilities=(),
        qualifications=(),
        password: str | None = None,
    ) -> ApiClient:
        email = f"{role}{next(self._numbers)}@example.org"
        with self.app.app_context():
            accounts.create_user(
                email, f"Test {role.title()}", organisation, role, facilities=facilities, password=password
            )
            for key in qualifications:
                accounts.qualify(email, key, clocks.today() + timedelta(days=365))
            _token, secret = accounts.issue_token(email)
        return ApiClient(self.base_url, secret, email)


@pytest.fixture
def people(app, live_server) -> People:
    return People(app, live_server.url)


def local_slot(days_ahead: int, hour: int, hours: float = 1, *, weekday: int = 1, minute: int = 0):
    """An RFC 3339 (start, end) pair: the first ``weekday`` (Mon=0) at least ``days_ahead`` days
    from today (the frozen clock's, in Stockholm), at ``hour:minute`` Stockholm time, lasting ``hours``."""
    day = clocks.today() + timedelta(days=days_ahead)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    start = datetime.combine(day, time(hour, minute), STOCKHOLM)
    end = start + timedelta(hours=hours)
    return start.isoformat(), end.isoformat()
