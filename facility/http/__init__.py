"""The HTTP plumbing every domain's API and pages share: the API object and its token check,
the JSON errors, the page gate, the languages and the template filters. Imports no domain:
each domain registers its own API and page blueprints in its ``init_app``."""

from flask import Flask


def init_app(app: Flask) -> None:
    from facility.http import api, converters, errors, filters, headers, i18n, inputs

    converters.init_app(app)  # before any route is added
    i18n.init_app(app)
    filters.init_app(app)
    headers.init_app(app)
    api.init_app(app)
    inputs.init_app(app)
    errors.init_app(app)
