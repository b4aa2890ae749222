"""Timings of the hot paths on a busy facility: `make benchmark`.

Builds a throw-away SQLite database with the test catalogue and a year of bookings, then
times the availability query behind the calendar pages, the rule check, and booking
requests through the service layer. Prints one line per measurement.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

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


def timed(label: str, runs: int, action) -> None:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began) * 1000)
    print(
        f"{label:<58} median {statistics.median(samples):8.2f} ms   p95 {sorted(samples)[int(runs * 0.95) - 1]:8.2f} ms   (n={runs})"
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
            time_accepted_requests(bsc, now)
            user_id = user.id
        time_feeds(app, user_id)


def time_accepted_requests(resource, now: datetime) -> None:
    """Accepted requests: a new scientist books an hour at 10:00 local on weekdays ahead (within
    the weekly quota), in a stretch of the resource's calendar whose history was cancelled."""
    zone = ZoneInfo(resource.facility.timezone)
    db.session.execute(
        db.update(Booking)
        .where(
            Booking.resource_id == resource.id,
            Booking.start_at >= now + timedelta(days=2),
            Booking.start_at < now + timedelta(days=110),
        )
        .values(status="cancelled")
    )
    db.session.commit()
    scientist = accounts.create_user("scientist@example.org", "Scientist", "lu", "scientist")
    days = (now.astimezone(zone).date() + timedelta(days=d) for d in range(3, 110))
    slots = iter(
        [
            (start, start + timedelta(hours=1))
            for start in (datetime.combine(day, datetime.min.time(), zone).replace(hour=10) for day in days)
            if start.weekday() < 5
        ]
    )

    def request_accepted():
        start, end = next(slots)
        services.request_booking(scientist, resource.key, start.astimezone(timezone.utc), end.astimezone(timezone.utc))

    timed("booking request through the service layer (accepted)", 60, request_accepted)


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
    main()
