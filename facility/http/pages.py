"""The pages' blueprint and what every view shares: who may open a page, and form problems."""

from __future__ import annotations

from typing import Iterable, Optional
from urllib.parse import urlparse

from flask import Blueprint, current_app, request
from flask_login import current_user

from facility.core.access import require_a_manager, require_admin
from facility.core.errors import ServiceError
from facility.core.extensions import login_manager
from facility.http.localtime import FieldProblem
from facility.http.words import said


def page_blueprint(name: str, import_name: str) -> Blueprint:
    """A domain's blueprint of pages: each of its pages needs a signed-in user unless ``public``."""
    blueprint = Blueprint(name, import_name)
    blueprint.before_request(_require_sign_in)
    return blueprint


def public(view):
    """Mark a page that needs no sign-in (the sign-in page itself, a feed with a secret URL)."""
    view.is_public = True
    return view


def _require_sign_in():
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "is_public", False) or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


def me():
    return current_user._get_current_object()


def require_manager() -> None:
    """The managers' pages: a ServiceError 403 (the one error type) unless the user manages some facility."""
    require_a_manager(me(), "Only lab managers can open this page.")


def require_an_admin() -> None:
    require_admin(me(), "Only administrators can open this page.")


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
        for violation in error.violations:
            field = aliases.get(violation.field or "", violation.field or "")
            self.add(field if field in known else "", said(violation))

    def add_form_errors(self, form) -> None:
        for name, messages in form.errors.items():
            field = form._fields.get(name) if name and name != "csrf_token" else None
            for message in messages:
                self.add(field.name if field else "", message)
