"""A waiting list: a user's wish for time on a resource that is taken now."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facility.accounts.models import User
from facility.bookings.models import Booking
from facility.catalog.models import Resource
from facility.core.database import UTCDateTime
from facility.core.extensions import db
from facility.core.time import utcnow


class WaitlistEntry(db.Model):
    """One wish: exactly the slot [start_at, end_at) (``minutes`` None), or any booking of
    ``minutes`` inside the window [start_at, end_at). When time frees up, the first in line
    whose wish it satisfies is offered it: ``booking`` is then the ``held`` booking that keeps
    the time for them until ``hold_until``."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (Index("ix_waitlist_entries_resource_line", "resource_id", "state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[Optional[int]] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(Text, default="")
    project: Mapped[Optional[str]] = mapped_column(String(200))
    batch: Mapped[Optional[str]] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), default="waiting")  # waitlist.rules.STATUSES
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    booking_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bookings.id"))
    offered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    hold_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    resource: Mapped[Resource] = relationship()
    booking: Mapped[Optional[Booking]] = relationship()

    @property
    def facility(self):
        return self.resource.facility

    @property
    def kind(self) -> str:
        return "slot" if self.minutes is None else "window"
