"""The waiting list's scheduled job, a plain function of ``now`` so tests run it at chosen times."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from facility.waitlist import services


def expire_offers(now: datetime) -> int:
    """Offers whose hold ran out go to the next in line; waits whose time passed expire; free
    time is offered to whoever waits for it."""
    return services.expire_offers(now)


JOBS: dict[str, tuple[Callable[[datetime], int], int]] = {
    "waitlist_expire_offers": (expire_offers, 60),
}
