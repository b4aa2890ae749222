"""The JSON API of API.md, under /api/v1, with its OpenAPI document built from the schemas."""

from __future__ import annotations

import flask_smorest
from flask import Flask

from facility.core.extensions import csrf
from facility.http.auth import authenticate_api_request
from facility.http.errors import http_exception_response
from facility.http.schemas import ErrorSchema


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint, whose ``arguments`` makes a schema given as a class into an
    instance once, when the route is declared: given the class, webargs makes a new one for
    every request, and a marshmallow schema deep-copies its fields when made (issue 12)."""

    def arguments(self, schema, *args, **kwargs):
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """The app factory installs one HTTP error handler for API and pages alike."""

    def handle_http_exception(self, error):
        return http_exception_response(error)


def register(app: Flask, blueprint) -> None:
    """Serve a flask-smorest blueprint under the API: in the OpenAPI document, with API auth."""
    csrf.exempt(blueprint)  # session writes are CSRF-checked in authenticate_api_request
    app.extensions["facility_api"].register_blueprint(blueprint)


def init_app(app: Flask) -> None:
    """The API object; each domain serves its blueprints on it with ``register``."""
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {"description": "Booking and scheduling for the ATMP lab infrastructure of Skåne."},
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
    )
    app.extensions["facility_api"] = Api(app)
    app.before_request(authenticate_api_request)
