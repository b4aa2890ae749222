"""No double booking under a race: many clients, several server processes, one slot.

On PostgreSQL the exclusion constraint decides; on SQLite the write transactions are
serialised (BEGIN IMMEDIATE). Either way exactly one request wins and the others get 409.
"""

from __future__ import annotations

import threading

import pytest
import requests

from tests.support.databases import make_app, postgres_url, sqlite_url
from tests.support.factory import People, local_slot
from tests.support.live import GunicornServer

CLIENTS = 16


def race(url: str, tokens: list[str], payload: dict) -> list[requests.Response]:
    barrier = threading.Barrier(len(tokens))
    responses: list[requests.Response] = [None] * len(tokens)

    def client(i: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tokens[i]}"
        barrier.wait()
        responses[i] = session.post(url + "/api/v1/bookings", json=payload, timeout=60)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(request, tmp_path, sqlite_template):
    """gunicorn with 4 workers over a fresh database of each backend."""
    if request.param == "sqlite":
        url = sqlite_url(sqlite_template, tmp_path)
    else:
        url = postgres_url(request.getfixturevalue("postgres"), request.getfixturevalue("postgres_template"))
    app = make_app(url, tmp_path)
    server = GunicornServer(url, tmp_path).start()
    yield People(app), server  # the racers go to gunicorn; the rest through Flask's test client
    output = server.stop()
    assert "Traceback" not in output, output


@pytest.mark.parametrize(
    "resource,qualification,hours",
    [
        ("lab-bsc", None, 1),  # confirmed at once
        ("gmp-suite", "gowning-grade-b", 2),  # pending, with changeover
    ],
)
def test_many_clients_race_for_one_slot_and_exactly_one_wins(served, resource, qualification, hours):
    people, server = served
    clients = [people.make(qualifications=[qualification] if qualification else []) for _ in range(CLIENTS)]
    tokens = [c.token for c in clients]
    start, end = local_slot(14, 10, hours=hours)
    responses = race(server.url, tokens, {"resource": resource, "start": start, "end": end, "purpose": "race"})
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (CLIENTS - 1), [r.text for r in responses if r.status_code not in (201, 409)]
    assert all(r.json()["errors"][0]["code"] == "overlap" for r in responses if r.status_code == 409)
    winners = (
        clients[0]
        .get("/resources/" + resource + "/availability", query_string={"from": start, "to": end})
        .get_json()["busy"]
    )
    assert len([b for b in winners if b["kind"] in ("booking", "pending")]) == 1


def test_overlapping_but_different_slots_race(served):
    """Requests for slots that overlap each other (not identical) still never both succeed."""
    people, server = served
    clients = [people.make() for _ in range(8)]
    tokens = [c.token for c in clients]
    barrier_payloads = [local_slot(14, 10 + (i % 2), hours=2) for i in range(8)]
    responses: list = [None] * 8
    barrier = threading.Barrier(8)

    def client(i):
        barrier.wait()
        start, end = barrier_payloads[i]
        responses[i] = requests.post(
            server.url + "/api/v1/bookings",
            timeout=60,
            headers={"Authorization": f"Bearer {tokens[i]}"},
            json={"resource": "lab-bsc", "start": start, "end": end},
        )

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(r.status_code for r in responses) == [201] + [409] * 7
