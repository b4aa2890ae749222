"""The reads behind the calendars cost a fixed number of SQL statements, whatever the number of
events, people and resources in the window (issue 12): counted over real HTTP, on both databases,
for a quiet week and for a busy one; the server-drawn calendar pages too."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from facility.core.extensions import db
from tests.support.clients import PASSWORD
from tests.support.factory import add_booking, local_slot
from tests.support.statements import statements_sent


def fill_week(app, people, monday: datetime, users: int, per_day: int) -> None:
    """``per_day`` two-hour bookings a weekday on each of the lab's resources, by ``users`` people in turn."""
    emails = [people.make().email for _ in range(users)]
    with app.app_context():
        n = 0
        for resource in ("lab-bsc", "lab-bioreactor"):
            for day in range(5):
                for slot in range(per_day):
                    start = monday + timedelta(days=day, hours=2 * slot)
                    add_booking(resource, emails[n % users], start, start + timedelta(hours=2))
                    n += 1
        db.session.commit()


def statements_of_reads(app, people, users: int, per_day: int, days_ahead: int) -> dict[str, list[str]]:
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    assert manager.get("/facilities").status_code == 200  # the token's first use is behind us
    browser = people.signed_in(manager.email)
    # (the month of the quiet week reaches into the busy one: each is read before the next is filled)
    monday = datetime.fromisoformat(local_slot(days_ahead, 7, weekday=0)[0])
    fill_week(app, people, monday, users, per_day)
    week = {"facility": "lab", "from": monday.isoformat(), "to": (monday + timedelta(days=7)).isoformat()}
    month = {"from": monday.isoformat(), "to": (monday + timedelta(days=31)).isoformat()}
    seen = {}
    with statements_sent(app) as statements:
        listed = manager.get("/bookings", query_string=week)
    assert listed.status_code == 200 and len(listed.get_json()) == 2 * 5 * per_day
    seen["facility week"] = list(statements)
    with statements_sent(app) as statements:
        free = manager.get("/resources/lab-bsc/availability", query_string=month)
    assert free.status_code == 200 and len(free.get_json()["busy"]) >= 5 * per_day
    seen["resource month"] = list(statements)
    tuesday = (monday + timedelta(days=1)).date().isoformat()
    with statements_sent(app) as statements:  # every resource of the lab side by side
        day = browser.get(f"/facilities/lab/day?date={tuesday}")
    assert day.status_code == 200 and day.text.count("Test Scientist (confirmed)") >= per_day
    seen["facility day page"] = list(statements)
    with statements_sent(app) as statements:
        week = browser.get(f"/resources/lab-bsc/week?date={tuesday}")
    assert week.status_code == 200 and week.text.count("Test Scientist (confirmed)") >= 5 * per_day
    seen["resource week page"] = list(statements)
    return seen


@pytest.fixture
def quiet(app, people):
    return statements_of_reads(app, people, users=1, per_day=1, days_ahead=14)


def test_a_busy_week_costs_the_statements_of_a_quiet_one(app, people, quiet):
    busy = statements_of_reads(app, people, users=7, per_day=5, days_ahead=56)
    for read, statements in busy.items():
        assert len(statements) == len(quiet[read]), (read, statements, quiet[read])
        # A page reads its session and signed-in user first, and writes the session's last use.
        assert len(statements) <= (10 if read.endswith("page") else 6), (read, statements)
