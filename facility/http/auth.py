"""Who is calling the API: a personal token (Bearer) or the signed-in browser session."""

from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user

from facility.core.errors import ServiceError, Violation
from facility.core.extensions import csrf

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
PUBLIC_BLUEPRINTS = ("api-docs",)


def unauthenticated(code: str, message: str) -> ServiceError:
    return ServiceError(401, [Violation(code, message)])


def _token_user(secret: str):
    """The active user of an API token: the accounts module registers how it is looked up."""
    return current_app.extensions["facility_token_user"](secret)


def authenticate_api_request() -> None:
    """``before_request`` for ``/api/``: sets ``g.api_user`` or answers 401."""
    if not request.path.startswith("/api/") or request.endpoint is None or request.blueprint in PUBLIC_BLUEPRINTS:
        return
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        user = _token_user(secret.strip()) if scheme.lower() == "bearer" and secret.strip() else None
        if user is None:
            raise unauthenticated("invalid_token", "The API token is unknown or has been revoked.")
        g.api_user = user
        return
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            csrf.protect()  # a browser session writes only with its CSRF token
        g.api_user = current_user._get_current_object()
        return
    raise unauthenticated("not_authenticated", "Sign in, or send 'Authorization: Bearer <token>'.")


def api_user():
    return g.api_user
