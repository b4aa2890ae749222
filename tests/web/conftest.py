"""The pages are tested on SQLite only (the booking rules and races are tested on both
databases elsewhere); browser tests share one headless Debian Chromium."""

from __future__ import annotations

import re

import pytest
import requests

from tests.conftest import sqlite_url

PASSWORD = "a-long-password"
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


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


class Browserless:
    """A signed-in requests session that posts forms with their CSRF token, like a browser."""

    def __init__(self, base: str):
        self.base, self.session = base, requests.Session()

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base + path, timeout=30, **kwargs)

    def post_form(self, path: str, data: dict, page: str | None = None, **kwargs) -> requests.Response:
        token = csrf_token(self.get(page or path).text)
        return self.session.post(self.base + path, data={"csrf_token": token, **data}, timeout=30, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD) -> requests.Response:
        return self.post_form("/sign-in", {"email": email, "password": password}, allow_redirects=False)


@pytest.fixture
def visitor(live_server):
    return lambda: Browserless(live_server.url)
