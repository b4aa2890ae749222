"""Users, organisations and bookings for the tests: made through the services (users with a
token and an API client of their own), or as rows written directly where the booking rules
would forbid them (the past)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select

from facility.accounts import services as accounts
from facility.accounts.models import User
from facility.bookings.models import Booking
from facility.catalog.models import Resource
from facility.core.extensions import db
from facility.usage.models import UsageRecord
from tests.support import clock as clocks
from tests.support.clients import PASSWORD, ApiClient, PageClient
from tests.support.clock import STOCKHOLM

__all__ = ["PASSWORD", "People", "add_booking", "add_usage", "local", "local_slot", "user_id"]


class People:
    """Makes users with tokens and qualifications, and API clients (Flask test clients) for them."""

    def __init__(self, app):
        self.app = app
        self._numbers = itertools.count(1)

    def make(
        self,
        role: str = "scientist",
        *,
        organisation: str = "lu",
        facilities=(),
        qualifications=(),
        password: str | None = None,
    ) -> ApiClient:
        email = f"{role}{next(self._numbers)}@example.org"
        with self.app.app_context():
            accounts.create_user(
                email, f"Test {role.title()}", organisation, role, facilities=facilities, password=password
            )
            for key in qualifications:
                accounts.qualify(email, key, clocks.today() + timedelta(days=365))
            _token, secret = accounts.issue_token(email)
        return ApiClient(self.app.test_client(), secret, email)

    def api(self, token: str | None = None) -> ApiClient:
        """An API client of its own (no cookies shared), with ``token`` or none."""
        return ApiClient(self.app.test_client(), token)

    def visitor(self) -> PageClient:
        """A new visitor of the pages, not signed in."""
        return PageClient(self.app.test_client())

    def signed_in(self, email: str, password: str = PASSWORD) -> PageClient:
        browser = self.visitor()
        assert browser.sign_in(email, password).status_code == 302
        return browser


def local_slot(days_ahead: int, hour: int, hours: float = 1, *, weekday: int = 1, minute: int = 0):
    """An RFC 3339 (start, end) pair: the first ``weekday`` (Mon=0) at least ``days_ahead`` days
    from today (the frozen clock's, in Stockholm), at ``hour:minute`` Stockholm time, lasting ``hours``."""
    day = clocks.today() + timedelta(days=days_ahead)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    start = datetime.combine(day, time(hour, minute), STOCKHOLM)
    end = start + timedelta(hours=hours)
    return start.isoformat(), end.isoformat()


def local(text: str) -> datetime:
    """'2026-10-25 12:00' Stockholm wall time -> aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=STOCKHOLM).astimezone(timezone.utc)


def user_id(email_address: str) -> int:
    return db.session.scalar(select(User.id).where(User.email == email_address))


def add_booking(
    resource_key: str,
    email_address: str,
    start: datetime,
    end: datetime,
    status: str = "confirmed",
    updated_at: datetime | None = None,
    created_at: datetime | None = None,
) -> int:
    """A booking row written directly (call inside an app context)."""
    resource = db.session.scalar(select(Resource).where(Resource.key == resource_key))
    booking = Booking(
        resource_id=resource.id,
        user_id=user_id(email_address),
        start_at=start,
        end_at=end,
        blocked_until=end,
        status=status,
        purpose="test",
        created_at=created_at or start,
        updated_at=updated_at or start,
    )
    db.session.add(booking)
    db.session.commit()
    return booking.id


def add_usage(
    resource_key: str,
    email_address: str,
    start: datetime,
    end: datetime | None,
    *,
    booking_id: int | None = None,
    source: str = "booking",
    superseded: bool = False,
    corrects_id: int | None = None,
) -> int:
    """A usage row written directly (call inside an app context)."""
    resource = db.session.scalar(select(Resource).where(Resource.key == resource_key))
    user = db.session.get(User, user_id(email_address))
    record = UsageRecord(
        resource_id=resource.id,
        user_id=user.id,
        organisation_id=user.organisation_id,
        start_at=start,
        end_at=end,
        source=source,
        booking_id=booking_id,
        superseded=superseded,
        corrects_id=corrects_id,
        reason="",
    )
    db.session.add(record)
    db.session.commit()
    return record.id


# --- the booking form of the pages --------------------------------------------------------


def booking_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Booking))


def next_weekday(days_ahead: int, weekday: int) -> date:
    day = clocks.today() + timedelta(days=days_ahead)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def book_form(day: date, start="10:00", end="11:00", resource="lab-bsc", **extra) -> dict:
    return {
        "resource": resource,
        "start_date": day.isoformat(),
        "start_time": start,
        "end_date": day.isoformat(),
        "end_time": end,
        "purpose": "expansion",
        "project": "",
        **extra,
    }
