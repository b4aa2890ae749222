"""The recurrence of a booking series: an RFC 5545 RRULE checked and expanded by python-dateutil.

Pure functions over plain values (no Flask, no database). An RRULE is expanded in the facility's
wall-clock time (naive local datetimes), and only then is each occurrence placed in the zone and
converted to UTC: every occurrence starts at the same local time and lasts the same local time,
across daylight-saving changes. No recurrence is computed by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import islice
from typing import Optional
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from facility.core.errors import Violation
from facility.core.words import N_

DEFAULT_MAX_OCCURRENCES = 104
RULE_FIELD = "rrule"
_UNTIL = re.compile(r"^(\d{8})(?:T(\d{6})(Z?))?$")
# The parts a series' RRULE may have: the day pattern. The time of day is the series' start
# (no BYHOUR...), and bookings repeat at most daily (no HOURLY...): rules that dateutil would
# search for centuries without finding an occurrence stay few and cheap.
ALLOWED_PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST")
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
MAX_NUMBER = 10_000  # of COUNT and INTERVAL (the cap on occurrences is far lower)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence: its local wall-clock start and end, and the same instants in UTC.
    ``problems`` holds what is wrong with the time itself (a local time that does not exist)."""

    local_start: datetime
    local_end: datetime
    start: datetime
    end: datetime
    problems: tuple[Violation, ...] = field(default=())


@dataclass(frozen=True)
class Expansion:
    occurrences: list[Occurrence]
    violations: list[Violation]

    @property
    def ok(self) -> bool:
        return not self.violations


def _refuse(code: str, message: str) -> Expansion:
    return Expansion([], [Violation(code, message, RULE_FIELD)])


def rule_body(text: str) -> str:
    """The rule's parts without an optional ``RRULE:`` prefix, upper-cased, trimmed."""
    body = (text or "").strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    return body.strip().upper()


def rule_parts(body: str) -> Optional[dict[str, str]]:
    """``{"FREQ": "WEEKLY", ...}``, or None where the text is not NAME=VALUE;... at all."""
    parts = {}
    for item in body.split(";"):
        name, sep, value = item.partition("=")
        if not sep or not name or not value or name in parts:
            return None
        parts[name] = value
    return parts


def _local_until(value: str, zone: ZoneInfo) -> Optional[str]:
    """UNTIL as a local wall-clock time (the rule is expanded in naive local time): RFC 5545
    writes it in UTC ('Z') when DTSTART has a zone, or as a date; None if malformed."""
    match = _UNTIL.match(value)
    if not match:
        return None
    day, clock, utc = match.groups()
    if not clock:
        return f"{day}T235959"
    if not utc:
        return f"{day}T{clock}"
    try:
        instant = datetime.strptime(day + clock, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return instant.astimezone(zone).strftime("%Y%m%dT%H%M%S")


def parse(text: str, local_start: datetime, zone: ZoneInfo) -> tuple[Optional[rrule], list[Violation]]:
    """The rule of ``text`` starting at the naive local ``local_start``, or the violations
    (``rrule_invalid``: malformed; ``rrule_unbounded``: neither COUNT nor UNTIL)."""
    body = rule_body(text)
    parts = rule_parts(body) if body else None
    if parts is None or any(not ch.isprintable() for ch in body):
        return None, [Violation("rrule_invalid", "The repetition rule is not an RFC 5545 RRULE.", RULE_FIELD)]
    unknown = sorted(set(parts) - set(ALLOWED_PARTS))
    if unknown or parts.get("FREQ") not in FREQUENCIES:
        message = (
            f"A series' repetition rule has FREQ={'|'.join(FREQUENCIES)} and only the parts "
            f"{', '.join(ALLOWED_PARTS)}" + (f" (not {', '.join(unknown)})." if unknown else ".")
        )
        return None, [Violation("rrule_invalid", message, RULE_FIELD)]
    for name in ("INTERVAL", "COUNT"):  # dateutil would loop for ever on INTERVAL=0
        value = parts.get(name, "1")
        if not (value.isdigit() and value.isascii() and 1 <= int(value) <= MAX_NUMBER):
            return None, [
                Violation("rrule_invalid", f"{name} must be a whole number from 1 to {MAX_NUMBER}.", RULE_FIELD)
            ]
    if "COUNT" in parts and "UNTIL" in parts:
        return None, [Violation("rrule_invalid", "Give COUNT or UNTIL, not both (RFC 5545).", RULE_FIELD)]
    if "COUNT" not in parts and "UNTIL" not in parts:
        return None, [
            Violation.worded("rrule_unbounded", N_("The repetition rule needs an end: COUNT or UNTIL."), RULE_FIELD)
        ]
    if "UNTIL" in parts:
        until = _local_until(parts["UNTIL"], zone)
        if until is None:
            return None, [Violation("rrule_invalid", "UNTIL must be a date or a date and time.", RULE_FIELD)]
        parts["UNTIL"] = until
    try:
        rule = rrulestr(";".join(f"{k}={v}" for k, v in parts.items()), dtstart=local_start)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as error:
        message = f"The repetition rule is not an RFC 5545 RRULE ({error})."
        return None, [Violation("rrule_invalid", message, RULE_FIELD)]
    if not isinstance(rule, rrule):
        return None, [Violation("rrule_invalid", "Give one RRULE only.", RULE_FIELD)]
    return rule, []


def place(local: datetime, zone: ZoneInfo) -> tuple[datetime, bool]:
    """The naive local ``local`` in ``zone`` as UTC, and whether that wall-clock time exists
    (False in the hour skipped in spring). An ambiguous autumn time is its first instance."""
    aware = local.replace(tzinfo=zone)
    instant = aware.astimezone(timezone.utc)
    exists = instant.astimezone(zone).replace(tzinfo=None) == local
    return instant, exists


def occurrence(local_start: datetime, duration: timedelta, zone: ZoneInfo) -> Occurrence:
    """One occurrence lasting ``duration`` of wall-clock time from ``local_start``."""
    local_end = local_start + duration
    start, start_exists = place(local_start, zone)
    end, end_exists = place(local_end, zone)
    problems = ()
    if not (start_exists and end_exists):
        problems = (
            Violation.worded("nonexistent_time", N_("This local time does not exist (daylight saving)."), "start"),
        )
    return Occurrence(local_start, local_end, start, end, problems)


def expand(
    text: str,
    local_start: datetime,
    duration: timedelta,
    zone: ZoneInfo,
    *,
    max_occurrences: int = DEFAULT_MAX_OCCURRENCES,
    horizon: Optional[datetime] = None,
) -> Expansion:
    """Every occurrence of the rule ``text`` from the naive local ``local_start``, each lasting
    ``duration`` of wall-clock time in ``zone``; or why the rule is refused: ``rrule_invalid``,
    ``rrule_unbounded``, ``rrule_too_many`` (more than ``max_occurrences``),
    ``rrule_beyond_horizon`` (an occurrence ends after ``horizon``, an aware instant),
    ``rrule_empty`` (no occurrence at all)."""
    if local_start.tzinfo is not None:
        raise ValueError("expand takes a naive local start")
    if duration <= timedelta(0):
        return Expansion([], [Violation.worded("end_before_start", N_("The end must be after the start."), "end")])
    rule, violations = parse(text, local_start, zone)
    if rule is None:
        return Expansion([], violations)
    try:
        starts = list(islice(rule, max_occurrences + 1))
    except (ValueError, OverflowError) as error:
        return _refuse("rrule_invalid", f"The repetition rule cannot be expanded ({error}).")
    if len(starts) > max_occurrences:
        return _refuse("rrule_too_many", f"A series has at most {max_occurrences} occurrences.")
    if not starts:
        return _refuse("rrule_empty", "The repetition rule gives no occurrence from the start given.")
    found = [occurrence(start, duration, zone) for start in starts]
    if horizon is not None and found[-1].end > horizon:
        beyond = found[-1].local_start.date().isoformat()
        return Expansion(
            found,
            [
                Violation.worded(
                    "rrule_beyond_horizon",
                    N_("The series runs past the booking horizon (until %(until)s)."),
                    RULE_FIELD,
                    until=beyond,
                )
            ],
        )
    return Expansion(found, [])


# --- building a rule from the booking form's choices ------------------------------------

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def weekly_rule(weekdays: list[int], *, count: Optional[int] = None, until: Optional[str] = None) -> str:
    """FREQ=WEEKLY on ``weekdays`` (Mon=0), for ``count`` times or until the local date ``until``
    (YYYY-MM-DD)."""
    days = ",".join(WEEKDAY_CODES[d] for d in sorted(set(weekdays)))
    return _bounded(f"FREQ=WEEKLY;BYDAY={days}", count, until)


def monthly_first_rule(weekday: int, *, count: Optional[int] = None, until: Optional[str] = None) -> str:
    """FREQ=MONTHLY on the first ``weekday`` (Mon=0) of each month."""
    return _bounded(f"FREQ=MONTHLY;BYDAY=1{WEEKDAY_CODES[weekday]}", count, until)


def _bounded(rule: str, count: Optional[int], until: Optional[str]) -> str:
    if count is not None:
        return f"{rule};COUNT={count}"
    if until:
        return f"{rule};UNTIL={until.replace('-', '')}"
    return rule
