"""The accounts' scheduled jobs: warnings before a qualification lapses; old sessions pruned."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from facility.accounts.services import expiring_qualifications
from facility.accounts.sessions import prune_sessions
from facility.core.config import default_zone
from facility.core.mail import send_once, send_template


def warn_expiring_qualifications(now: datetime) -> int:
    """Warn each user once, ``EXPIRY_WARNING_DAYS`` before a qualification of theirs lapses."""
    sent = 0
    for held in expiring_qualifications(now.astimezone(default_zone()).date()):
        key = f"qualification-expiry:{held.id}:{held.valid_until.isoformat()}"
        sent += send_once(
            key,
            now,
            lambda q=held: send_template(
                [q.user.email],
                "accounts/mail/qualification_expiry",
                qualification=q.qualification.name,
                valid_until=q.valid_until.isoformat(),
            ),
        )
    return sent


JOBS: dict[str, tuple[Callable[[datetime], int], int]] = {
    # name: (function, interval in seconds)
    "warn_expiring_qualifications": (warn_expiring_qualifications, 3600),
    "prune_sessions": (prune_sessions, 86400),
}
