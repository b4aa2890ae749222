"""The HTTP create load, aimed at any base URL: N threads send M booking requests in all, each
on its own slot, with a bearer token, and the throughput and latencies are printed.

Standard library only, so that the same load can be run from any machine against any system
that speaks this API (this service on SQLite, on PostgreSQL behind 1 or 8 gunicorn workers,
on another host, or another implementation):

    python -m benchmarks.http_create --base-url http://127.0.0.1:8000 --token fac_... \\
        --resource lab-bsc --start 2027-01-04T00:00:00+00:00 --threads 8 --creates 800

Slot i is ``[start + i*step, start + i*step + minutes)``: distinct and never overlapping when
``step >= minutes + the resource's changeover``, so that a refusal means the system refused a
free slot (a rule such as opening hours, horizon or quota, or an error), not a race. Several
resources (``--resource a,b,c``) take the slots in turn. Every answer that is not 201 is
counted by status and the first few are printed.

``python -m benchmarks.http_create --serve-postgres 1,2,4`` (this checkout, this machine)
starts a throw-away PostgreSQL, a catalogue made for the load and gunicorn with 1, 2 and 4
workers in turn, and runs the same load against each; ``--serve-sqlite 2`` does the same on a
SQLite file. ``benchmarks/nemo_create.py`` aims this load at a NEMO.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import datetime, timedelta


def create(base_url: str, token: str, body: dict, timeout: float) -> tuple[int, float, str]:
    body = dict(body)
    if body.pop("floor", False):  # the no-op floor: an authenticated read through the same stack
        request = urllib.request.Request(
            base_url.rstrip("/") + "/api/v1/facilities", headers={"Authorization": f"Bearer {token}"}
        )
    else:
        request = urllib.request.Request(
            base_url.rstrip("/") + "/api/v1/bookings",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
    began = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status, text = response.status, ""
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode(errors="replace")[:300]
    except OSError as error:  # refused, reset, timed out
        status, text = 0, repr(error)
    return status, (time.perf_counter() - began) * 1000, text


def run(
    base_url: str,
    token: str,
    resources: list[str],
    start: datetime,
    threads: int,
    creates: int,
    minutes: int,
    step: int,
    timeout: float = 30.0,
    floor: bool = False,
    send=create,
) -> dict:
    """The load; with ``floor``, the same number of authenticated GET /api/v1/facilities instead.

    ``send(base_url, token, body, timeout)`` sends one request and returns ``(status, ms, text)``,
    201 for a booking made: ``create`` by default, another system's adapter otherwise
    (``benchmarks/nemo_create.py``)."""
    slots = [
        {
            "resource": resources[i % len(resources)],
            "start": (start + timedelta(minutes=step * (i // len(resources)))).isoformat(),
            "end": (start + timedelta(minutes=step * (i // len(resources)) + minutes)).isoformat(),
            "purpose": "load",
            "floor": floor,
        }
        for i in range(creates)
    ]
    lock = threading.Lock()
    results: list[tuple[int, float, str]] = []
    next_slot = iter(slots)

    def worker():
        while True:
            with lock:
                body = next(next_slot, None)
            if body is None:
                return
            outcome = send(base_url, token, body, timeout)
            with lock:
                results.append(outcome)

    began = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    statuses = Counter(status for status, _, _ in results)
    if floor:  # a 200 is the floor's success
        statuses = Counter({201 if status == 200 else status: n for status, n in statuses.items()})
    return summary(results, elapsed, statuses)


def summary(results: list[tuple[int, float, str]], elapsed: float, statuses: Counter) -> dict:
    latencies = sorted(ms for _, ms, _ in results)
    return {
        "requests": len(results),
        "created": statuses.get(201, 0),
        "statuses": dict(statuses),
        "seconds": elapsed,
        "per_second": len(results) / elapsed,
        "created_per_second": statuses.get(201, 0) / elapsed,
        "median_ms": statistics.median(latencies),
        "p95_ms": latencies[max(0, int(len(latencies) * 0.95) - 1)],
        "errors": [text for status, _, text in results if status not in (200, 201)][:3],
        "results": results,
    }


def combined(rounds: list[dict]) -> dict:
    """Rounds of the same load as one: their requests over the sum of their durations."""
    statuses: Counter = Counter()
    for part in rounds:
        statuses.update(part["statuses"])
    return summary([r for part in rounds for r in part["results"]], sum(p["seconds"] for p in rounds), statuses)


def read(base_url: str, path: str, headers: dict, runs: int, timeout: float = 30.0) -> dict:
    """One client reads ``path`` ``runs`` times in a row (after one untimed read): a calendar's
    fetch of a week. The answer is a JSON list; its length is the number of events."""
    request = urllib.request.Request(base_url.rstrip("/") + path, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        events = len(json.loads(response.read()))
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        with urllib.request.urlopen(request, timeout=timeout) as response:
            size = len(response.read())
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    median = statistics.median(samples)
    return {
        "events": events,
        "bytes": size,
        "runs": runs,
        "median_ms": median,
        "p95_ms": samples[max(0, int(runs * 0.95) - 1)],
        "ms_per_event": median / events if events else float("nan"),
    }


def show_read(label: str, result: dict) -> None:
    print(
        f"{label:<28} {result['events']:5d} events, {result['bytes'] // 1024:4d} KiB: median {result['median_ms']:7.1f} ms,"
        f" p95 {result['p95_ms']:7.1f} ms, {result['ms_per_event']:6.3f} ms per event (n={result['runs']})"
    )


def show(label: str, result: dict) -> None:
    print(
        f"{label:<28} {result['requests']:5d} requests in {result['seconds']:6.2f} s: "
        f"{result['per_second']:7.1f} req/s, {result['created_per_second']:7.1f} created/s, "
        f"median {result['median_ms']:7.1f} ms, p95 {result['p95_ms']:7.1f} ms, statuses {result['statuses']}"
    )
    for text in result["errors"]:
        print("   not created:", text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", help="such as http://127.0.0.1:8000")
    parser.add_argument("--token", help="an API token (Bearer) of a user who may book the resources")
    parser.add_argument("--resource", default="load-room", help="resource key, or several separated by commas")
    parser.add_argument("--start", help="the first slot's start, RFC 3339 with an offset (default: a week from now)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--creates", type=int, default=800)
    parser.add_argument("--minutes", type=int, default=60, help="length of each booking")
    parser.add_argument("--step", type=int, default=60, help="minutes from one slot's start to the next one's")
    parser.add_argument(
        "--serve-postgres", metavar="WORKERS", help="serve this checkout on a throw-away PostgreSQL: 1,2,4"
    )
    parser.add_argument("--serve-sqlite", metavar="WORKERS", help="serve this checkout on a SQLite file: 2")
    args = parser.parse_args()
    if args.serve_postgres or args.serve_sqlite:
        from benchmarks.http_serve import serve_and_load

        workers, database = (args.serve_sqlite, "sqlite") if args.serve_sqlite else (args.serve_postgres, "postgresql")
        serve_and_load([int(w) for w in workers.split(",")], args.threads, args.creates, database)
        return
    if not args.base_url or not args.token:
        parser.error("give --base-url and --token (or --serve-postgres, --serve-sqlite)")
    start = (
        datetime.fromisoformat(args.start)
        if args.start
        else (datetime.now().astimezone() + timedelta(days=7)).replace(hour=0, minute=0, second=0, microsecond=0)
    )
    result = run(
        args.base_url, args.token, args.resource.split(","), start, args.threads, args.creates, args.minutes, args.step
    )
    floor = run(args.base_url, args.token, [""], start, args.threads, args.creates, 0, 0, floor=True)
    show(f"{args.threads} threads, {args.creates} creates", result)
    show("floor: GET /api/v1/facilities", floor)
    print(f"creates: {floor['per_second'] / result['per_second']:.1f} x slower than the floor")


if __name__ == "__main__":
    main()
