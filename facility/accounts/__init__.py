"""The accounts module: organisations, users, qualifications and personal API tokens."""

from functools import partial

from flask import Flask

from facility.core.vocabulary import words_for


def init_app(app: Flask) -> None:
    from facility.accounts import cli, services  # noqa: F401  (cli: registers its commands)
    from facility.accounts.api import blp, organisations_blp
    from facility.accounts.cookie import session_secret
    from facility.accounts.forms import ROLE_WORDS
    from facility.accounts.pages import account, admin, bp, qualifications, sign_in, tokens  # noqa: F401  (routes on bp)
    from facility.core.extensions import login_manager
    from facility.http.api import register

    app.extensions["facility_mail_locales"] = services.mail_locales  # whose address speaks which language
    app.extensions["facility_token_user"] = services.user_for_token  # who an API token belongs to
    # A browser session counts only while its row in user_sessions is active (see sessions.py).
    login_manager.user_loader(lambda user_id: services.load_user(user_id, session_secret()))
    login_manager.login_view = "accounts_pages.sign_in"
    login_manager.login_message = None  # the sign-in page explains itself
    app.add_template_filter(partial(words_for, ROLE_WORDS), "role_words")
    app.register_blueprint(bp)
    register(app, blp)
    register(app, organisations_blp)
