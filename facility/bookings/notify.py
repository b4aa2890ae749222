"""Mail on booking changes: sent after the change is committed, never breaking the request."""

from __future__ import annotations

import logging

from flask import current_app, has_app_context

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
    if action == "requested":
        if booking.status == "pending":
            send_template(
                managers_of([booking.facility.id]), "bookings/mail/request_to_approve", booking=booking, url=url
            )
        owner = booking.user  # loaded already: their locale needs no lookup of the address
        send_template(
            [owner.email],
            "bookings/mail/booking_requested",
            language=mail_language(owner.locale),
            booking=booking,
            url=url,
        )
        return
    if action not in TO_OWNER:
        return
    if action == "cancelled" and actor_id == booking.user_id:
        return  # the owner knows: they cancelled it themselves
    send_template([booking.user.email], "bookings/mail/booking_decision", action=action, booking=booking, url=url)
