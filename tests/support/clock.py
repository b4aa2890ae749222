"""The test suite's clock: every test runs at a fixed instant, never at "today".

``tests/conftest.py`` has an autouse fixture, ``clock``, that freezes time with
``time_machine.travel(instant, tick=True)`` (time starts at the instant and then runs on, so
timeouts and lead times still behave). By default every test runs at ``DEFAULT_INSTANT``.

A test whose outcome could change with the date is marked ``@pytest.mark.any_date``; it then
runs once at each instant of ``INSTANTS`` (see ``pytest_generate_tests`` in conftest). The
instants are the dates on which date arithmetic in a booking service tends to break:

- the default: an ordinary Tuesday morning in November, mid-week and mid-month, far from any
  daylight-saving change or holiday. A Monday and the Tuesday after it share an ISO week.
- 20 December: the weeks ahead run over Christmas, New Year and Epiphany (Swedish public
  holidays, closed days) and over the turn of the year; a Sunday, so "next Monday" and the
  Tuesday after it are in the next ISO week.
- the last Sunday of March (spring forward): 01:30 local, just before the clocks jump from
  02:00 to 03:00; the day has 23 hours.
- the last Sunday of October (fall back): 02:30 local the *second* time (fold=1), after the
  clocks went back from 03:00 to 02:00; the day has 25 hours.
- New Year's Eve at 23:30 local: half an hour before the date, the month, the year and
  (2026 has an ISO week 53) the ISO year change; UTC is an hour behind.
- 29 February 2028: a leap day ("the same day next year" does not exist).

Subprocesses (gunicorn in ``tests/support/live.py``) get the instant in the environment
variable ``FACILITY_TEST_NOW`` and freeze their own clock there (``tests/support/frozen_wsgi.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import time_machine

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ENVIRONMENT_VARIABLE = "FACILITY_TEST_NOW"


def local(year: int, month: int, day: int, hour: int, minute: int = 0, *, fold: int = 0) -> datetime:
    """A Europe/Stockholm wall-clock time as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM, fold=fold).astimezone(timezone.utc)


DEFAULT_INSTANT = local(2026, 11, 10, 9, 17)  # a Tuesday morning in November

#: (id, instant) pairs over which tests marked ``any_date`` run; see the module docstring.
INSTANTS: list[tuple[str, datetime]] = [
    ("default-2026-11-10", DEFAULT_INSTANT),
    ("20-december", local(2026, 12, 20, 10, 0)),
    ("spring-forward-2027-03-28", local(2027, 3, 28, 1, 30)),
    ("fall-back-2026-10-25", local(2026, 10, 25, 2, 30, fold=1)),
    ("new-years-eve-23-30", local(2026, 12, 31, 23, 30)),
    ("leap-day-2028-02-29", local(2028, 2, 29, 10, 0)),
]

#: The session-wide database templates are migrated and loaded at this instant, before every
#: instant above, so that no test runs "before" its catalogue was loaded.
SETUP_INSTANT = local(2026, 10, 1, 8, 0)


@dataclass(frozen=True)
class Clock:
    """The frozen clock of one test. Time ticks on from ``instant`` while the test runs."""

    instant: datetime  # aware, UTC: where the test's time started

    @property
    def now(self) -> datetime:
        """The current (frozen, ticking) time, aware, in UTC."""
        return now()

    @property
    def local_now(self) -> datetime:
        return now().astimezone(STOCKHOLM)

    @property
    def today(self) -> date:
        """Today's date in Stockholm."""
        return today()

    @property
    def env(self) -> dict[str, str]:
        """What a subprocess needs to run at the same instant (see ``frozen_wsgi``)."""
        return {ENVIRONMENT_VARIABLE: self.now.isoformat()}


def now() -> datetime:
    """The frozen clock's current time, aware, in UTC. It is read from the innermost travel of
    time-machine, never from the real clock: outside a travel (the ``clock`` fixture, or
    ``travel``) it refuses, so that no test can come to depend on today's date."""
    if not time_machine.traveller_stack:
        raise RuntimeError("the clock is not frozen: use the clock fixture or tests.support.clock.travel")
    return datetime.fromtimestamp(time_machine.traveller_stack[-1].time_ns() / 1e9, timezone.utc)


def today() -> date:
    """The frozen clock's date in Stockholm."""
    return now().astimezone(STOCKHOLM).date()


def travel(instant: datetime):
    return time_machine.travel(instant, tick=True)
