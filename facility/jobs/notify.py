"""Mail on booking changes: sent after the change is committed, never breaking the request."""
from __future__ import annotations

import logging

from flask import current_app, has_app_context

from ..bookings.models import Booking
from ..extensions import db
from .mail import send_mail
from .tasks import booking_url, describe, managers_of

log = logging.getLogger("facility.mail")

TO_OWNER = {
    "approved": "Your booking is confirmed",
    "rejected": "Your request was rejected",
    "cancelled": "Your booking is cancelled",
    "expired": "Your request expired without a decision",
}


def on_booking_changed(action, booking_id=None, actor_id=None, **_):
    if not has_app_context() or booking_id is None:
        return
    try:
        booking = db.session.get(Booking, booking_id)
        if booking is not None:
            _mail_for(action, booking, actor_id)
    except Exception:  # mail must never break the change that was already committed
        current_app.logger.exception("mail for booking %s (%s) failed", booking_id, action)


def _mail_for(action: str, booking: Booking, actor_id) -> None:
    if action == "requested":
        if booking.status == "pending":
            send_mail(managers_of([booking.facility.id]), f"Request to approve: {booking.resource.name}",
                      f"{booking.user.name} ({booking.user.email}) asks for {describe(booking)}.\n"
                      f"Purpose: {booking.purpose}\nApprove or reject it at {booking_url(booking)}\n")
        send_mail([booking.user.email], f"Booking {booking.status}: {booking.resource.name}",
                  f"Your booking of {describe(booking)} is {booking.status}"
                  f"{' and waits for approval' if booking.status == 'pending' else ''}.\n{booking_url(booking)}\n")
        return
    if action not in TO_OWNER:
        return
    if action == "cancelled" and actor_id == booking.user_id:
        return  # the owner knows: they cancelled it themselves
    reason = f"\nReason: {booking.decision_reason}" if booking.decision_reason else ""
    send_mail([booking.user.email], f"{TO_OWNER[action]}: {booking.resource.name}",
              f"{TO_OWNER[action]}: {describe(booking)}.{reason}\n{booking_url(booking)}\n")
