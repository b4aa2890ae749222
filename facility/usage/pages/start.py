"""The start page at /: what each role needs first. A scientist: their next bookings, requests
waiting for approval, bookings to check in or out, qualifications about to lapse. A manager:
today's bookings and the instruments in use, the requests waiting with the bookings around
them, and the blackouts that hit bookings (notify the users, or cancel a booking). An
administrator: the way to the indicators."""

from __future__ import annotations

from flask import render_template

from facility.catalog.services import list_facilities, list_resources
from facility.http.pages import me
from facility.usage import start as facts
from facility.usage.pages import bp


@bp.route("/")
def start():
    user = me()
    return render_template(
        "usage/start.html",
        mine=facts.scientist_start(user),
        managing=facts.manager_start(user) if user.manages_any else None,
        calendars=[(f, list_resources(f)) for f in list_facilities()],
    )
