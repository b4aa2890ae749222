"""The de minimis state-aid ledger: subsidised access per company against the EU ceiling.

Configuration (set with setdefault, so the environment or tests may override them):
``FACILITY_EUR_SEK`` (SEK per EUR, default 11.0), ``FACILITY_STATE_AID_CEILING_EUR``
(300,000), ``FACILITY_STATE_AID_WARN_AT`` (0.8) and ``FACILITY_STATE_AID_KINDS`` (the
organisation kinds counted as undertakings, default ``("company",)``).
"""

from flask import Flask


def init_app(app: Flask) -> None:
    from facility.aid import cli  # noqa: F401  (registers `facility state-aid`)
    from facility.aid.api import blp
    from facility.aid.pages import bp
    from facility.aid.rules import CEILING_EUR, DEFAULT_EUR_SEK, WARN_AT, eur_sek_rate
    from facility.http.api import register

    app.config.setdefault("FACILITY_EUR_SEK", str(DEFAULT_EUR_SEK))  # the environment's is set by config.py
    eur_sek_rate(app.config["FACILITY_EUR_SEK"])  # a bad rate stops the start, with its reason
    app.config.setdefault("FACILITY_STATE_AID_CEILING_EUR", str(CEILING_EUR))
    app.config.setdefault("FACILITY_STATE_AID_WARN_AT", str(WARN_AT))
    app.config.setdefault("FACILITY_STATE_AID_KINDS", ("company",))
    register(app, blp)
    app.register_blueprint(bp)
