"""Mail on booking changes: sent after the change is committed, never breaking the request."""

from __future__ import annotations

import logging

from flask import current_app, has_app_context
from sqlalchemy import select

from facility.accounts.services import managers_of
from facility.bookings.models import Booking
from facility.core.database import is_outage
from facility.core.extensions import db
from facility.core.mail import mail_language, send_template

log = logging.getLogger("facility.mail")

TO_OWNER = ("approved", "rejected", "cancelled", "expired")  # the decisions templates/mail/booking_decision.txt tells


def booking_url(booking: Booking) -> str:
    return f"{current_app.config.get('FACILITY_BASE_URL', '')}/bookings/{booking.id}"


def on_booking_changed(action, booking_id=None, actor_id=None, **_):
    if not has_app_context() or booking_id is None:
        return
    try:
        booking = db.session.get(Booking, booking_id)
        if booking is not None:
            _mail_for(action, booking, actor_id)
    except Exception as error:  # mail must never break the change that was already committed
        db.session.rollback()  # the request goes on with a usable session
        if is_outage(error):
            current_app.logger.warning(
                "mail for booking %s (%s) not sent: the database is unavailable", booking_id, action
            )
        else:
            current_app.logger.exception("mail for booking %s (%s) failed", booking_id, action)


def _mail_for(action: str, booking: Booking, actor_id) -> None:
    url = booking_url(booking)
    members = _bundle_members(booking)
    # A bundle is one request and one decision: its owner is told once (by its first booking),
    # the managers of each facility concerned once (by the first booking at their facility).
    together = [m.resource.name for m in members if m.id != booking.id]
    speaks_for_bundle = not members or members[0].id == booking.id
    if action == "requested":
        first_here = next((m for m in members if m.facility.id == booking.facility.id), booking)
        if booking.status == "pending" and first_here.id == booking.id:
            send_template(
                managers_of([booking.facility.id]),
                "bookings/mail/request_to_approve",
                booking=booking,
                url=url,
                together=together,
            )
        if not speaks_for_bundle:
            return
        owner = booking.user  # loaded already: their locale needs no lookup of the address
        send_template(
            [owner.email],
            "bookings/mail/booking_requested",
            language=mail_language(owner.locale),
            booking=booking,
            url=url,
            together=together,
        )
        return
    if action not in TO_OWNER or not speaks_for_bundle:
        return
    if action == "cancelled" and actor_id == booking.user_id:
        return  # the owner knows: they cancelled it themselves
    send_template(
        [booking.user.email],
        "bookings/mail/booking_decision",
        action=action,
        booking=booking,
        url=url,
        together=together,
    )


def _bundle_members(booking: Booking) -> list[Booking]:
    """Every booking of ``booking``'s bundle in order, or [] for a booking of its own."""
    if booking.bundle_id is None:
        return []
    return list(db.session.scalars(select(Booking).where(Booking.bundle_id == booking.bundle_id).order_by(Booking.id)))
