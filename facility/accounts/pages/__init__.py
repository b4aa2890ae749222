"""The accounts' pages: sign-in, password, language, API tokens, qualifications, administration."""

from facility.http.pages import page_blueprint

bp = page_blueprint("accounts_pages", __name__)
