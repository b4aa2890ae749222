"""The check-in window is stated once, in usage.services; the pages ask it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from facility.bookings.models import Booking
from facility.usage import services
from facility.usage.pages import reports as views

START = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
END = START + timedelta(hours=2)
TICK = timedelta(microseconds=1)


def booking() -> Booking:
    return Booking(start_at=START, end_at=END, status="confirmed")


def test_check_in_opens_fifteen_minutes_before_the_start_and_closes_at_the_end():
    b = booking()
    assert services.check_in_opens_at(b) == START - timedelta(minutes=15) == START - services.CHECK_IN_EARLY
    assert services.check_in_window(b, services.check_in_opens_at(b) - TICK) == "too_early"
    assert services.check_in_window(b, services.check_in_opens_at(b)) == "open"
    assert services.check_in_window(b, END - TICK) == "open"
    assert services.check_in_window(b, END) == "too_late"


def test_the_page_shows_what_the_service_would_do(monkeypatch):
    b = booking()
    monkeypatch.setattr(services, "open_record_of", lambda _booking: None)
    expected = {"too_early": "later", "open": "check_in", "too_late": None}
    for now in (
        START - timedelta(hours=1),
        START - services.CHECK_IN_EARLY - TICK,
        START - services.CHECK_IN_EARLY,
        START,
        END - TICK,
        END,
        END + timedelta(days=1),
    ):
        monkeypatch.setattr(views, "utcnow", lambda now=now: now)
        assert views.usage_state(b) == expected[services.check_in_window(b, now)], now
    b.status = "pending"
    assert views.usage_state(b) is None
