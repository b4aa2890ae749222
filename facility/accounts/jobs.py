"""The accounts' scheduled job: warnings before a qualification lapses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select

from facility.accounts.models import UserQualification
from facility.core.config import default_zone
from facility.core.extensions import db
from facility.core.mail import send_once, send_template

QUALIFICATION_WARNING_DAYS = 30


def warn_expiring_qualifications(now: datetime) -> int:
    """Warn each user once, 30 days before a qualification of theirs lapses."""
    today = now.astimezone(default_zone()).date()
    rows = db.session.scalars(
        select(UserQualification).where(
            UserQualification.valid_until >= today,
            UserQualification.valid_until <= today + timedelta(days=QUALIFICATION_WARNING_DAYS),
        )
    )
    sent = 0
    for held in list(rows):
        key = f"qualification-expiry:{held.id}:{held.valid_until.isoformat()}"
        sent += send_once(
            key,
            now,
            lambda q=held: send_template(
                [q.user.email],
                "qualification_expiry",
                qualification=q.qualification.name,
                valid_until=q.valid_until.isoformat(),
            ),
        )
    return sent


JOBS: dict[str, tuple[Callable[[datetime], int], int]] = {
    # name: (function, interval in seconds)
    "warn_expiring_qualifications": (warn_expiring_qualifications, 3600),
}
