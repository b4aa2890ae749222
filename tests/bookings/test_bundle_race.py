"""Races on bundles: users asking at once for bundles that overlap (one resource or more in
common) get exactly one winner, on SQLite and on PostgreSQL, served by gunicorn with several
workers over the real ``instruments.yaml``. The losers get 409 ``overlap`` and leave nothing."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.support.databases import make_app, postgres_url, sqlite_url
from tests.support.factory import People, local_slot
from tests.support.live import GunicornServer

CLIENTS = 8
QUALIFICATIONS = ["gowning-grade-b", "gmp-basic", "cryopreservation"]
LABELS = {"purpose": "race", "project": "CAR-T 19", "batch": "B-1"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(request, tmp_path, catalogue_sqlite_template):
    """gunicorn with 4 workers over a fresh copy of the catalogue database of each backend."""
    if request.param == "sqlite":
        url = sqlite_url(catalogue_sqlite_template, tmp_path)
    else:
        postgres = request.getfixturevalue("postgres")
        url = postgres_url(postgres, request.getfixturevalue("catalogue_postgres_template"))
    app = make_app(url, tmp_path)
    server = GunicornServer(url, tmp_path).start()
    yield People(app), server
    output = server.stop()
    assert "Traceback" not in output, output


def race(url: str, tokens: list[str], payloads: list[dict]) -> list[requests.Response]:
    barrier = threading.Barrier(len(tokens))
    responses: list = [None] * len(tokens)

    def client(i: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tokens[i]}"
        barrier.wait()
        responses[i] = session.post(url + "/api/v1/bundles", json=payloads[i], timeout=60)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_overlapping_bundles_asked_for_at_once_have_exactly_one_winner(served):
    people, server = served
    clients = [people.make(qualifications=QUALIFICATIONS) for _ in range(CLIENTS)]
    early = local_slot(14, 8, hours=4)
    late = local_slot(14, 10, hours=4)  # overlaps the early one by two hours
    payloads = []
    for i in range(CLIENTS):
        start, end = early if i % 2 else late
        # The whole suite, the suite with its isolator, or the isolator and suite named the other way round.
        which = [
            {"bundle": "sus-suite-1"},
            {"bundle": "sus-suite-1-fill"},
            {"resources": ["sus-isolator", "sus-cleanroom-1"]},
            {"resources": ["sus-freezer", "sus-isolator", "sus-cleanroom-1"]},
        ][i % 4]
        payloads.append({"start": start, "end": end, **LABELS, **which})
    responses = race(server.url, [c.token for c in clients], payloads)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (CLIENTS - 1), [r.text for r in responses]
    assert all(r.json()["errors"][0]["code"] == "overlap" for r in responses if r.status_code == 409)
    winner = next(r.json() for r in responses if r.status_code == 201)
    # Nothing but the winner's bookings holds the suite's time: the losers wrote nothing.
    listed = (
        clients[0]
        .get("/resources/sus-cleanroom-1/availability", query_string={"from": early[0], "to": late[1]})
        .get_json()
    )
    assert len([b for b in listed["busy"] if b["kind"] in ("booking", "pending")]) == 1
    for key in winner["resources"]:
        busy = clients[0].get(f"/resources/{key}/availability", query_string={"from": early[0], "to": late[1]})
        assert len([b for b in busy.get_json()["busy"] if b["kind"] == "pending"]) == 1
    assert "sus-cleanroom-1" in winner["resources"]
