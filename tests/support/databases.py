"""The app under test and its databases: a migrated template per backend, copied for each test."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from flask_migrate import upgrade

from facility import create_app
from facility.accounts import services as accounts
from facility.catalog.services import load_catalog
from facility.core.extensions import db
from tests.support import clock as clocks

ROOT = Path(__file__).resolve().parents[2]
TEST_CATALOG = ROOT / "tests" / "catalog.yaml"
_database_numbers = itertools.count()


def make_app(url: str, tmp_path: Path | None = None):
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


def prepare_database(url: str, tmp_path: Path | None = None) -> None:
    app = make_app(url, tmp_path)
    with clocks.travel(clocks.SETUP_INSTANT), app.app_context():
        upgrade(revision="heads")
        load_catalog(TEST_CATALOG)
        accounts.create_organisation("lu", "Lund University", "university")
        accounts.create_organisation("cellco", "CellCo AB", "company", "small")
        db.engine.dispose()


def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "facility.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def postgres_database(postgres, template: str) -> str:
    """The name of a fresh PostgreSQL database copied from ``template``, dropped after the test
    (``drop_test_databases``)."""
    name = f"facility_test_{next(_database_numbers)}"
    postgres.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    _made.append((postgres, name))
    return name


_made: list[tuple] = []  # (server, name) of the databases the running test made


def drop_test_databases() -> None:
    """Drop the databases the test made, closing any connection still open to them. Kept, they
    filled the server's directory with a copy per test (gigabytes by the end of the suite, and
    tens of seconds to delete when it stopped)."""
    while _made:
        server, name = _made.pop()
        server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def postgres_url(postgres, template: str) -> str:
    return postgres.url(postgres_database(postgres, template))


# The pages and a few file-format tests run on SQLite only: the rules and races run on both.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
# What only PostgreSQL has (its triggers, its exclusion constraint): run there alone, not skipped on SQLite.
POSTGRES_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
