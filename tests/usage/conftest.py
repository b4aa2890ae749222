"""Fixtures for the usage tests; the rows written directly are made by ``tests/support/factory.py``."""

from __future__ import annotations

import pytest

from tests.support.factory import PASSWORD


@pytest.fixture
def signed_in(people):
    """signed_in(role, **make_args) -> (client, page client signed in as that new user)."""

    def make(role="scientist", **kwargs):
        client = people.make(role, password=PASSWORD, **kwargs)
        return client, people.signed_in(client.email)

    return make
