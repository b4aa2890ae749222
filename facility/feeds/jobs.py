"""The feeds module's scheduled job: refreshing the outside calendars (calendar sources)."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from facility.feeds.sources import refresh_all_sources


def refresh_calendar_sources(now: datetime) -> int:
    result = refresh_all_sources()
    return int(result) if isinstance(result, int) else 0


JOBS: dict[str, tuple[Callable[[datetime], int], int]] = {
    # name: (function, interval in seconds)
    "refresh_calendar_sources": (refresh_calendar_sources, 900),
}
