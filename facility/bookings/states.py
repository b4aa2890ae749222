"""A booking's states and the changes between them, as plain values (no Flask, no database).

::

    pending   -> confirmed | rejected | cancelled
    confirmed -> cancelled | completed | no_show
    confirmed -> pending        (a reschedule that needs approval again)
    held      -> confirmed | pending | cancelled   (a waiting-list offer: accepted, or declined/expired)

A ``held`` booking is time offered to the first in a waiting list: it is an active claim on the
slot (the overlap checks and PostgreSQL's exclusion constraint cover it), so nobody else can
book it while the offer stands.

Rejected, cancelled, completed and no-show bookings do not change any more. The service
layer (``bookings.services.change_status``) is the one place that changes a booking's status,
and it asks ``check_transition`` first.
"""

from __future__ import annotations

from enum import Enum
from typing import Iterable, Optional, Union

from facility.core.errors import invalid


class BookingStatus(str, Enum):
    """The values are what the database, the API and the feeds store and show."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    HOLD = "held"  # offered from the waiting list, held for the user until they answer

    def __str__(self) -> str:
        return self.value


PENDING, CONFIRMED, REJECTED, CANCELLED, COMPLETED, NO_SHOW, HOLD = BookingStatus

# The named sets of states, defined here once.
ALL = tuple(BookingStatus)
ACTIVE = (PENDING, CONFIRMED, HOLD)  # holds the slot (changeover included)
REQUESTED = (PENDING, CONFIRMED)  # asked for or granted: what its owner may move
WITHDRAWN = (REJECTED, CANCELLED)  # never took place; feeds show it as cancelled
FINISHED = (COMPLETED, NO_SHOW)  # its time came: used, or not used
TERMINAL = WITHDRAWN + FINISHED  # changes no more
HELD = (CONFIRMED, COMPLETED, NO_SHOW)  # booked time that was granted (reports' booked hours)
SHOWN = ACTIVE + FINISHED  # in the calendar feeds as a booking

TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    PENDING: frozenset({CONFIRMED, REJECTED, CANCELLED}),
    CONFIRMED: frozenset({CANCELLED, COMPLETED, NO_SHOW, PENDING}),
    REJECTED: frozenset(),
    CANCELLED: frozenset(),
    COMPLETED: frozenset(),
    NO_SHOW: frozenset(),
    HOLD: frozenset({CONFIRMED, PENDING, CANCELLED}),
}

# How a refusal names the change: "A cancelled booking cannot be approved."
VERBS: dict[BookingStatus, str] = {
    PENDING: "sent back for approval",
    CONFIRMED: "approved",
    REJECTED: "rejected",
    CANCELLED: "cancelled",
    COMPLETED: "completed",
    NO_SHOW: "marked as a no-show",
    HOLD: "held",
}

Status = Union[BookingStatus, str]


def values(statuses: Iterable[BookingStatus]) -> tuple[str, ...]:
    """Plain strings, for SQL ``IN`` and for messages."""
    return tuple(s.value for s in statuses)


def parse(status: Status) -> Optional[BookingStatus]:
    """The state named ``status``, or None if there is no such state."""
    try:
        return BookingStatus(status)
    except ValueError:
        return None


def can_change(current: Status, to: Status) -> bool:
    source, target = parse(current), parse(to)
    return source is not None and target is not None and target in TRANSITIONS[source]


def check_transition(current: Status, to: Status) -> BookingStatus:
    """The target state if a booking in ``current`` may change to ``to``; otherwise the
    ``invalid_state`` error (422) naming the current state."""
    target = parse(to)
    if target is None:
        raise ValueError(f"no booking status {to!r}")
    if not can_change(current, target):
        raise refusal(current, VERBS[target])
    return target


def require(current: Status, allowed: Iterable[Status], verb: str) -> None:
    """For an action that needs the booking in one of ``allowed`` (a reschedule, a check-in)."""
    if parse(current) not in {parse(s) for s in allowed}:
        raise refusal(current, verb)


def refusal(current: Status, verb: str):
    name = current.value if isinstance(current, BookingStatus) else current
    return invalid("invalid_state", f"A {name} booking cannot be {verb}.", "status")
