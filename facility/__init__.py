"""facility: booking and scheduling for the ATMP lab infrastructure of Skåne."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from facility.core import config
from facility.core.database import install_sqlite_hooks
from facility.core.errors import ServiceError
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
    _register_error_handlers(app)
    from facility import cli

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
    from facility.http import api

    db.init_app(app)
    with app.app_context():
        install_sqlite_hooks(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    api.init_app(app)


MODULES = ("http.i18n", "feeds", "usage", "aid", "jobs")


def _register_modules(app: Flask) -> None:
    """Each delivery module (pages, calendar feeds, usage and reports) registers itself."""
    import importlib

    for name in MODULES:
        importlib.import_module(f"facility.{name}").init_app(app)


@login_manager.user_loader
def _load_user(user_id: str):
    from facility.accounts.models import User

    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def _instance_secret(instance_path: str) -> str:
    """Without FACILITY_SECRET_KEY, a random key kept in the instance folder (never in the repo)."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _register_error_handlers(app: Flask) -> None:
    from facility.http.errors import error_response, http_exception_response

    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError):
        db.session.rollback()
        if _wants_json():
            return error_response(error.status, error.as_json()["errors"])
        return render_template(
            "error.html", status=error.status, messages=[v.message for v in error.violations]
        ), error.status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if _wants_json():
            return http_exception_response(error)
        return render_template("error.html", status=error.code, messages=[error.description]), error.code

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        if _wants_json():
            return error_response(500, [{"code": "internal_error", "message": "Something went wrong on our side."}])
        return render_template("error.html", status=500, messages=["Something went wrong on our side."]), 500
