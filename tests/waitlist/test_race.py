"""The hold of freed time against direct bookings racing for it: one winner, on SQLite and on
PostgreSQL, with several server processes.

The owner's cancel (after whose commit the waiting user is offered the time, as a held booking)
runs at once with direct requests for the same slot from other clients. Whoever comes first
holds the slot: the waiting user's hold, or one direct booking (then the waiting user keeps
waiting). Never both, never two."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.support.databases import make_app, postgres_url, sqlite_url
from tests.support.factory import People, local_slot
from tests.support.live import GunicornServer

RACERS = 8
ROUNDS = 3


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(request, tmp_path, sqlite_template):
    """gunicorn with 4 workers over a fresh database of each backend."""
    if request.param == "sqlite":
        url = sqlite_url(sqlite_template, tmp_path)
    else:
        url = postgres_url(request.getfixturevalue("postgres"), request.getfixturevalue("postgres_template"))
    app = make_app(url, tmp_path)
    server = GunicornServer(url, tmp_path).start()
    yield People(app), server
    output = server.stop()
    assert "Traceback" not in output, output


def race(server, owner_token: str, booking_id: int, tokens: list[str], slot) -> list[requests.Response]:
    barrier = threading.Barrier(len(tokens) + 1)
    answers: list = [None] * (len(tokens) + 1)

    def cancel():
        barrier.wait()
        answers[0] = requests.post(f"{server.url}/api/v1/bookings/{booking_id}/cancel", json={}, timeout=60,
                                   headers={"Authorization": f"Bearer {owner_token}"})  # fmt: skip

    def book(i):
        barrier.wait()
        answers[i + 1] = requests.post(f"{server.url}/api/v1/bookings", timeout=60,
                                       headers={"Authorization": f"Bearer {tokens[i]}"},
                                       json={"resource": "lab-bsc", "start": slot[0], "end": slot[1]})  # fmt: skip

    threads = [threading.Thread(target=cancel)] + [threading.Thread(target=book, args=(i,)) for i in range(len(tokens))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return answers


def test_the_hold_of_freed_time_and_direct_bookings_give_one_winner(served):
    people, server = served
    owner, waiter = people.make(), people.make()
    racers = [people.make() for _ in range(RACERS)]
    outcomes = []
    for round_number in range(ROUNDS):
        slot = local_slot(14 + 7 * round_number, 10)
        first = owner.post("/bookings", {"resource": "lab-bsc", "start": slot[0], "end": slot[1]})
        assert first.status_code == 201, first.text
        joined = waiter.post("/waitlist", {"resource": "lab-bsc", "start": slot[0], "end": slot[1]})
        assert joined.status_code == 201, joined.text
        answers = race(server, owner.token, first.get_json()["id"], [r.token for r in racers], slot)
        assert answers[0].status_code == 200, answers[0].text
        direct = sorted(a.status_code for a in answers[1:])
        entry = next(e for e in waiter.get("/waitlist").get_json() if e["id"] == joined.get_json()["id"])
        busy = waiter.get("/resources/lab-bsc/availability", query_string={"from": slot[0], "to": slot[1]})
        claims = [b for b in busy.get_json()["busy"] if b["kind"] in ("booking", "pending")]
        assert len(claims) == 1, (direct, entry, claims)
        if entry["status"] == "offered":
            assert direct == [409] * RACERS
        else:
            assert entry["status"] == "waiting" and direct == [201] + [409] * (RACERS - 1)
            withdrawn = waiter.post(f"/waitlist/{entry['id']}/withdraw")
            assert withdrawn.status_code == 200
        outcomes.append(entry["status"])
    assert set(outcomes) <= {"offered", "waiting"}
