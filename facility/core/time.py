"""Time at the edges: wall-clock minutes of a local day, opening-hour ranges, the years we serve.

Plain functions over plain values (no Flask, no database), shared by the catalogue (opening
hours), the booking rules, the forms and the API fields.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# Instants outside these years are refused at the edges: nobody books there, and the
# interval arithmetic (a week either side, a day's changeover) would overflow near year 9999.
FIRST_YEAR, LAST_YEAR = 2000, 2100
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def local_instant(day: date, minute_of_day: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time ``minute_of_day`` minutes after ``day``'s midnight.

    Wall time, not elapsed time: 07:00 is 07:00 on a day with a DST change too. A wall time
    inside the spring-forward gap maps to the instant an hour later on the clock.
    """
    day = day + timedelta(days=minute_of_day // MINUTES_PER_DAY)
    minute_of_day %= MINUTES_PER_DAY
    wall = datetime(day.year, day.month, day.day, minute_of_day // 60, minute_of_day % 60, tzinfo=tz)
    return wall.astimezone(timezone.utc)


def parse_hours(text: str) -> tuple[int, int]:
    """``"07:00-19:00"`` -> ``(420, 1140)``; ``"24:00"`` is accepted as an end."""
    try:
        opening, closing = (part.strip() for part in text.split("-"))
        open_minute, close_minute = _minute(opening), _minute(closing)
    except ValueError:
        raise ValueError(f"'{text}' is not a range like 07:00-19:00") from None
    if open_minute >= MINUTES_PER_DAY:
        raise ValueError(f"'{text}' opens at 24:00")
    if open_minute == close_minute:
        raise ValueError(f"'{text}' is empty")
    return open_minute, close_minute


def _minute(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    if len(hours) != 2 or len(mins) != 2 or not (hours + mins).isdigit():
        raise ValueError(hhmm)
    value = int(hours) * 60 + int(mins)
    if int(mins) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(hhmm)
    return value


def utcnow() -> datetime:
    """Now, aware and in UTC: what the database stores and the rules compare."""
    return datetime.now(timezone.utc)
