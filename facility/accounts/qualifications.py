"""When a qualification counts: one rule, plain values, no Flask and no database.

A qualification recorded "valid until 2026-05-31" counts through that whole day in the
facility's zone (a booking ending at 23:30 local time on the 31st is covered). The pages ask
"is it valid today" with the facility's local today, never the server's ``date.today()``;
the booking rules (``bookings.rules._check_qualification``) ask the same question of the
booking's last local day, and the models answer it with ``UserQualification.valid_on``.
"""

from __future__ import annotations

from datetime import date

EXPIRY_WARNING_DAYS = 30  # holders and managers hear of a lapsing qualification this many days ahead


def valid_on(valid_until: date, local_day: date) -> bool:
    """Whether a qualification valid until ``valid_until`` counts on ``local_day`` (a day of the
    facility's calendar): it does through its last day, and no longer."""
    return local_day <= valid_until


def expired_on(valid_until: date, local_day: date) -> bool:
    return not valid_on(valid_until, local_day)
