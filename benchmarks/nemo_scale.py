"""The reads behind the calendars at NEMO's scale (issue 12): 1,180 events a week across 20
resources, the load NIST's NEMO 8.1.5 was measured at (its calendar feed: 2.5 ms per event on
this machine). Target: at least 20 times faster per event, so at most 0.125 ms per event, for
the availability of one resource over a month, a facility's week of bookings, and the same two
through the HTTP API (what the calendar pages and the interactive calendar read).

``python -m benchmarks.nemo_scale`` (also part of ``make benchmark``). SQLite, a throw-away
database; eight weeks of bookings around now; the median of 20 runs after one warm-up.
"""

from __future__ import annotations

import random
import statistics
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask_migrate import upgrade

from benchmarks.catalogue import ALWAYS_OPEN, one_facility
from benchmarks.timing import samples_ms
from facility import create_app
from facility.accounts import services as accounts
from facility.bookings import services
from facility.bookings.models import Booking
from facility.catalog import services as catalog
from facility.catalog.services import load_catalog
from facility.core.extensions import db

NEMO_MS_PER_EVENT = 2.5  # NEMO 8.1.5's calendar feed, at this scale, on this machine (issue 12)
TARGET_MS_PER_EVENT = NEMO_MS_PER_EVENT / 20
RESOURCES = 20
EVENTS_PER_WEEK = 1_180
WEEKS = 8
USERS = 60
CATALOGUE = one_facility(
    "scale",
    "A facility at NEMO's scale",
    ALWAYS_OPEN,
    [(f"tool-{n:02d}", f"Tool {n}", "instrument") for n in range(1, RESOURCES + 1)],
    slot_minutes=30,
    min_minutes=30,
    max_minutes=480,
    horizon_days=365,
    changeover_minutes=0,
)


def fill(resource_ids: list[int], user_ids: list[int], first: datetime) -> None:
    """Back-to-back-ish two-hour bookings, ``EVENTS_PER_WEEK`` a week spread over the resources."""
    every = timedelta(minutes=round(7 * 24 * 60 * len(resource_ids) / EVENTS_PER_WEEK))
    rows = []
    for resource_id in resource_ids:
        cursor = first
        while cursor < first + timedelta(weeks=WEEKS):
            end = cursor + timedelta(hours=2)
            rows.append(
                dict(
                    resource_id=resource_id,
                    user_id=random.choice(user_ids),
                    start_at=cursor,
                    end_at=end,
                    blocked_until=end,
                    status=random.choice(["confirmed", "confirmed", "confirmed", "pending", "completed"]),
                    purpose="Expansion run",
                    sequence=0,
                    decision_reason="",
                    created_at=cursor,
                    updated_at=cursor,
                )
            )
            cursor += every
    db.session.execute(db.insert(Booking), rows)
    db.session.commit()


def per_event(label: str, events: int, action, runs: int = 20) -> None:
    median = statistics.median(samples_ms(action, runs))
    each = median / events
    verdict = "meets" if each <= TARGET_MS_PER_EVENT else "MISSES"
    print(
        f"{label:<52} {events:5d} events  median {median:7.2f} ms  {each:6.3f} ms/event"
        f"  target <= {TARGET_MS_PER_EVENT:.3f}: {verdict}  ({NEMO_MS_PER_EVENT / each:5.1f} x NEMO's feed)"
    )


def main() -> None:
    random.seed(20)
    with tempfile.TemporaryDirectory() as tmp:
        catalogue = Path(tmp) / "scale.yaml"
        catalogue.write_text(CATALOGUE)
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/scale.sqlite3", "SECRET_KEY": "bench"})
        now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        monday = now - timedelta(days=now.weekday()) + timedelta(weeks=1)
        with app.app_context():
            upgrade(revision="heads")
            load_catalog(catalogue)
            accounts.create_organisation("lu", "Lund University", "university")
            manager = accounts.create_user("manager@example.org", "Manager", "lu", "admin")
            users = [accounts.create_user(f"user{n}@example.org", f"User {n}", "lu", "scientist") for n in range(USERS)]
            resources = catalog.list_resources()
            fill([r.id for r in resources], [u.id for u in users], monday - timedelta(weeks=WEEKS // 2))
            _token, secret = accounts.issue_token(manager.email, "scale")
            tool = catalog.get_resource("tool-01")
            month = (monday, monday + timedelta(days=31))
            week = (monday, monday + timedelta(days=7))
            in_month = len(services.availability(tool, *month, now=now).busy)
            in_week = len(
                services.list_bookings(manager, services.BookingFilter(facility="scale", start=week[0], end=week[1]))
            )
            print(f"NEMO's scale: {in_week} events in the facility's week over {len(resources)} resources (SQLite)")
            per_event(
                "availability of one resource, one month (service)",
                in_month,
                lambda: services.availability(tool, *month, now=now),
            )
            per_event(
                "a facility's week of bookings (service)",
                in_week,
                lambda: services.list_bookings(
                    manager, services.BookingFilter(facility="scale", start=week[0], end=week[1])
                ),
            )
        client = app.test_client()
        headers = {"Authorization": f"Bearer {secret}"}
        query_month = {"from": month[0].isoformat(), "to": month[1].isoformat()}
        query_week = {"facility": "scale", "from": week[0].isoformat(), "to": week[1].isoformat()}

        def get(path, query):
            response = client.get(path, query_string=query, headers=headers)
            assert response.status_code == 200, response.status_code
            return response

        per_event(
            "availability of one resource, one month (HTTP)",
            in_month,
            lambda: get("/api/v1/resources/tool-01/availability", query_month),
        )
        per_event("a facility's week of bookings (HTTP, JSON)", in_week, lambda: get("/api/v1/bookings", query_week))


if __name__ == "__main__":
    main()
