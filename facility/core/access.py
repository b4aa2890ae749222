"""Who may do what: the one access check of pages, API, command line and jobs.

It asks the user object four things and nothing else: ``is_admin``, ``manages_any`` (manages
some facility), ``manages(facility)`` and ``id``; the accounts module defines what they mean. ``may_see_details`` is the privacy rule every view of a booking or usage applies.
A refusal is a ``ServiceError`` 403, the one error type.
"""

from __future__ import annotations

from facility.core.errors import forbidden


def require_admin(actor, message: str = "Only an administrator can do this.") -> None:
    if actor is None or not actor.is_admin:
        raise forbidden(message)


def require_a_manager(actor, message: str = "Only lab managers can do this.") -> None:
    """403 unless ``actor`` manages some facility (an administrator manages all)."""
    if actor is None or not actor.manages_any:
        raise forbidden(message)


def require_manager_of(actor, facility, action: str = "do this") -> None:
    """403 unless ``actor`` manages ``facility`` (administrators manage every facility)."""
    if actor is None or not actor.manages(facility):
        raise forbidden(f"Only a manager of this facility can {action}.")


def may_see_details(viewer, owner_id, facility) -> bool:
    """Privacy, the one rule: whether ``viewer`` may see who holds time at ``facility`` and why
    (the name, e-mail and purpose of the booking or usage of the user ``owner_id``).

    Outside their own organisation, and outside the facilities they manage, a person sees that
    time is taken, never who or why. Within an organisation the rule would allow more; facility
    shows colleagues no more than strangers: the owner, the facility's managers and the
    administrators see the details, everyone else (a colleague, a stranger, nobody signed in)
    sees "Booked". The same people may open the booking itself. Pure: the viewer need only
    answer ``id`` and ``manages(facility)``.
    """
    if viewer is None or getattr(viewer, "is_anonymous", False):
        return False
    return (owner_id is not None and viewer.id == owner_id) or viewer.manages(facility)
