"""What every request brings is checked once, before any view sees it: the JSON body parses
(within a sane depth) and every string of the body, the query and the form is text that can be
stored (``facility.core.text``), else 422 ``invalid_text`` naming the field; a path whose
parts cannot be stored names nothing that exists: 404."""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.exceptions import BadRequest

from facility.core.errors import ServiceError, Violation
from facility.core.text import text_violations

MALFORMED_MESSAGE = "Invalid JSON body."


def check_request_input() -> None:
    if text_violations(request.view_args or {}):
        abort(404)  # nothing is named so (a feed's secret URL gives no hint either)
    violations = _multidict_violations(request.args)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        violations += _multidict_violations(request.form)
    if request.is_json:
        violations += text_violations(_json_body())
    if violations:
        raise ServiceError(422, violations)


def _multidict_violations(values) -> list[Violation]:
    """Each value of a query or form under its own name (a repeated name is named once per value)."""
    return [v for key, value in values.items(multi=True) for v in text_violations({key: value})]


def _json_body():
    """The parsed JSON body (None when empty); bad syntax, bad UTF-8 or a body nested too deep
    for the parser (a RecursionError) is ``malformed_json``. Parsed through ``request.get_json``,
    which keeps the result, so the view's schema reads it without parsing the body again."""
    if not request.get_data(cache=True):
        return None
    try:
        return request.get_json()
    except (RecursionError, BadRequest):
        raise ServiceError(400, [Violation("malformed_json", MALFORMED_MESSAGE)]) from None


def init_app(app: Flask) -> None:
    app.before_request(check_request_input)
