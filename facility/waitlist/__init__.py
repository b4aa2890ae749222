"""The waiting list: wait for taken time, be offered it (held for you) when it frees up."""

from flask import Flask


def init_app(app: Flask) -> None:
    from facility.bookings.services import SLOT_FREED
    from facility.http.api import register
    from facility.waitlist import services
    from facility.waitlist.api import blp
    from facility.waitlist.pages import bp

    app.config["FACILITY_WAITLIST_HOLD_MINUTES"] = services.parse_hold_minutes(
        app.config.get("FACILITY_WAITLIST_HOLD_MINUTES")
    )
    if services.on_slot_freed not in SLOT_FREED:
        SLOT_FREED.append(services.on_slot_freed)
    # the start page (usage, which does not import the waiting list) shows open offers through this
    app.jinja_env.globals["waitlist_offers"] = services.open_offers
    register(app, blp)
    app.register_blueprint(bp)
