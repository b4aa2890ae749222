"""The languages of the pages and mails: English and Swedish, chosen per person."""

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
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "translations"))
    Babel(app, locale_selector=select_locale)
