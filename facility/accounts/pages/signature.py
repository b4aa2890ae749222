"""A page's electronic signature: the signer re-enters their password (accounts.check_signer),
and its refusals are said in the page's words under the password field."""

from __future__ import annotations

from flask_babel import gettext as _

from facility.accounts import services as accounts
from facility.accounts.pages.sign_in import client_address
from facility.core.errors import ServiceError
from facility.http.pages import Problems, me


def signature_ok(password: str, problems: Problems, password_required: str) -> bool:
    """Whether the signed-in user signs with ``password``; else why not, in ``problems``.
    ``password_required``: what the page says when no password is given (what it signs)."""
    try:
        accounts.check_signer(me(), password, client_address())
    except ServiceError as error:
        words = {
            "signature_locked": _("Too many wrong passwords. Wait 15 minutes and try again."),
            "password_required": password_required,
            "wrong_password": _("The password is not correct; nothing was signed."),
        }
        for violation in error.violations:
            problems.add("password", words.get(violation.code, violation.message))
        return False
    return True
