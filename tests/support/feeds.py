"""Calendar feeds in the tests: subscribe through the API, fetch a feed (through Flask's test
client: a feed URL names the configured base URL, so only its path is requested), and read it
with two independent iCalendar parsers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urlparse

import icalendar
import vobject
from werkzeug.test import TestResponse

from tests.support.clock import STOCKHOLM


class Feeds:
    def __init__(self, app):
        self.client = app.test_client(use_cookies=False)

    def subscribe(self, client, scope: str, target: str | None = None) -> dict:
        body = {"scope": scope} if target is None else {"scope": scope, "target": target}
        response = client.post("/calendar-feeds", body)
        assert response.status_code == 201, response.text
        return response.get_json()

    def fetch(self, url: str, **headers) -> TestResponse:
        """GET a feed URL as a calendar client would (no cookies, redirects followed)."""
        return self.client.get(urlparse(url).path, headers=headers, follow_redirects=True)


def events_by_icalendar(body: bytes) -> dict[str, dict]:
    calendar = icalendar.Calendar.from_ical(body)
    return {
        str(e["UID"]): {
            "start": e.decoded("DTSTART").astimezone(timezone.utc),
            "end": e.decoded("DTEND").astimezone(timezone.utc),
            "status": str(e["STATUS"]),
            "sequence": int(e["SEQUENCE"]),
            "summary": str(e["SUMMARY"]),
            "description": str(e.get("DESCRIPTION", "")),
            "location": str(e.get("LOCATION", "")),
        }
        for e in calendar.walk("VEVENT")
    }


def events_by_vobject(body: bytes) -> dict[str, dict]:
    calendar = vobject.readOne(body.decode("utf-8"))
    return {
        e.uid.value: {
            "start": e.dtstart.value.astimezone(timezone.utc),
            "end": e.dtend.value.astimezone(timezone.utc),
            "status": e.status.value,
            "sequence": int(e.sequence.value),
            "summary": e.summary.value,
            "description": e.description.value if hasattr(e, "description") else "",
            "location": e.location.value if hasattr(e, "location") else "",
        }
        for e in calendar.contents.get("vevent", [])
    }


def parsed_both_ways(body: bytes) -> dict[str, dict]:
    """The events as both parsers read them; they must agree on every field."""
    first, second = events_by_icalendar(body), events_by_vobject(body)
    assert first == second
    return first


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def october_change_weekend(after: date) -> tuple[str, str]:
    """Friday 10:00 to Monday 10:00, Stockholm time, around the first end of summer time
    (last Sunday of October) after ``after``: 73 hours, as an RFC 3339 pair."""
    year = after.year if after < date(after.year, 10, 20) else after.year + 1
    sunday = date(year, 10, 31) - timedelta(days=(date(year, 10, 31).weekday() + 1) % 7)
    start = datetime.combine(sunday - timedelta(days=2), time(10), STOCKHOLM)
    end = datetime.combine(sunday + timedelta(days=1), time(10), STOCKHOLM)
    assert end.astimezone(timezone.utc) - start.astimezone(timezone.utc) == timedelta(hours=73)  # clocks go back
    return start.isoformat(), end.isoformat()
