"""Facility-local times at the edges: parsing what a form typed, and showing stored instants.

A form gives a naive date and time; it means the wall clock of the facility's zone. In the
spring-forward gap that wall time does not exist (refused with a clear message, where the
rules would map it an hour later: see ``local_instant``); in the autumn fold it exists twice
(the earlier instant, summer time, is taken).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from facility.core.time import FIRST_YEAR, LAST_YEAR  # the one range for pages and API
from facility.core.time import local_instant as rules_local_instant

DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME_PATTERN = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class FieldProblem(Exception):
    """What a user typed in ``field`` cannot be used; ``message`` says why, in words."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def parse_date(text: Optional[str], field: str) -> date:
    text = (text or "").strip()
    if not text:
        raise FieldProblem(field, _("Give a date."))
    if not DATE_PATTERN.match(text):
        raise FieldProblem(field, _("'%(text)s' is not a date like 2026-03-10.", text=text))
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise FieldProblem(field, _("'%(text)s' is not a day of the calendar.", text=text)) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:  # far-off years only overflow the arithmetic
        raise FieldProblem(field, _("Give a date between %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR))
    return day


def parse_time(text: Optional[str], field: str) -> time:
    text = (text or "").strip()
    if not text:
        raise FieldProblem(field, _("Give a time."))
    match = TIME_PATTERN.match(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59 or int(match[3] or 0) > 59:
        raise FieldProblem(field, _("'%(text)s' is not a time like 09:30.", text=text))
    return time(int(match[1]), int(match[2]), int(match[3] or 0))


def local_instant(day: date, clock: time, tz: ZoneInfo, field: str) -> datetime:
    """The UTC instant of the wall time ``day clock`` a person typed for ``tz``.

    The arithmetic is the rules' (``core.time.local_instant``); this adds only the refusal.
    The rules turn wall times they made themselves (opening hours, "07:00 on each day") into
    instants, and there a time inside the spring-forward gap must still give an instant (an hour
    later on the clock) so that a day's schedule never breaks. A form is different: someone typed
    02:30 on the night the clocks skip it, and silently booking 03:30 would be a booking they did
    not ask for, so the form refuses such a time with a message naming the first valid one. A time
    in the autumn fold exists twice; both take the earlier instant (summer time), as the rules do.
    """
    minutes = clock.hour * 60 + clock.minute
    instant = rules_local_instant(day, minutes, tz) + timedelta(seconds=clock.second)
    if instant.astimezone(tz).replace(tzinfo=None) != datetime.combine(day, clock):  # the gap: skipped
        raise FieldProblem(
            field,
            _(
                "%(clock)s does not exist on %(day)s in %(zone)s: the clocks go forward that night. "
                "Choose %(later)s or later.",
                clock=clock.strftime("%H:%M"),
                day=day.isoformat(),
                zone=tz.key,
                later=(datetime.combine(day, clock) + timedelta(hours=1)).strftime("%H:%M"),
            ),
        )
    return instant


def parse_local(date_text: Optional[str], time_text: Optional[str], tz: ZoneInfo, field: str) -> datetime:
    return local_instant(parse_date(date_text, field), parse_time(time_text, field), tz, field)


def to_local(instant: datetime, tz: ZoneInfo | str) -> datetime:
    return instant.astimezone(ZoneInfo(tz) if isinstance(tz, str) else tz)


def format_local(instant: Optional[datetime], tz: ZoneInfo | str, with_zone: bool = True) -> str:
    if instant is None:
        return ""
    local = to_local(instant, tz)
    return local.strftime("%Y-%m-%d %H:%M" + (" %Z" if with_zone else ""))


def format_span(start: datetime, end: datetime, tz: ZoneInfo | str) -> str:
    """'2026-03-10 09:00–13:00 CET', or with both dates when the span crosses a day."""
    a, b = to_local(start, tz), to_local(end, tz)
    if a.date() == b.date():
        return f"{a:%Y-%m-%d %H:%M}–{b:%H:%M %Z}"
    return f"{a:%Y-%m-%d %H:%M %Z} – {b:%Y-%m-%d %H:%M %Z}"


def local_today(tz: ZoneInfo | str) -> date:
    return datetime.now(timezone.utc).astimezone(ZoneInfo(tz) if isinstance(tz, str) else tz).date()


def form_values(instant: datetime, tz: ZoneInfo | str) -> tuple[str, str]:
    """The (date, time) strings of an instant for date and time inputs."""
    local = to_local(instant, tz)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M")
