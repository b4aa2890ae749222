"""``python -m benchmarks.http_create --serve-postgres 1,2,4`` (or ``--serve-sqlite 2``): this
checkout served by gunicorn with 1, 2, then 4 workers on a throw-away PostgreSQL 15 (started as
``tests/support/postgres.py`` starts it: fsync off, so the figures are of the application and the
database's locking, not of a disk) or on a SQLite file, with a catalogue made for the load, and the
load of ``http_create`` aimed at it. Then the reads of a busy week: 1,180 bookings on 20 rooms
(NEMO's scale, benchmarks/README.md "Beside NEMO"), listed for the week through the API.
Not run in CI: it takes about a minute and its figures depend on the machine.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchmarks.catalogue import ALWAYS_OPEN, one_facility

ROOT = Path(__file__).resolve().parents[1]

# One facility open around the clock and twenty rooms with no approval, quota or qualification:
# every request of the load (on the first four) is for a free, allowed slot, so each answer
# measures the full path of a create (token, rules, exclusion constraint, audit event, commit).
CATALOGUE = one_facility(
    "load",
    "Load test facility",
    ALWAYS_OPEN,
    [(f"load-room-{i}", f"Load room {i}", "room") for i in range(1, 21)],
    slot_minutes=60,
    min_minutes=60,
    max_minutes=480,
    horizon_days=3650,
    changeover_minutes=0,
)
RESOURCES = ["load-room-1", "load-room-2", "load-room-3", "load-room-4"]
ROOMS = [f"load-room-{i}" for i in range(1, 21)]
WEEK_BOOKINGS = 1180  # NEMO's scale: 1,180 reservations a week on 20 tools


def _prepare(url: str, tmp: Path, week: datetime) -> str:
    """Migrate, load the catalogue, make an admin, book the busy week and return the admin's API token."""
    from flask_migrate import upgrade

    from facility import create_app
    from facility.accounts import services as accounts
    from facility.catalog import services as catalog
    from facility.catalog.services import load_catalog

    catalogue = tmp / "load.yaml"
    catalogue.write_text(CATALOGUE)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade(revision="heads")
        load_catalog(catalogue)
        accounts.create_organisation("bench", "Benchmarks", "university")
        admin = accounts.create_user("load@example.org", "Load", "bench", "admin")
        _token, secret = accounts.issue_token("load@example.org", "load")
        _book_week([catalog.get_resource(key).id for key in ROOMS], admin.id, week)
    return secret


def _book_week(resource_ids: list[int], user_id: int, week: datetime) -> None:
    """WEEK_BOOKINGS confirmed bookings in the week from ``week``, in turn on each room: 59 a room,
    one every 168/59 hours, 60 to 150 minutes long (as the NEMO site of "Beside NEMO" is filled)."""
    from facility.bookings.models import Booking
    from facility.core.extensions import db

    rng = random.Random(12)
    per_room = WEEK_BOOKINGS // len(resource_ids)
    rows = []
    for n in range(WEEK_BOOKINGS):
        start = week + timedelta(minutes=int((n // len(resource_ids)) * 168 * 60 / per_room))
        end = start + timedelta(minutes=rng.choice([60, 90, 120, 150]))
        rows.append(
            dict(
                resource_id=resource_ids[n % len(resource_ids)],
                user_id=user_id,
                start_at=start,
                end_at=end,
                blocked_until=end,
                status="confirmed",
                purpose=rng.choice(["", "", "Run A", "Calibration"]),
                sequence=0,
                decision_reason="",
                created_at=week - timedelta(days=30),
                updated_at=week - timedelta(days=30),
            )
        )
    db.session.execute(db.insert(Booking), rows)
    db.session.commit()


def _gunicorn(url: str, workers: int, port: int, tmp: Path) -> subprocess.Popen:
    env = dict(os.environ, FACILITY_DATABASE_URL=url, FACILITY_SECRET_KEY="bench-secret")
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}"]
        + ["--chdir", str(ROOT), "--log-level", "warning", "wsgi:app"],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )


def _wait(base_url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base_url + "/api/v1/openapi.json", timeout=5).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def serve_and_load(worker_counts: list[int], threads: int, creates: int, database: str = "postgresql") -> None:
    """The load and the week's reads against gunicorn with each number of workers in turn, on
    ``database`` ("postgresql": a throw-away server; "sqlite": a file in a temporary folder)."""
    from tests.support.postgres import PostgresServer

    server = None
    with tempfile.TemporaryDirectory() as tmp:
        if database == "sqlite":
            url = f"sqlite:///{tmp}/load.sqlite3"
            name = "SQLite (a file)"
        else:
            server = PostgresServer().start()
            server.execute("CREATE DATABASE load")
            url = server.url("load")
            name = "PostgreSQL 15 (fsync off)"
        try:
            _serve_and_load(url, name, worker_counts, threads, creates, Path(tmp))
        finally:
            if server is not None:
                server.stop()


def _serve_and_load(url: str, name: str, worker_counts: list[int], threads: int, creates: int, tmp: Path) -> None:
    from benchmarks.http_create import read, run, show, show_read
    from tests.support.postgres import free_port

    first = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=2)
    week = first + timedelta(days=200 - first.weekday())  # a Monday, 00:00 UTC, past every slot of the load
    token = _prepare(url.replace("postgresql://", "postgresql+psycopg://"), tmp, week)
    hours = creates // len(RESOURCES) + 24
    print(f"{name}, {threads} client threads, {creates} creates on distinct slots")
    for n, workers in enumerate(worker_counts):
        port = free_port()
        process = _gunicorn(url, workers, port, tmp)
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait(base_url)
            start = first + timedelta(hours=hours * n)
            warm = first + timedelta(days=3000 + 10 * n)
            run(base_url, token, RESOURCES, warm, 2, 20, 60, 60)  # every worker started and connected
            result, floor = _interleaved(base_url, token, start, threads, creates)
            show(f"gunicorn -w {workers}", result)
            show(f"  floor (GET, -w {workers})", floor)
            print(against_targets(result, floor, creates))
            headers = {"Authorization": f"Bearer {token}"}
            window = f"from={_q(week)}&to={_q(week + timedelta(days=7))}"
            show_read(
                f"  a week of 20 rooms (-w {workers})",
                read(base_url, f"/api/v1/bookings?facility=load&{window}", headers, 20),
            )
            show_read(
                f"  a week of one room (-w {workers})",
                read(base_url, f"/api/v1/bookings?resource=load-room-1&{window}", headers, 20),
            )
        finally:
            process.terminate()
            process.wait(15)


ROUNDS = 4


def _interleaved(base_url: str, token: str, start: datetime, threads: int, creates: int) -> tuple[dict, dict]:
    """The creates and the floor in ``ROUNDS`` alternating rounds (a quarter of each at a
    time), so that a machine whose speed drifts during the run (a shared host) weighs on both
    alike; each round's ratio is printed, and the totals are the figures."""
    from benchmarks.http_create import combined, run

    per_round = creates // ROUNDS
    results, floors = [], []
    for n in range(ROUNDS):
        offset = timedelta(minutes=60 * (per_round // len(RESOURCES)) * n)
        results.append(run(base_url, token, RESOURCES, start + offset, threads, per_round, 60, 60))
        floors.append(run(base_url, token, [""], start, threads, per_round, 0, 0, floor=True))
    ratios = [r["created_per_second"] / f["per_second"] for r, f in zip(results, floors)]
    print("  rounds (creates / floor):", ", ".join(f"{ratio:.2f}" for ratio in ratios))
    return combined(results), combined(floors)


# NEMO 8.1.5's calendar create, gunicorn -w 2 on SQLite, this machine, the same client (8 threads,
# 400 creates): 13-41/s over four rounds and twelve interleaved pairs (benchmarks/README.md,
# "Beside NEMO"); the best of its sequential rounds is the figure to beat five times.
NEMO_CREATES_PER_SECOND = 29.9


def against_targets(result: dict, floor: dict, creates: int) -> str:
    """Issue 12's targets for the create load: at least half the no-op floor measured in the same
    run, at least 5 x NEMO's create, and every request accepted."""
    rate, floor_rate = result["created_per_second"], floor["per_second"]
    accepted = result["statuses"] == {201: creates}

    def verdict(ok: bool) -> str:
        return "meets" if ok else "MISSES"

    return (
        f"  targets: >= half the floor ({floor_rate / 2:.0f}/s): {verdict(rate >= floor_rate / 2)}"
        f" ({rate / floor_rate:.2f} of it); >= 5 x NEMO ({5 * NEMO_CREATES_PER_SECOND:.0f}/s):"
        f" {verdict(rate >= 5 * NEMO_CREATES_PER_SECOND)} ({rate / NEMO_CREATES_PER_SECOND:.1f} x);"
        f" every request accepted: {verdict(accepted)}"
    )


def _q(instant: datetime) -> str:
    return urllib.parse.quote(instant.isoformat())
