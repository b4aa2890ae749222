"""``python -m benchmarks.http_create --serve-postgres 1,2,4``: this checkout served by gunicorn
with 1, 2, then 4 workers on a throw-away PostgreSQL 15 (started as ``tests/support/postgres.py``
starts it: fsync off, so the figures are of the application and the database's locking, not of
a disk), with a catalogue made for the load, and the load of ``http_create`` aimed at it.
Not run in CI: it takes about a minute and its figures depend on the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# One facility open around the clock and four rooms with no approval, quota or qualification:
# every request of the load is for a free, allowed slot, so each answer measures the full path
# of a create (token, rules, exclusion constraint, audit event, commit).
CATALOGUE = """
facilities:
  - key: load
    name: Load test facility
    organisation: Benchmarks
    gmp_level: research
    timezone: Europe/Stockholm
    opening_hours: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}
    closed_days: []
    defaults:
      slot_minutes: 60
      min_minutes: 60
      max_minutes: 480
      lead_minutes: 0
      horizon_days: 3650
      changeover_minutes: 0
      requires_approval: false
    resources:
      - {key: load-room-1, name: Load room 1, kind: room}
      - {key: load-room-2, name: Load room 2, kind: room}
      - {key: load-room-3, name: Load room 3, kind: room}
      - {key: load-room-4, name: Load room 4, kind: room}
"""
RESOURCES = ["load-room-1", "load-room-2", "load-room-3", "load-room-4"]


def _prepare(url: str, tmp: Path) -> str:
    """Migrate, load the catalogue, make an admin and return the admin's API token."""
    from flask_migrate import upgrade

    from facility import create_app
    from facility.accounts import services as accounts
    from facility.catalog.services import load_catalog

    catalogue = tmp / "load.yaml"
    catalogue.write_text(CATALOGUE)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade(revision="heads")
        load_catalog(catalogue)
        accounts.create_organisation("bench", "Benchmarks", "university")
        accounts.create_user("load@example.org", "Load", "bench", "admin")
        _token, secret = accounts.issue_token("load@example.org", "load")
    return secret


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


def serve_and_load(worker_counts: list[int], threads: int, creates: int) -> None:
    from benchmarks.http_create import run, show
    from tests.support.postgres import PostgresServer, free_port

    server = PostgresServer().start()
    try:
        server.execute("CREATE DATABASE load")
        url = server.url("load")
        with tempfile.TemporaryDirectory() as tmp:
            token = _prepare(url.replace("postgresql://", "postgresql+psycopg://"), Path(tmp))
            first = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=2)
            hours = creates // len(RESOURCES) + 24
            print(f"PostgreSQL 15 (fsync off), {threads} client threads, {creates} creates on distinct slots")
            for n, workers in enumerate(worker_counts):
                port = free_port()
                process = _gunicorn(url, workers, port, Path(tmp))
                try:
                    base_url = f"http://127.0.0.1:{port}"
                    _wait(base_url)
                    start = first + timedelta(hours=hours * n)
                    warm = first + timedelta(days=3000 + 10 * n)
                    run(base_url, token, RESOURCES, warm, 2, 20, 60, 60)  # every worker started and connected
                    result = run(base_url, token, RESOURCES, start, threads, creates, 60, 60)
                    floor = run(base_url, token, [""], start, threads, creates, 0, 0, floor=True)
                    show(f"gunicorn -w {workers}", result)
                    show(f"  floor (GET, -w {workers})", floor)
                finally:
                    process.terminate()
                    process.wait(15)
    finally:
        server.stop()
