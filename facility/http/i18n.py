"""The web pages: sign-in, catalogue, calendars, booking, lab management, admin, tokens."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel
from flask_login import current_user

LANGUAGES = {"en": "English", "sv": "Svenska"}
ROOT = Path(__file__).resolve().parents[2]


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


def init_app(app: Flask) -> None:
    from facility.accounts.pages import admin, sign_in, tokens  # noqa: F401  (routes on bp)
    from facility.bookings.pages import book, catalogue, manage  # noqa: F401
    from facility.core.extensions import login_manager
    from facility.http import filters
    from facility.http.pages import bp

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "translations"))
    Babel(app, locale_selector=select_locale)
    login_manager.login_view = "web.sign_in"
    login_manager.login_message = None  # the sign-in page explains itself
    app.register_blueprint(bp)
    filters.init_app(app)
