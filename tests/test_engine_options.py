"""The connection pool of each process, from the environment (README, Production)."""

import pytest

from facility.core.config import engine_options


def test_defaults_keep_sqlalchemy_pool_sizes(monkeypatch):
    for name in ("FACILITY_DB_POOL_SIZE", "FACILITY_DB_MAX_OVERFLOW", "FACILITY_DB_PGBOUNCER"):
        monkeypatch.delenv(name, raising=False)
    assert engine_options() == {"pool_pre_ping": True}


def test_pool_size_overflow_and_pgbouncer(monkeypatch):
    monkeypatch.setenv("FACILITY_DB_POOL_SIZE", "3")
    monkeypatch.setenv("FACILITY_DB_MAX_OVERFLOW", "2")
    monkeypatch.setenv("FACILITY_DB_PGBOUNCER", "1")
    assert engine_options() == {
        "pool_pre_ping": True,
        "pool_size": 3,
        "max_overflow": 2,
        "connect_args": {"prepare_threshold": None},
    }


def test_a_bad_pool_size_is_named(monkeypatch):
    monkeypatch.setenv("FACILITY_DB_POOL_SIZE", "five")
    with pytest.raises(ValueError, match="FACILITY_DB_POOL_SIZE must be a whole number"):
        engine_options()
