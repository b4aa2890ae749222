"""Every error under /api/ has the body of API.md: {"errors": [{code, message, field?}]}."""

from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from facility.core.database import is_outage
from facility.core.errors import ServiceError
from facility.core.extensions import db, login_manager
from facility.http.fields import code_for

MALFORMED = {"Invalid JSON body.": "malformed_json", "Invalid input type.": "malformed_body"}
HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}
RETRY_AFTER_SECONDS = 30
UNAVAILABLE_MESSAGE = "The service is briefly unavailable. Please try again in a minute."
INTERNAL_MESSAGE = "Something went wrong on our side."


def error_response(status: int, items: list[dict]):
    response = jsonify({"errors": items})
    response.status_code = status
    return response


def http_exception_response(error: HTTPException):
    """Turn an HTTPException (webargs validation, routing, CSRF) into the API's error body."""
    if isinstance(error, CSRFError):
        return error_response(400, [{"code": "csrf_failed", "message": error.description}])
    messages = (getattr(error, "data", None) or {}).get("messages")
    if messages:
        items = list(_flatten(messages))
        malformed = [i for i in items if i["code"] in MALFORMED.values()]
        if malformed:
            return error_response(400, malformed)
        return error_response(422, items)
    status = error.code or 500
    return error_response(
        status, [{"code": HTTP_CODES.get(status, "error"), "message": error.description or error.name}]
    )


def _flatten(messages, field=None):
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ("json", "query", "form", "view_args"):
                yield from _flatten(value, field)
            elif key == "_schema":
                yield from _flatten(value, field)
            else:
                name = key if field is None else f"{field}.{key}"
                yield from _flatten(value, str(name))
        return
    for message in messages if isinstance(messages, list) else [messages]:
        if isinstance(message, (dict, list)):
            yield from _flatten(message, field)
            continue
        text = str(message)
        item = {"code": MALFORMED.get(text) or code_for(text), "message": text}
        if field:
            item["field"] = field
        yield item


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _answer(status: int, items: list[dict]):
    """An error as the API's body under /api/, else as the error page with its messages."""
    if _wants_json():
        return error_response(status, items)
    return render_template("error.html", status=status, messages=[item["message"] for item in items]), status


def init_app(app: Flask) -> None:
    """One error handler for API and pages: JSON under /api/, the error page elsewhere."""

    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError):
        db.session.rollback()
        return _answer(error.status, error.as_json()["errors"])

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if _wants_json():
            return http_exception_response(error)
        return render_template("error.html", status=error.code, messages=[error.description]), error.code

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if is_outage(error):
            return _unavailable(error)
        db.session.rollback()
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return _answer(500, [{"code": "internal_error", "message": INTERNAL_MESSAGE}])

    def _unavailable(error: Exception):
        """The database is down or restarting: 503 with Retry-After, a line in the log, no traceback."""
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001  (the connection is gone: nothing to roll back)
            pass
        app.logger.warning(
            "database unavailable on %s %s: %s", request.method, request.path, str(error).splitlines()[0][:200]
        )
        if not _wants_json():
            g._login_user = login_manager.anonymous_user()  # the page cannot look its reader up
        response = app.make_response(_answer(503, [{"code": "unavailable", "message": UNAVAILABLE_MESSAGE}]))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
