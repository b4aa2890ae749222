"""kill -9 loses no acknowledged booking (SQLite in WAL mode with synchronous=NORMAL).

gunicorn serves a SQLite database while clients create bookings; mid-load the master and
every worker are killed with SIGKILL. The database is then opened afresh: every booking
whose 201 reached its client is in it, and the database is intact.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time

import requests

from tests.support.databases import make_app, sqlite_url
from tests.support.factory import People, local_slot
from tests.support.live import GunicornServer

CLIENTS = 8
ACKNOWLEDGED_BEFORE_KILL = 40  # kill once this many bookings were acknowledged...
LOAD_SECONDS = 20  # ...or after this long at the latest


def children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as listing:
            found += [int(child) for child in listing.read().split()]
    return found


def slot(client: int, k: int) -> tuple[str, str]:
    """The k-th half hour of ``client``: its own hour of the day, one weekday after the other
    (2.5 h a week, within the resource's quota), never overlapping another client's."""
    return local_slot(2 + 7 * (k // 5), 8 + client, hours=0.5, weekday=k % 5)


def test_no_acknowledged_booking_is_lost_when_gunicorn_is_killed(tmp_path, sqlite_template):
    url = sqlite_url(sqlite_template, tmp_path)
    people = People(make_app(url, tmp_path))
    tokens = [people.make().token for _ in range(CLIENTS)]
    server = GunicornServer(url, tmp_path).start()
    acknowledged: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(i: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tokens[i]}"
        for k in range(80):
            if stop.is_set():
                return
            start, end = slot(i, k)
            try:
                response = session.post(
                    server.url + "/api/v1/bookings",
                    json={"resource": "lab-bsc", "start": start, "end": end, "purpose": "kill"},
                    timeout=10,
                )
            except requests.RequestException:
                return  # the server is gone
            if response.status_code == 201:
                with lock:
                    acknowledged.append(response.json()["id"])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + LOAD_SECONDS
    while len(acknowledged) < ACKNOWLEDGED_BEFORE_KILL and time.monotonic() < deadline:
        time.sleep(0.02)
    master = server.process.pid
    workers = children(master)
    for pid in [master, *workers]:
        os.kill(pid, signal.SIGKILL)
    stop.set()
    server.process.wait(timeout=10)
    for thread in threads:
        thread.join(timeout=15)
    with lock:
        seen = list(acknowledged)

    assert len(seen) >= ACKNOWLEDGED_BEFORE_KILL, "the load did not get going before the deadline"
    assert workers, "no workers were found to kill"
    database = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        assert database.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in database.execute("SELECT id FROM bookings WHERE status = 'confirmed'")}
        audited = {row[0] for row in database.execute("SELECT entity_id FROM audit_events WHERE entity = 'bookings'")}
    finally:
        database.close()
    lost = sorted(set(seen) - stored)
    assert not lost, f"{len(lost)} of {len(seen)} acknowledged bookings lost: {lost[:10]}"
    assert set(seen) <= audited
