"""The pages are tested on SQLite only (the booking rules and races are tested on both
databases elsewhere); browser tests share one headless Debian Chromium."""

from __future__ import annotations

import pytest

from tests.support.clients import PageClient
from tests.support.databases import sqlite_url

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def database_url(tmp_path, sqlite_template):
    return sqlite_url(sqlite_template, tmp_path)


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
