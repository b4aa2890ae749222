"""Mail on booking changes, sent by the scheduler's ``booking_mails`` job from the audit trail.

A change writes its audit event in its own transaction (``booking.requested``,
``booking.approved``...): that event is the order to mail, so a request neither renders nor
sends anything, and waits on no mail server (issue 12). The job reads the events after the
position it reached last time, in the order they were committed, mails each as the booking is
now, and moves its position on (``core.mail.MailPosition``). A mail that fails is logged and
not tried again, as before; one that went out before a crash mid-batch may go out twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, update

from facility.accounts.services import managers_of
from facility.audit.models import AuditEvent
from facility.bookings.models import Booking
from facility.bookings.states import REQUESTED
from facility.core.database import is_outage, write_transaction
from facility.core.extensions import db
from facility.core.mail import MailPosition, mail_language, send_template

log = logging.getLogger("facility.mail")

POSITION = "bookings"  # mail_positions.name, started at the trail's end by migration 0017
BATCH = 200  # events read at a time
# The audit events of a booking that call for mail, and the change each tells.
MAIL_ACTIONS = {
    "booking.requested": "requested",
    "booking.approved": "approved",
    "booking.rejected": "rejected",
    "booking.cancelled": "cancelled",
    "booking.expired": "expired",
}
TO_OWNER = ("approved", "rejected", "cancelled", "expired")  # the decisions templates/mail/booking_decision.txt tells


def booking_url(booking: Booking) -> str:
    return f"{current_app.config.get('FACILITY_BASE_URL', '')}/bookings/{booking.id}"


def send_booking_mails(now: datetime) -> int:
    """Send the mail that the booking changes committed since the last run call for; the
    number of changes mailed about. Runs until it has caught up with the trail. (``now``, as
    every job is given it, is not needed: each mail tells its booking as it is.)"""
    done = 0
    while True:
        position = db.session.get(MailPosition, POSITION)
        if position is None:  # a database made before 0017 mails from now on
            return done
        events, upto = _events_after(position.seq)
        for event in events:
            _mail_about(event)
        _move(position.seq, upto)
        done += len(events)
        if len(events) < BATCH:
            return done


def nothing_to_mail_so_far() -> None:
    """Move the position to the audit trail's end: the changes made so far call for no mail
    (the demo's made-up bookings and their history)."""
    end = _trail_end() or 0
    with write_transaction():
        db.session.execute(update(MailPosition).where(MailPosition.name == POSITION).values(seq=end))


def _events_after(seq: int) -> tuple[list, int]:
    """The booking events after ``seq`` that call for mail (at most ``BATCH``), and how far
    along the trail they take the position (the trail's end when fewer than ``BATCH``)."""
    end = _trail_end() or seq
    events = db.session.execute(
        select(AuditEvent.seq, AuditEvent.action, AuditEvent.entity_id, AuditEvent.actor_id)
        .where(
            AuditEvent.seq > seq,
            AuditEvent.seq <= end,
            AuditEvent.entity == Booking.__tablename__,
            AuditEvent.action.in_(MAIL_ACTIONS),
        )
        .order_by(AuditEvent.seq)
        .limit(BATCH)
    ).all()
    return events, (events[-1].seq if len(events) == BATCH else end)


def _trail_end() -> int | None:
    """The last event's ``seq`` (None: an empty trail)."""
    return db.session.scalar(select(func.max(AuditEvent.seq)))


def _move(old: int, new: int) -> None:
    with write_transaction():
        db.session.execute(
            update(MailPosition).where(MailPosition.name == POSITION, MailPosition.seq == old).values(seq=new)
        )


def _mail_about(event) -> None:
    action = MAIL_ACTIONS[event.action]
    try:
        booking = db.session.get(Booking, event.entity_id)
        if booking is not None:
            _mail_for(action, booking, event.actor_id)
    except Exception as error:  # one mail that fails must not hold back the others
        db.session.rollback()
        if is_outage(error):
            raise  # the position stays: the next run mails it
        current_app.logger.exception("mail for booking %s (%s) failed", event.entity_id, action)


def _mail_for(action: str, booking: Booking, actor_id) -> None:
    url = booking_url(booking)
    members = _bundle_members(booking)
    # A bundle is one request and one decision: its owner is told once (by its first booking),
    # the managers of each facility concerned once (by the first booking at their facility).
    together = [m.resource.name for m in members if m.id != booking.id]
    speaks_for_bundle = not members or members[0].id == booking.id
    if action == "requested":
        if booking.status not in REQUESTED:
            return  # cancelled, rejected or expired before its mail went out: that is all there is to tell
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
