"""Configuration from the environment (see API.md, "Environment").

Each default is set here once; code reads the configured zone through ``default_zone()``.
"""

import os
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Europe/Stockholm"  # the zone of reports and indicators when none is configured


def default_zone() -> ZoneInfo:
    """The configured zone (``FACILITY_TIMEZONE``) of the running app, for what belongs to no
    one facility: indicator periods, the project office's "today", de minimis years."""
    from flask import current_app

    return ZoneInfo(current_app.config.get("FACILITY_TIMEZONE") or DEFAULT_TIMEZONE)


def database_url(instance_path: str) -> str:
    """The SQLAlchemy URL: ``FACILITY_DATABASE_URL`` or a SQLite file in the instance folder.

    A plain ``postgresql://`` URL is accepted and given the psycopg 3 driver.
    """
    url = os.environ.get("FACILITY_DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "facility.sqlite3")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options() -> dict:
    """The connection pool of each process: ``FACILITY_DB_POOL_SIZE`` connections kept open and
    ``FACILITY_DB_MAX_OVERFLOW`` more opened under load (SQLAlchemy's defaults, 5 and 10, when
    unset); ``FACILITY_DB_PGBOUNCER=1`` turns off psycopg's server-side prepared statements,
    which a PgBouncer in transaction mode (before 1.21) cannot route."""
    options: dict = {"pool_pre_ping": True}
    for name, key in (("FACILITY_DB_POOL_SIZE", "pool_size"), ("FACILITY_DB_MAX_OVERFLOW", "max_overflow")):
        value = os.environ.get(name, "").strip()
        if value:
            if not value.isdigit():
                raise ValueError(f"{name} must be a whole number, not {value!r}")
            options[key] = int(value)
    if os.environ.get("FACILITY_DB_PGBOUNCER", "").strip() in ("1", "true", "yes"):
        options["connect_args"] = {"prepare_threshold": None}
    return options


def from_environment(instance_path: str) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(),
        "SECRET_KEY": os.environ.get("FACILITY_SECRET_KEY"),
        "FACILITY_CATALOG": os.environ.get("FACILITY_CATALOG", "instruments.yaml"),
        "FACILITY_BASE_URL": os.environ.get("FACILITY_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "FACILITY_TIMEZONE": os.environ.get("FACILITY_TIMEZONE", DEFAULT_TIMEZONE),
        "FACILITY_SMTP_HOST": os.environ.get("FACILITY_SMTP_HOST"),
        "FACILITY_SMTP_PORT": int(os.environ.get("FACILITY_SMTP_PORT", "25")),
        "FACILITY_MAIL_FROM": os.environ.get("FACILITY_MAIL_FROM", "facility@localhost"),
        "FACILITY_EUR_SEK": os.environ.get("FACILITY_EUR_SEK"),
        "FACILITY_PROXY_HOPS": int(os.environ.get("FACILITY_PROXY_HOPS", "0")),
        "FACILITY_PG_BIN": os.environ.get("FACILITY_PG_BIN"),  # pg_dump and pg_restore; else from PATH
        # The funder's indicators (defaults in facility/usage/definitions.py): hours of a full-time
        # year, the project period "2025-03-01/2028-06-30", the reporting periods "first/last,...".
        "FACILITY_FTE_HOURS": os.environ.get("FACILITY_FTE_HOURS"),
        "FACILITY_PROJECT_PERIOD": os.environ.get("FACILITY_PROJECT_PERIOD"),
        "FACILITY_REPORTING_PERIODS": os.environ.get("FACILITY_REPORTING_PERIODS"),
        # How long a waiting-list offer holds the freed time for its user (default 120 minutes).
        "FACILITY_WAITLIST_HOLD_MINUTES": os.environ.get("FACILITY_WAITLIST_HOLD_MINUTES"),
    }


class Defaults:
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024  # the largest request body: an uploaded .ics, a form
    JSON_SORT_KEYS = False
    # flask-smorest / OpenAPI
    API_TITLE = "facility"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
