"""Behind a reverse proxy the sign-in throttle counts the client's address, not the proxy's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from facility import create_app
from facility.accounts.models import FailedSignIn
from facility.core.extensions import db
from tests.support.clients import PageClient
from tests.support.databases import SQLITE_ONLY

pytestmark = SQLITE_ONLY  # the pages on SQLite; the rules and races run on both databases elsewhere


def failed_addresses(database_url: str, hops: int) -> list[str]:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "FACILITY_PROXY_HOPS": hops,
        }
    )
    try:
        browser = PageClient(app.test_client())  # from 127.0.0.1, as the proxy would connect
        for client in ("203.0.113.7", "198.51.100.9"):
            browser.post_form(
                "/sign-in",
                {"email": "nobody@example.org", "password": "wrong"},
                page="/sign-in",
                headers={"X-Forwarded-For": client},
            )
        with app.app_context():
            return list(db.session.scalars(select(FailedSignIn.ip).order_by(FailedSignIn.id)))
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("hops, expected", [(1, ["203.0.113.7", "198.51.100.9"]), (0, ["127.0.0.1", "127.0.0.1"])])
def test_forwarded_addresses_are_trusted_only_when_proxies_are_configured(database_url, hops, expected):
    assert failed_addresses(database_url, hops) == expected
