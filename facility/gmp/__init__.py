"""The GMP records: each room's and instrument's logbook, cleaning and line clearance."""

from flask import Flask


def init_app(app: Flask) -> None:
    from facility.bookings.services import REQUEST_CHECKS
    from facility.gmp import cli, services, words  # noqa: F401  (cli registers `facility logbook`, `batches`)
    from facility.gmp.api import blp
    from facility.gmp.pages import bp
    from facility.http.api import register
    from facility.usage.services import CHECK_IN_GUARDS

    app.config.setdefault("FACILITY_LOGBOOK_BACKDATE_HOURS", 48)
    if services.check_in_guard not in CHECK_IN_GUARDS:
        CHECK_IN_GUARDS.append(services.check_in_guard)
    if services.request_check not in REQUEST_CHECKS:
        REQUEST_CHECKS.append(services.request_check)
    app.jinja_env.globals["gmp_display_status"] = services.display_status
    app.jinja_env.globals["gmp_counts_people"] = services.counts_people
    # the manager's start page (usage, which gmp imports) lists what waits for cleaning through these
    app.jinja_env.globals["gmp_waiting_for_cleaning"] = services.waiting_for_cleaning
    app.jinja_env.globals["gmp_state_words"] = words.state_words
    register(app, blp)
    app.register_blueprint(bp)
