"""Who may do what: the one access check of pages, API, command line and jobs.

It asks the user object three things and nothing else: ``is_admin``, ``manages_any`` (manages
some facility) and ``manages(facility)``; the accounts module defines what they mean.
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
