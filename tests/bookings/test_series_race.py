"""Series race for the same Tuesdays on several gunicorn workers, on SQLite and PostgreSQL:
exactly one series wins, the others write nothing (the re-check under SQLite's write lock, and
PostgreSQL's exclusion constraint)."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta

import requests

from tests.bookings.test_race import served  # noqa: F401  (the fixture: gunicorn over each backend)
from tests.support import clock as clocks

CLIENTS = 6


def test_racing_series_for_the_same_tuesdays_give_one_winner(served):  # noqa: F811
    people, server = served
    clients = [people.make() for _ in range(CLIENTS)]
    day = clocks.today() + timedelta(days=7)
    first = day + timedelta(days=(1 - day.weekday()) % 7)
    body = {
        "resource": "lab-bsc",
        "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=5",
        "start": datetime.combine(first, time(9)).isoformat(),
        "duration_minutes": 120,
        "on_conflict": "skip",
    }
    barrier, responses = threading.Barrier(CLIENTS), [None] * CLIENTS

    def client(i: int) -> None:
        barrier.wait()
        responses[i] = requests.post(
            server.url + "/api/v1/series",
            json=body,
            timeout=120,
            headers={"Authorization": f"Bearer {clients[i].token}"},
        )

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    statuses = sorted(r.status_code for r in responses)
    assert statuses[0] == 201 and statuses.count(201) == 1, [r.text for r in responses]
    losers = [r for r in responses if r.status_code != 201]
    # Refused in full: every occurrence taken (422 series_conflicts), or PostgreSQL's constraint (409 overlap).
    assert all(r.status_code in (409, 422) for r in losers), [r.text for r in losers]
    assert all(r.json()["errors"][0]["code"] in ("series_conflicts", "overlap") for r in losers)
    winner = next(r.json() for r in responses if r.status_code == 201)
    assert len(winner["occurrences"]) == 5
    mine = [c.get("/bookings", query_string={"mine": "true"}).get_json() for c in clients]
    assert sorted(len(m) for m in mine) == [0] * (CLIENTS - 1) + [5]
