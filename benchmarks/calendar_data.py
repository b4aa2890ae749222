"""The interactive calendar's data (issue 15): GET /api/v1/calendar for a facility month of 2,000
bookings, served in under 50 ms. Twenty-four resources open 07:00-19:00 on weekdays, bookings of one
to three hours by 40 people, a scientist's view (their own in detail, the others' as "Booked")
and a manager's (everyone's by name): bookings, changeover, closed days and the free time of
every resource, as the calendar draws them.

Then the page in Debian's Chromium (issue 15: interactive in under 1 s): from navigation to the
calendar drawn with its events, for a resource's week and for the facility's day (one column
per resource, side by side), over a real socket.

``python -m benchmarks.calendar_data`` (also part of ``make benchmark``). SQLite, a throw-away
database; the median of 20 runs after one warm-up (5 for the browser).
"""

from __future__ import annotations

import logging
import random
import statistics
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask_migrate import upgrade

from benchmarks.catalogue import DAYS, one_facility
from benchmarks.timing import p95, samples_ms
from facility import create_app
from facility.accounts import services as accounts
from facility.bookings.models import Booking
from facility.catalog import services as catalog
from facility.catalog.services import load_catalog
from facility.core.extensions import db

TARGET_MS = 50
PAGE_TARGET_MS = 1000
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "a-long-benchmark-password"
BOOKINGS = 2_000
RESOURCES = 24
USERS = 40
CATALOGUE = one_facility(
    "month",
    "A busy facility",
    {day: ["07:00-19:00"] for day in DAYS[:5]},
    [(f"tool-{n:02d}", f"Tool {n}", "instrument") for n in range(1, RESOURCES + 1)],
    public_holidays="SE",
    slot_minutes=30,
    min_minutes=30,
    max_minutes=480,
    horizon_days=365,
    changeover_minutes=30,
)


def fill(resource_ids: list[int], user_ids: list[int], first: datetime, days: int) -> int:
    """``BOOKINGS`` bookings in the facility's opening hours over ``days`` days, spread over the resources."""
    rows, per_resource = [], BOOKINGS // len(resource_ids)
    for resource_id in resource_ids:
        cursor, made = first, 0
        while made < per_resource:
            if cursor.weekday() >= 5 or cursor.hour >= 17:
                cursor = (cursor + timedelta(days=1)).replace(hour=6)  # 07:00 in winter, in UTC
                continue
            end = cursor + timedelta(hours=random.choice([1, 1, 2, 3]))
            rows.append(
                dict(resource_id=resource_id, user_id=random.choice(user_ids), start_at=cursor, end_at=end,
                     blocked_until=end + timedelta(minutes=30), status=random.choice(["confirmed", "pending"]),
                     purpose="Expansion run", sequence=0, decision_reason="", created_at=cursor, updated_at=cursor)
            )  # fmt: skip
            cursor = end + timedelta(minutes=30)
            made += 1
    assert rows[-1]["start_at"] < first + timedelta(days=days), "the bookings do not fit in the month"
    db.session.execute(db.insert(Booking), rows)
    db.session.commit()
    return len(rows)


def timed(label: str, action, runs: int = 20) -> float:
    samples = samples_ms(action, runs)
    median = statistics.median(samples)
    verdict = "meets" if median < TARGET_MS else "MISSES"
    print(f"{label:<60} median {median:7.2f} ms   p95 {p95(samples):7.2f} ms"
          f"   target < {TARGET_MS} ms: {verdict}   (n={runs})")  # fmt: skip
    return median


def main() -> None:
    random.seed(15)
    with tempfile.TemporaryDirectory() as tmp:
        catalogue = Path(tmp) / "month.yaml"
        catalogue.write_text(CATALOGUE)
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/month.sqlite3", "SECRET_KEY": "bench"})
        now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        first = (now + timedelta(days=7)).replace(day=1, hour=6) + timedelta(days=31)
        first = first.replace(day=1)
        with app.app_context():
            upgrade(revision="heads")
            load_catalog(catalogue)
            accounts.create_organisation("lu", "Lund University", "university")
            manager = accounts.create_user("manager@example.org", "Manager", "lu", "manager", facilities=["month"])
            users = [accounts.create_user(f"user{n}@example.org", f"User {n}", "lu", "scientist") for n in range(USERS)]
            accounts.create_user("browser@example.org", "Browser", "lu", "scientist", password=PASSWORD)
            resources = catalog.list_resources()
            made = fill([r.id for r in resources], [u.id for u in users], first, 31)
            tokens = {
                "manager": accounts.issue_token(manager.email, "bench")[1],
                "scientist": accounts.issue_token(users[0].email, "bench")[1],
            }
        client = app.test_client()
        query = {"facility": "month", "from": first.isoformat(), "to": (first + timedelta(days=31)).isoformat()}
        print(f"Calendar data: {made} bookings in a month of one facility over {len(resources)} resources (SQLite)")
        for who, secret in tokens.items():
            for free, view in ((False, "as the month view asks"), (True, "with every free span")):

                def fetch(secret=secret, free=free):
                    response = client.get(
                        "/api/v1/calendar",
                        query_string={**query, "free": str(free).lower()},
                        headers={"Authorization": f"Bearer {secret}"},
                    )
                    assert response.status_code == 200, response.get_data(as_text=True)[:300]
                    return response

                events = len(fetch().get_json()["events"])
                timed(f"calendar data, a facility month, {who}, {view} ({events} events)", fetch)
        time_pages(app, first)


def time_pages(app, first: datetime) -> None:
    """The week page of one resource and the facility's day in Chromium: navigation to drawn events."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("page timings skipped: playwright is not installed (pip install -e '.[test]')")
        return
    if not Path(CHROMIUM).exists():
        print(f"page timings skipped: no Chromium at {CHROMIUM} (make chromium)")
        return
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request in the figures

    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    day = (first + timedelta(days=(7 - first.weekday()) % 7 + 1)).date().isoformat()  # a Tuesday of the month
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(base + "/sign-in")
            page.fill("#email", "browser@example.org")
            page.fill("#password", PASSWORD)
            page.click("form.narrow button[type=submit]")
            page.wait_for_url(base + "/")
            for label, path in (
                ("week page of one resource in Chromium, events drawn", f"/resources/tool-01/week?date={day}"),
                (f"facility day in Chromium ({RESOURCES} resources side by side)", f"/facilities/month/day?date={day}"),
            ):

                def load(path=path):
                    page.goto(base + path)
                    page.locator(".fc-timegrid-event").first.wait_for(timeout=10_000)

                timed_page(label, load)
            browser.close()
    finally:
        server.shutdown()
        thread.join(5)


def timed_page(label: str, action, runs: int = 5) -> None:
    samples = samples_ms(action, runs)
    median = statistics.median(samples)
    verdict = "meets" if median < PAGE_TARGET_MS else "MISSES"
    print(f"{label:<60} median {median:7.0f} ms   max {max(samples):7.0f} ms"
          f"   target < {PAGE_TARGET_MS} ms: {verdict}   (n={runs})")  # fmt: skip


if __name__ == "__main__":
    main()
