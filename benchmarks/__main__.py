"""Timings of the hot paths on a busy facility: `make benchmark`.

Builds a throw-away SQLite database with the test catalogue and a year of bookings, then
times the availability query behind the calendar pages, the rule check, and booking
requests through the service layer; then the reports at the scale of years on SQLite and
PostgreSQL (``benchmarks/reports.py``). Prints one line per measurement: the median, the p95,
the target (set in ``TARGETS`` below, see benchmarks/README.md) and the ratio to a no-op
floor measured in the same run (an authenticated GET /api/v1/facilities through the same
stack), so that a slower machine shows as a slower floor, not as a slower feature.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask_migrate import upgrade

from facility import create_app
from facility.accounts import services as accounts
from facility.accounts.models import User
from facility.bookings import rules, services
from facility.bookings.models import Booking
from facility.catalog import services as catalog
from facility.catalog.services import load_catalog
from facility.core.extensions import db

ROOT = Path(__file__).resolve().parents[1]
BOOKINGS = 20_000
# Targets (ms, median): an interactive page's query well inside 100 ms, a pure check far below
# a millisecond, a feed a calendar client polls inside a second, a cached feed near the floor.
TARGETS = {
    "availability of one resource, one week": 50,
    "availability of one resource, one month": 100,
    "pure rule check of one request": 1,
    "list a month of a facility's bookings (admin)": 200,
    "booking request through the service layer (refused)": 50,
    "facility calendar feed, built in full (no cache)": 1000,
    "facility calendar feed, unchanged since built (HTTP 200)": 50,
    "facility calendar feed, conditional GET (HTTP 304)": 20,
    "facility calendar feed, rebuilt after one booking changed (HTTP 200)": 500,
}
FLOOR = {"ms": 0.0}


def timed(label: str, runs: int, action) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began) * 1000)
    median = statistics.median(samples)
    target = TARGETS.get(label)
    verdict = f"target < {target:5d} ms {'ok  ' if median < target else 'SLOW'}" if target else " " * 24
    ratio = f"{median / FLOOR['ms']:8.1f} x floor" if FLOOR["ms"] else ""
    print(
        f"{label:<58} median {median:8.2f} ms   p95 {sorted(samples)[max(0, int(runs * 0.95) - 1)]:8.2f} ms"
        f"   {verdict}   {ratio}   (n={runs})"
    )
    return median


def measure_floor(app, user_email: str) -> None:
    """The no-op floor: an authenticated GET /api/v1/facilities through the same stack."""
    with app.app_context():
        _token, secret = accounts.issue_token(user_email, "benchmark floor")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    client.get("/api/v1/facilities", headers=headers)
    FLOOR["ms"] = timed(
        "no-op floor: GET /api/v1/facilities (token)", 100, lambda: client.get("/api/v1/facilities", headers=headers)
    )


def fill(resource_ids: list[int], user_id: int) -> None:
    """A year of back-to-back history and future on every resource, inserted directly."""
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(days=180)
    rows, per = [], BOOKINGS // len(resource_ids)
    for resource_id in resource_ids:
        cursor = start
        for _ in range(per):
            end = cursor + timedelta(hours=random.choice([1, 2, 3]))
            rows.append(
                dict(
                    resource_id=resource_id,
                    user_id=user_id,
                    start_at=cursor,
                    end_at=end,
                    blocked_until=end,
                    status=random.choice(["confirmed", "completed", "cancelled"]),
                    purpose="",
                    sequence=0,
                    decision_reason="",
                    created_at=cursor,
                    updated_at=cursor,
                )
            )
            cursor = end + timedelta(hours=random.choice([0, 1, 5]))
    db.session.execute(db.insert(Booking), rows)
    db.session.commit()


def main() -> None:
    random.seed(7)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "SECRET_KEY": "bench"})
        with app.app_context():
            upgrade(revision="heads")
            load_catalog(ROOT / "tests" / "catalog.yaml")
            accounts.create_organisation("lu", "Lund University", "university")
            user = accounts.create_user("bench@example.org", "Bench", "lu", "admin")
            resources = [catalog.get_resource(k) for k in ("lab-bsc", "lab-bioreactor", "gmp-suite")]
            fill([r.id for r in resources], user.id)
            print(f"{BOOKINGS} bookings over a year on {len(resources)} resources (SQLite)")
            measure_floor(app, user.email)
            now = datetime.now(timezone.utc)
            bsc = catalog.get_resource("lab-bsc")
            timed(
                "availability of one resource, one week",
                50,
                lambda: services.availability(bsc, now, now + timedelta(days=7)),
            )
            timed(
                "availability of one resource, one month",
                50,
                lambda: services.availability(bsc, now, now + timedelta(days=31)),
            )
            ctx = services.context_for(
                bsc, now + timedelta(days=3), now + timedelta(days=3, hours=1), now=now, user=user
            )
            timed(
                "pure rule check of one request",
                500,
                lambda: rules.check_booking(now + timedelta(days=3), now + timedelta(days=3, hours=1), ctx),
            )
            timed(
                "list a month of a facility's bookings (admin)",
                20,
                lambda: services.list_bookings(
                    user, services.BookingFilter(facility="lab", start=now, end=now + timedelta(days=31))
                ),
            )

            def request_refused():
                try:
                    services.request_booking(user, "lab-bsc", now + timedelta(days=2), now + timedelta(days=2, hours=1))
                except services.ServiceError:
                    pass

            timed("booking request through the service layer (refused)", 50, request_refused)
            user_id = user.id
        time_feeds(app, user_id)


def time_feeds(app, user_id: int) -> None:
    """A facility's calendar feed: built in full, served from the built-feed cache, answered 304."""
    from datetime import timedelta as minutes_apart

    from facility.feeds import services as feeds
    from facility.feeds.links import feed_url

    with app.test_request_context():
        user = db.session.get(User, user_id)
        feed, _secret = feeds.create_feed(user, "facility", "lab", app.config["SECRET_KEY"].encode())
        path = "/" + feed_url(feed).split("/", 3)[3]
        window = feeds.window_for(feed, datetime.now(timezone.utc))
        timed(
            "facility calendar feed, built in full (no cache)",
            3,
            lambda: feeds.feed_document(feed, window, "http://bench", minutes_apart(minutes=15)),
        )
    client = app.test_client()
    first = client.get(path)
    print(f"facility feed: {first.data.count(b'BEGIN:VEVENT')} events, {len(first.data) // 1024} KiB")
    timed("facility calendar feed, unchanged since built (HTTP 200)", 20, lambda: client.get(path))
    timed(
        "facility calendar feed, conditional GET (HTTP 304)",
        50,
        lambda: client.get(path, headers={"If-None-Match": first.headers["ETag"]}),
    )

    def change_one_booking_and_fetch():
        with app.app_context():
            booking = db.session.scalar(
                db.select(Booking).where(Booking.start_at > datetime.now(timezone.utc)).order_by(Booking.id).limit(1)
            )
            booking.sequence += 1
            db.session.commit()
        response = client.get(path)
        assert response.status_code == 200 and response.headers["ETag"] != first.headers["ETag"]

    timed("facility calendar feed, rebuilt after one booking changed (HTTP 200)", 10, change_one_booking_and_fetch)


if __name__ == "__main__":
    import sys

    from benchmarks import reports as scale_of_years

    main()
    scale_of_years.main(sys.argv[1:])
