"""The aid module's scheduled job: warnings as a company nears its state-aid ceiling."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from facility.aid.services import warn_state_aid

JOBS: dict[str, tuple[Callable[[datetime], int], int]] = {
    # name: (function, interval in seconds)
    "warn_state_aid": (warn_state_aid, 3600),
}
