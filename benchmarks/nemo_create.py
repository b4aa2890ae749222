"""The create load of ``benchmarks/http_create.py`` and a calendar's reads of a week, aimed at a
NEMO (NIST's lab booking system, github.com/usnistgov/NEMO) already served at a base URL, for
the comparison of benchmarks/README.md, "Beside NEMO". It speaks HTTP only: standard library,
no NEMO code; NEMO is set up and served apart (the README says how).

    python -m benchmarks.nemo_create --base-url http://127.0.0.1:8100 --remote-user load \\
        --tools 1,2,3,4 --start 2027-01-04T00:00:00+00:00 --threads 8 --creates 400 --week 2027-03-01

A create is what NEMO's own calendar sends when a user drags out a reservation: a form POST to
``/create_reservation/`` (``start`` and ``end`` in Unix seconds, ``item_type=tool``, ``item_id``)
with the user's session cookie and CSRF token. The session is opened once, by a GET of the
calendar page signed in through the ``Remote-User`` header (NEMO's reverse-proxy sign-in), and
shared by the client threads. NEMO answers 200 with an empty body (201 with a capacity warning)
when it made the reservation, and 200 with its policy dialog when it refused: the latter is
counted here as a 409, its first problem printed.

With ``--api-token``, the create is ``POST /api/reservations/`` (REST framework, ``Authorization:
Token ...``, JSON) instead: it stores the row as given, without the policy check of the
calendar (it also accepts a reservation on a slot already taken), so it is not the same work.

The floor, as facility's: an authenticated read through the same stack that touches the
database and answers next to nothing, here the calendar's event feed of a day with no events.
With ``--week`` (a Monday, YYYY-MM-DD), the event feed that NEMO's calendar fetches is timed
for that week, for all tools and for the first tool of ``--tools``.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, datetime, timedelta
from http.cookies import SimpleCookie

from benchmarks.http_create import read, run, show, show_read

EMPTY_DAY = "/event_feed/?event_type=reservations&all_tools=true&start=2000-01-03&end=2000-01-04"


def open_session(base_url: str, remote_user: str, timeout: float = 30.0) -> dict:
    """The headers of a signed-in browser: session cookie, CSRF cookie and token, Remote-User."""
    request = urllib.request.Request(base_url.rstrip("/") + "/calendar/", headers={"Remote-User": remote_user})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
    if "sessionid" not in cookies or "csrftoken" not in cookies:
        raise RuntimeError(f"NEMO did not sign {remote_user!r} in (cookies: {sorted(cookies)})")
    return {
        "Remote-User": remote_user,
        "Cookie": f"sessionid={cookies['sessionid'].value}; csrftoken={cookies['csrftoken'].value}",
        "X-CSRFToken": cookies["csrftoken"].value,
    }


def _exchange(request: urllib.request.Request, timeout: float) -> tuple[int, float, str]:
    began = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, text = response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode(errors="replace")[:300]
    except OSError as error:  # refused, reset, timed out
        status, text = 0, repr(error)
    return status, (time.perf_counter() - began) * 1000, text


def calendar_sender(headers: dict):
    """``send`` for ``http_create.run``: the calendar's form POST, its answer read as NEMO's page reads it."""

    def send(base_url: str, _token: str, body: dict, timeout: float) -> tuple[int, float, str]:
        if body.get("floor"):
            return _exchange(urllib.request.Request(base_url.rstrip("/") + EMPTY_DAY, headers=headers), timeout)
        form = {
            "start": int(datetime.fromisoformat(body["start"]).timestamp()),
            "end": int(datetime.fromisoformat(body["end"]).timestamp()),
            "item_type": "tool",
            "item_id": body["resource"],
        }
        request = urllib.request.Request(
            base_url.rstrip("/") + "/create_reservation/",
            data=urllib.parse.urlencode(form).encode(),
            headers=dict(headers, **{"Content-Type": "application/x-www-form-urlencoded"}),
            method="POST",
        )
        status, ms, text = _exchange(request, timeout)
        if status == 201 or (status == 200 and not text.strip()):
            return 201, ms, ""
        if status == 200:  # the policy dialog (or a project choice): nothing was made
            problems = re.findall(r"<li>(.*?)</li>", text, re.S)
            return 409, ms, html.unescape(problems[0].strip() if problems else text.strip()[:300])
        return status, ms, text[:300]

    return send


def api_sender(token: str, user: int, project: int, floor_headers: dict):
    """``send`` for ``http_create.run``: ``POST /api/reservations/`` of the REST API (no policy check)."""

    def send(base_url: str, _token: str, body: dict, timeout: float) -> tuple[int, float, str]:
        if body.get("floor"):
            return _exchange(urllib.request.Request(base_url.rstrip("/") + EMPTY_DAY, headers=floor_headers), timeout)
        payload = {
            "user": user,
            "creator": user,
            "tool": int(body["resource"]),
            "project": project,
            "start": body["start"],
            "end": body["end"],
            "short_notice": False,
        }
        request = urllib.request.Request(
            base_url.rstrip("/") + "/api/reservations/",
            data=json.dumps(payload).encode(),
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
            method="POST",
        )
        status, ms, text = _exchange(request, timeout)
        return (201 if status in (200, 201) else status), ms, ("" if status in (200, 201) else text[:300])

    return send


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="such as http://127.0.0.1:8100")
    parser.add_argument("--remote-user", default="load", help="the NEMO username the Remote-User header signs in")
    parser.add_argument("--tools", default="1,2,3,4", help="NEMO tool ids that take the slots in turn")
    parser.add_argument("--start", help="the first slot's start, RFC 3339 with an offset (default: a week from now)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--creates", type=int, default=400)
    parser.add_argument("--minutes", type=int, default=60, help="length of each reservation")
    parser.add_argument("--step", type=int, default=60, help="minutes from one slot's start to the next one's")
    parser.add_argument("--api-token", help="create through POST /api/reservations/ with this REST API token")
    parser.add_argument("--api-user", type=int, default=2, help="with --api-token: the reservation's user id")
    parser.add_argument("--api-project", type=int, default=1, help="with --api-token: the reservation's project id")
    parser.add_argument("--week", help="time the calendar's event feed of the week from this Monday, YYYY-MM-DD")
    parser.add_argument("--reads", type=int, default=20, help="timed reads of each feed")
    parser.add_argument("--no-creates", action="store_true", help="only the floor and the feeds")
    args = parser.parse_args()

    headers = open_session(args.base_url, args.remote_user)
    tools = args.tools.split(",")
    start = (
        datetime.fromisoformat(args.start)
        if args.start
        else (datetime.now().astimezone() + timedelta(days=7)).replace(hour=0, minute=0, second=0, microsecond=0)
    )
    if args.api_token:
        send, how = api_sender(args.api_token, args.api_user, args.api_project, headers), "POST /api/reservations/"
    else:
        send, how = calendar_sender(headers), "POST /create_reservation/"
    if not args.no_creates:
        warm = start + timedelta(days=3000)
        run(args.base_url, "", tools, warm, 2, 20, args.minutes, args.step, send=send)  # every worker up
        result = run(args.base_url, "", tools, start, args.threads, args.creates, args.minutes, args.step, send=send)
        floor = run(args.base_url, "", [""], start, args.threads, args.creates, 0, 0, floor=True, send=send)
        show(f"NEMO {how}", result)
        show("floor: GET /event_feed/ (empty)", floor)
        print(f"creates: {floor['per_second'] / result['per_second']:.1f} x slower than the floor")
    if args.week:
        monday = date.fromisoformat(args.week)
        window = f"start={monday.isoformat()}&end={(monday + timedelta(days=7)).isoformat()}"
        feed = f"/event_feed/?event_type=reservations&{window}"
        show_read("NEMO feed, a week, all tools", read(args.base_url, f"{feed}&all_tools=true", headers, args.reads))
        show_read(
            f"NEMO feed, a week, tool {tools[0]}",
            read(args.base_url, f"{feed}&item_type=tool&item_id={tools[0]}", headers, args.reads),
        )
        show_read("NEMO feed, a day, no events", read(args.base_url, EMPTY_DAY, headers, args.reads))


if __name__ == "__main__":
    main()
