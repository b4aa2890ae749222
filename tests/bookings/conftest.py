"""A database loaded with the real ``instruments.yaml``, on each backend, for the tests that
hold availability against booking over the whole catalogue."""

from __future__ import annotations

import shutil

import pytest
from flask_migrate import upgrade

from facility.accounts import services as accounts
from facility.catalog.services import load_catalog
from facility.core.extensions import db
from tests.support import clock as clocks
from tests.support.databases import ROOT, make_app, postgres_database

CATALOGUE = ROOT / "instruments.yaml"


def prepare(url: str) -> None:
    app = make_app(url, None)
    with clocks.travel(clocks.SETUP_INSTANT), app.app_context():
        upgrade(revision="heads")
        load_catalog(CATALOGUE)
        accounts.create_organisation("lu", "Lund University", "university")
        db.engine.dispose()


@pytest.fixture(scope="session")
def catalogue_sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("catalogue-template") / "template.sqlite3"
    prepare(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def catalogue_postgres_template(postgres):
    postgres.execute("CREATE DATABASE facility_catalogue_template")
    prepare(postgres.url("facility_catalogue_template"))
    return "facility_catalogue_template"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def catalogue_app(request, tmp_path, catalogue_sqlite_template):
    """The app over a fresh copy of the catalogue database."""
    if request.param == "sqlite":
        path = tmp_path / "facility.sqlite3"
        shutil.copy(catalogue_sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        postgres = request.getfixturevalue("postgres")
        url = postgres.url(postgres_database(postgres, request.getfixturevalue("catalogue_postgres_template")))
    app = make_app(url, tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
