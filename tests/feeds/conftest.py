"""Fixtures for the calendar-feed tests; the helpers are in ``tests/support/feeds.py``."""

from __future__ import annotations

import pytest

from tests.support.feeds import Feeds


@pytest.fixture
def feeds(app) -> Feeds:
    return Feeds(app)
