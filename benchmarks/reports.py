"""Reports at the scale of years: the monthly report, the funder's indicators and the state-aid
ledger over three years of a busy programme (60 resources, 100,000 bookings, 200,000 usage
records), on SQLite and on PostgreSQL.

The data set is generated deterministically (``random.Random(12)``) and inserted in bulk
(one multi-row INSERT per table through SQLAlchemy Core), so that building it takes seconds,
not minutes. Each figure is the median of a few runs, printed next to its target and as a
multiple of a no-op floor measured in the same run: an authenticated GET /api/v1/facilities
through the same stack (Flask test client, bearer token, the same database).

    python -m benchmarks.reports            # SQLite and PostgreSQL (if its binaries are here)
    python -m benchmarks.reports sqlite     # one of them
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import select

from facility import create_app
from facility.accounts import services as accounts
from facility.accounts.models import Organisation, User
from facility.aid import services as aid
from facility.bookings.models import Booking
from facility.catalog.models import Resource, ResourceRate
from facility.catalog.services import load_catalog
from facility.core.extensions import db
from facility.usage import indicators, reports
from facility.usage.models import UsageRecord

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = 60
BOOKINGS = 100_000
USAGE_RECORDS = 200_000
END = datetime(2026, 11, 1, tzinfo=timezone.utc)  # a fixed instant: the data set never depends on today
START = END - timedelta(days=3 * 365)
TARGET_MS = 1000.0
RUNS = 5
CHUNK = 10_000


def median_ms(action, runs: int) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def report_line(label: str, ms: float, target_ms: float | None, floor_ms: float) -> str:
    target = f"target < {target_ms:6.0f} ms {'ok  ' if ms < target_ms else 'SLOW'}" if target_ms else " " * 25
    return f"{label:<44} median {ms:9.2f} ms   {target}   {ms / floor_ms:8.1f} x floor"


# --- the data set -----------------------------------------------------------------------------


def _insert(table, rows: list[dict]) -> None:
    for i in range(0, len(rows), CHUNK):
        db.session.execute(table.insert(), rows[i : i + CHUNK])


def build(rng: random.Random) -> str:
    """Catalogue, organisations, users, bookings and usage records; returns an admin's API token."""
    load_catalog(ROOT / "instruments.yaml")
    accounts.create_organisation("bench-admin-org", "Bench administration", "university")
    admin = accounts.create_user("bench-admin@example.org", "Bench admin", "bench-admin-org", "admin")
    _token, secret = accounts.issue_token(admin.email, "benchmark")

    # Pad the catalogue to 60 resources by copying existing ones (with their rates).
    resources = list(db.session.scalars(select(Resource).order_by(Resource.id)))
    columns = [c.key for c in Resource.__table__.columns if c.key != "id"]
    rate_columns = [c.key for c in ResourceRate.__table__.columns if c.key not in ("id", "resource_id")]
    copies = []
    for n in range(RESOURCES - len(resources)):
        original = resources[n % len(resources)]
        row = {c: getattr(original, c) for c in columns}
        row["key"] = f"{original.key}-copy{n}"
        copies.append((original.id, row))
    for original_id, row in copies:
        new_id = db.session.execute(Resource.__table__.insert().values(**row)).inserted_primary_key[0]
        rates = db.session.scalars(select(ResourceRate).where(ResourceRate.resource_id == original_id)).all()
        for rate in rates:
            db.session.execute(
                ResourceRate.__table__.insert().values(
                    resource_id=new_id, **{c: getattr(rate, c) for c in rate_columns}
                )
            )
    db.session.commit()
    resource_ids = list(db.session.scalars(select(Resource.id).order_by(Resource.id)))[:RESOURCES]

    kinds = ["company"] * 25 + ["university"] * 10 + ["hospital"] * 3 + ["cro", "other"]
    sizes = ["micro", "small", "medium", "large"]
    _insert(
        Organisation.__table__,
        [
            {
                "key": f"org-{i:02d}",
                "name": f"Organisation {i}",
                "kind": kind,
                "size_class": sizes[i % 4] if kind == "company" else None,
            }
            for i, kind in enumerate(kinds)
        ],
    )
    organisation_ids = list(
        db.session.scalars(select(Organisation.id).where(Organisation.key.like("org-%")).order_by(Organisation.id))
    )
    _insert(
        User.__table__,
        [
            {
                "email": f"user{i}@example.org",
                "name": f"User {i}",
                "organisation_id": organisation_ids[i % len(organisation_ids)],
                "role": "scientist",
                "is_researcher": i % 5 != 0,
                "active": True,
                "created_at": START,
            }
            for i in range(400)
        ],
    )
    users = db.session.execute(select(User.id, User.organisation_id).where(User.email.like("user%"))).all()
    db.session.commit()

    span_hours = int((END - START).total_seconds() // 3600)
    statuses = ["confirmed"] * 2 + ["completed"] * 5 + ["cancelled"] * 2 + ["no_show", "rejected", "pending"]
    bookings, usage = [], []
    per_booking = span_hours // (BOOKINGS // RESOURCES)
    per_use = span_hours // (USAGE_RECORDS // RESOURCES)
    for resource_id in resource_ids:
        cursor = START
        for _ in range(BOOKINGS // RESOURCES):
            hours = rng.randint(1, per_booking - 2)
            end = cursor + timedelta(hours=hours)
            status = rng.choice(statuses)
            user_id, _org = rng.choice(users)
            bookings.append(
                {
                    "resource_id": resource_id,
                    "user_id": user_id,
                    "start_at": cursor,
                    "end_at": end,
                    "blocked_until": end,
                    "status": status,
                    "purpose": "",
                    "sequence": 0,
                    "decision_reason": "",
                    "created_at": cursor - timedelta(days=7),
                    "updated_at": cursor - timedelta(hours=rng.choice([2, 48])),
                }
            )
            cursor += timedelta(hours=per_booking)
        cursor = START
        for _ in range(USAGE_RECORDS // RESOURCES):
            minutes = rng.randint(30, (per_use - 1) * 60)
            user_id, organisation_id = rng.choice(users)
            usage.append(
                {
                    "resource_id": resource_id,
                    "user_id": user_id,
                    "organisation_id": organisation_id,
                    "start_at": cursor,
                    "end_at": cursor + timedelta(minutes=minutes),
                    "source": "walk-up",
                    "reason": "",
                    "flagged": False,
                    "superseded": rng.random() < 0.02,
                    "created_at": cursor,
                }
            )
            cursor += timedelta(hours=per_use)
    _insert(Booking.__table__, bookings)
    _insert(UsageRecord.__table__, usage)
    db.session.commit()
    return secret


# --- the timings ------------------------------------------------------------------------------


def measure(name: str, url: str) -> dict[str, float]:
    rng = random.Random(12)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade(revision="heads")
        began = time.perf_counter()
        secret = build(rng)
        db.session.execute(db.text("ANALYZE"))  # the planner's statistics, as a database in use has them
        db.session.commit()
        built = time.perf_counter() - began
        counts = {
            "bookings": db.session.scalar(select(db.func.count()).select_from(Booking)),
            "usage records": db.session.scalar(select(db.func.count()).select_from(UsageRecord)),
            "resources": db.session.scalar(select(db.func.count()).select_from(Resource)),
        }
    print(f"\n{name}: {', '.join(f'{v} {k}' for k, v in counts.items())} over three years, built in {built:.1f} s")

    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/facilities", headers=headers).status_code == 200
    floor = median_ms(lambda: client.get("/api/v1/facilities", headers=headers), 50)
    month = "2026-06"
    one_year = indicators.Period(END - timedelta(days=365), END)
    three_years = indicators.Period(START, END)
    results = {"floor": floor}
    with app.app_context():
        cases = [
            ("monthly report, every facility (one month)", lambda: reports.monthly_report(None, month)),
            ("indicators, one year", lambda: indicators.indicators(one_year)),
            ("indicators, three years", lambda: indicators.indicators(three_years)),
            ("state-aid ledger, one year (+ 3-year window)", lambda: aid.ledger(None, one_year)),
            ("state-aid standing, three years", lambda: aid.standing(three_years)),
        ]
        print(report_line("no-op floor: GET /api/v1/facilities (token)", floor, None, floor))
        for label, action in cases:
            action()  # warm the caches once, as a server that has run a while would be
            ms = median_ms(action, RUNS)
            results[label] = ms
            print(report_line(label, ms, TARGET_MS, floor))
    answer = client.get(f"/api/v1/reports/monthly?month={month}", headers=headers)
    assert answer.status_code == 200 and len(answer.json["facilities"]) == 3, answer.status_code
    report_http = median_ms(lambda: client.get(f"/api/v1/reports/monthly?month={month}", headers=headers), RUNS)
    print(report_line("the monthly report over HTTP (JSON)", report_http, TARGET_MS, floor))
    return results


def main(which: list[str]) -> None:
    which = which or ["sqlite", "postgresql"]
    if "sqlite" in which:
        with tempfile.TemporaryDirectory() as tmp:
            measure("SQLite", f"sqlite:///{tmp}/reports.sqlite3")
    if "postgresql" in which:
        try:
            from tests.support.postgres import PostgresServer

            server = PostgresServer().start()
        except Exception as error:  # no PostgreSQL binaries here: say so, keep the SQLite figures
            print(f"\nPostgreSQL: not measured ({error})")
            return
        try:
            server.execute("CREATE DATABASE reports")
            measure("PostgreSQL", server.url("reports").replace("postgresql://", "postgresql+psycopg://"))
        finally:
            server.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
