"""Bookings and blackouts: claims on a resource's time."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func, or_, select, text, type_coerce
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from facility.accounts.models import User
from facility.bookings import states
from facility.catalog.models import Facility, Resource
from facility.core.database import UTCDateTime
from facility.core.extensions import db
from facility.core.time import utcnow

# Plain strings, for SQL and schemas; the states and their sets are defined in ``states``.
BOOKING_STATUSES = states.values(states.ALL)
ACTIVE_STATUSES = states.values(states.ACTIVE)
BLACKOUT_KINDS = ("maintenance", "requalification", "cleaning", "holiday", "other")


class Booking(db.Model):
    """A user's claim on one resource for [start_at, end_at).

    ``blocked_until`` is ``end_at`` plus the resource's changeover at the time of booking:
    the slot that active bookings must not share.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_resource_time", "resource_id", "start_at", "blocked_until"),
        # The database itself refuses two active bookings of one resource that overlap,
        # changeover included (PostgreSQL only; SQLite serialises writes instead).
        ExcludeConstraint(
            ("resource_id", "="),
            (func.tstzrange(text("start_at"), text("blocked_until"), text("'[)'")), "&&"),
            name="bookings_no_overlap",
            using="gist",
            where=text("status IN (" + ", ".join(f"'{s}'" for s in ACTIVE_STATUSES) + ")"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), index=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    project: Mapped[Optional[str]] = mapped_column(String(200))
    # The batch or lot the work is for (pre-GMP asks, GMP requires: gmp.rules.check_labels).
    batch: Mapped[Optional[str]] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Grows with every change, for iCalendar SEQUENCE.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    # The recurring series this booking is an occurrence of (bookings/series.py), if any.
    series_id: Mapped[Optional[int]] = mapped_column(ForeignKey("booking_series.id"), index=True)
    # Set when the booking is one member of a bundle (a suite with its equipment, booked all or
    # nothing for the same time: bookings/bundles.py); each member keeps its own changeover.
    bundle_id: Mapped[Optional[int]] = mapped_column(ForeignKey("booking_bundles.id"), index=True)

    resource: Mapped[Resource] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[decided_by_id])
    series: Mapped[Optional["BookingSeries"]] = relationship()
    bundle: Mapped[Optional["BookingBundle"]] = relationship(foreign_keys=[bundle_id])

    @property
    def facility(self) -> Facility:
        return self.resource.facility

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @classmethod
    def holding(cls, resource_id, start, end) -> tuple:
        """SQL conditions: the active bookings of ``resource_id`` whose held time (changeover
        included) meets [start, end). Each argument a value or a column expression.

        The active bookings of a resource never overlap (the exclusion constraint on PostgreSQL,
        the serialised check on SQLite), so those that meet the window start inside it, or are
        the one that starts last before it. The read of the (resource, start) index therefore
        begins at that one's start, not at the resource's first booking: as fast after years of
        bookings as on the first day (``start_at < end`` alone would read them all)."""
        earlier = aliased(cls)
        last_start_before = (
            select(func.max(earlier.start_at))
            .where(earlier.resource_id == resource_id, earlier.status.in_(ACTIVE_STATUSES), earlier.start_at < start)
            .scalar_subquery()
        )
        return (
            cls.resource_id == resource_id,
            cls.status.in_(ACTIVE_STATUSES),
            # (``start`` bound as the column binds it: in UTC, as stored)
            cls.start_at >= func.coalesce(last_start_before, type_coerce(start, cls.start_at.type)),
            cls.start_at < end,
            cls.blocked_until > start,
        )

    def __repr__(self) -> str:
        return f"<Booking {self.id} {self.status}>"


class BookingBundle(db.Model):
    """Several resources booked together for the same [start, end), all or nothing: one
    ordinary ``Booking`` per resource points here (``Booking.bundle_id``). The bundle says who
    asked and, if it was booked as one, which suite of the catalogue (``key``); its time and
    status are its members' (they move, are decided and are cancelled together)."""

    __tablename__ = "booking_bundles"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[Optional[str]] = mapped_column(String(64))  # the catalogue's bundle, if booked by its key
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    members: Mapped[list[Booking]] = relationship(order_by=Booking.id, viewonly=True)

    def __repr__(self) -> str:
        return f"<BookingBundle {self.id}>"


class Blackout(db.Model):
    """Time a manager takes out of service: one resource, or the whole facility if no resource."""

    __tablename__ = "blackouts"
    __table_args__ = (Index("ix_blackouts_facility_time", "facility_id", "start_at", "end_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    resource_id: Mapped[Optional[int]] = mapped_column(ForeignKey("resources.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="maintenance")
    reason: Mapped[str] = mapped_column(Text, default="")
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when an outside calendar made this blackout; its refresh replaces them all.
    source_id: Mapped[Optional[int]] = mapped_column(ForeignKey("calendar_sources.id"), index=True)

    facility: Mapped[Facility] = relationship()
    resource: Mapped[Optional[Resource]] = relationship()
    created_by: Mapped[Optional[User]] = relationship()

    @classmethod
    def covering(cls, facility_id, resource_id, start, end) -> tuple:
        """SQL conditions: the blackouts that take ``resource_id`` of ``facility_id`` out of
        service (the whole facility's, or that resource's) during part of [start, end). Each
        argument a value or a column expression."""
        return (
            cls.facility_id == facility_id,
            or_(cls.resource_id.is_(None), cls.resource_id == resource_id),
            cls.start_at < end,
            cls.end_at > start,
        )


class BookingSeries(db.Model):
    """A recurring booking: an RFC 5545 RRULE from a local wall-clock start, each occurrence an
    ordinary ``Booking`` (``Booking.series_id``) checked by the same rules as a single one.

    ``local_start`` is the first occurrence's wall-clock start in ``timezone`` (the RRULE's
    DTSTART, ISO text without offset); every occurrence lasts ``duration_minutes`` of wall-clock
    time. ``approval`` is the resource's ``series_approval`` when the series was made.
    """

    __tablename__ = "booking_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), index=True)
    rrule: Mapped[str] = mapped_column(Text)
    local_start: Mapped[str] = mapped_column(String(19))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    approval: Mapped[str] = mapped_column(String(16), default="series")
    purpose: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resource: Mapped[Resource] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    @property
    def facility(self) -> Facility:
        return self.resource.facility

    def __repr__(self) -> str:
        return f"<BookingSeries {self.id}>"
