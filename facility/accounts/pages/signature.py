"""A page's electronic signature: the signer re-enters their password (accounts.check_signer),
and its refusals are said in the page's language under the password field (a missing password
in the page's own words: what it signs)."""

from __future__ import annotations

from facility.accounts import services as accounts
from facility.accounts.pages.sign_in import client_address
from facility.core.errors import ServiceError
from facility.http.pages import Problems, me
from facility.http.words import said


def signature_ok(password: str, problems: Problems, password_required: str) -> bool:
    """Whether the signed-in user signs with ``password``; else why not, in ``problems``.
    ``password_required``: what the page says when no password is given (what it signs)."""
    try:
        accounts.check_signer(me(), password, client_address())
    except ServiceError as error:
        for violation in error.violations:
            problems.add("password", password_required if violation.code == "password_required" else said(violation))
        return False
    return True
