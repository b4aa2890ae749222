"""Signals the service layer sends after a change is committed (mail, feeds and jobs listen).

Receivers get the booking's id, not the object: they run after the transaction, and must
load what they need themselves.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the action name: "requested", "approved", "rejected", "cancelled", "rescheduled" (the
# service layer), "completed", "no_show", "expired" (usage and the scheduled jobs; actor_id is
# None for a job); keyword arguments: booking_id, actor_id.
booking_changed = _signals.signal("booking-changed")


def booking_was(action: str, booking, actor) -> None:
    booking_changed.send(action, booking_id=booking.id, actor_id=actor.id if actor is not None else None)
