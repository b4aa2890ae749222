"""facility: booking and scheduling for the ATMP lab infrastructure of Skåne."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from facility.core import config
from facility.core.database import install_sqlite_hooks
from facility.core.extensions import csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "facility" / "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(config.Defaults)
    app.config.update({k: v for k, v in config.from_environment(app.instance_path).items() if v is not None})
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    app.config.setdefault("SESSION_COOKIE_SECURE", app.config["FACILITY_BASE_URL"].startswith("https://"))
    _trust_proxies(app)

    _init_extensions(app)
    _register_modules(app)
    from facility import demo  # noqa: F401  (registers `facility seed-demo`)
    from facility.core import backup_cli, cli  # noqa: F401  (backup_cli registers `facility backup`, `restore`)

    cli.init_app(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies, take the client's address from X-Forwarded-For (the sign-in
    throttle counts per address); with none configured, forwarded headers are ignored."""
    hops = int(app.config.get("FACILITY_PROXY_HOPS") or 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _init_extensions(app: Flask) -> None:
    from facility import models  # noqa: F401  (every table known to SQLAlchemy and Alembic)

    db.init_app(app)
    with app.app_context():
        install_sqlite_hooks(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "strong"


MODULES = ("http", "audit", "accounts", "catalog", "bookings", "feeds", "usage", "aid", "gmp", "waitlist", "jobs")


def _register_modules(app: Flask) -> None:
    """The HTTP plumbing first, then each domain registers its API, pages, commands and signals."""
    import importlib

    for name in MODULES:
        importlib.import_module(f"facility.{name}").init_app(app)


def _instance_secret(instance_path: str) -> str:
    """Without FACILITY_SECRET_KEY, a random key kept in the instance folder (never in the repo)."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
