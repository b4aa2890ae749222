"""Helpers for the usage tests: rows written directly (the booking rules forbid the past),
and a real SMTP server on 127.0.0.1 that keeps what it receives."""

from __future__ import annotations

import email
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from facility.accounts.models import User
from facility.bookings.models import Booking
from facility.catalog.models import Resource
from facility.core.extensions import db
from facility.usage.models import UsageRecord
from tests.support.postgres import free_port
from tests.web.conftest import PASSWORD, Browserless

STOCKHOLM = ZoneInfo("Europe/Stockholm")


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


class Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        message["X-Rcpt"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 5.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["X-Rcpt"]]


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1; the app sends its mail there."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(FACILITY_SMTP_HOST="127.0.0.1", FACILITY_SMTP_PORT=port, FACILITY_MAIL_FROM="facility@test")
    yield inbox
    controller.stop()


@pytest.fixture
def signed_in(live_server, people):
    """signed_in(role, **make_args) -> (client, Browserless signed in as that new user)."""

    def make(role="scientist", **kwargs):
        client = people.make(role, password=PASSWORD, **kwargs)
        browser = Browserless(live_server.url)
        assert browser.sign_in(client.email).status_code == 302
        return client, browser

    return make
