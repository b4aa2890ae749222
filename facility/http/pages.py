"""The pages' blueprint and what every view shares: who may open a page, and form problems."""

from __future__ import annotations

from typing import Iterable, Optional
from urllib.parse import urlparse

from flask import Blueprint, request
from flask_login import current_user

from facility.accounts.services import require_a_manager
from facility.core.errors import ServiceError, forbidden
from facility.core.extensions import login_manager
from facility.http.localtime import FieldProblem

bp = Blueprint("web", __name__)

PUBLIC_ENDPOINTS = {"web.sign_in", "web.set_language", "static"}


@bp.before_app_request
def _require_sign_in():
    """Every page but sign-in needs a signed-in user (the API and feeds authenticate themselves)."""
    if request.blueprint != "web" or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def me():
    return current_user._get_current_object()


def require_manager() -> None:
    """The managers' pages: a ServiceError 403 (the one error type) unless the user manages some facility."""
    require_a_manager(me(), "Only lab managers can open this page.")


def require_admin() -> None:
    if not me().is_admin:
        raise forbidden("Only administrators can open this page.")


def managed_facilities():
    from facility.catalog.services import list_facilities

    user = me()
    return [f for f in list_facilities() if user.manages(f)]


def safe_next(target: Optional[str], default: str) -> str:
    """Only a path on this site (no scheme, no host, no '//'): no open redirect."""
    if not target:
        return default
    parts = urlparse(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


class Problems(dict):
    """Messages per form field ('' for the form as a whole), shown next to the fields."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def add_field_problem(self, problem: FieldProblem) -> None:
        self.add(problem.field, problem.message)

    def add_service_error(
        self, error: ServiceError, known_fields: Iterable[str], aliases: Optional[dict] = None
    ) -> None:
        known, aliases = set(known_fields), aliases or {}
        for field, messages in error.messages_by_field().items():
            field = aliases.get(field, field)
            for message in messages:
                self.add(field if field in known else "", message)

    def add_form_errors(self, form) -> None:
        for name, messages in form.errors.items():
            field = form._fields.get(name) if name and name != "csrf_token" else None
            for message in messages:
                self.add(field.name if field else "", message)
