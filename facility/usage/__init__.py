"""The usage module: usage records, reports, indicators and projects."""

from functools import partial

from flask import Flask

from facility.core.vocabulary import words_for


def init_app(app: Flask) -> None:
    from facility.http.api import register
    from facility.usage import cli  # noqa: F401  (registers `facility report`)
    from facility.usage.api import blp
    from facility.usage.indicators import check_settings
    from facility.usage.pages import bp, indicators, records, reports, start  # noqa: F401  (routes on bp)

    check_settings(app.config)  # the indicators' settings, with their defaults; a bad one stops the start
    app.add_template_filter(partial(words_for, reports.STAGE_WORDS), "stage_words")
    register(app, blp)
    app.register_blueprint(bp)
