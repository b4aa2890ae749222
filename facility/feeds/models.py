"""Calendar feeds (our bookings out to people's calendars) and calendar sources (outside
calendars, such as public holidays, in as blackouts)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facility.accounts.models import User
from facility.bookings.models import Booking
from facility.catalog.models import Facility, Resource
from facility.core.database import UTCDateTime
from facility.core.extensions import db
from facility.core.time import utcnow

FEED_SCOPES = ("user", "resource", "facility")


class CalendarFeed(db.Model):
    """A subscription URL. The URL's secret is derived from ``nonce`` and the app's secret key
    (so its owner can be shown it again); the database keeps only ``nonce`` and the secret's
    SHA-256, by which a request finds its feed."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    scope: Mapped[str] = mapped_column(String(16))
    facility_id: Mapped[Optional[int]] = mapped_column(ForeignKey("facilities.id"))
    resource_id: Mapped[Optional[int]] = mapped_column(ForeignKey("resources.id"))
    nonce: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_polled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    facility: Mapped[Optional[Facility]] = relationship()
    resource: Mapped[Optional[Resource]] = relationship()

    @property
    def target(self) -> Optional[str]:
        """The key the feed follows: a resource or facility key; None for the owner's bookings."""
        if self.scope == "resource":
            return self.resource.key
        if self.scope == "facility":
            return self.facility.key
        return None

    def __repr__(self) -> str:
        return f"<CalendarFeed {self.id} {self.scope}>"


class CalendarSource(db.Model):
    """An outside iCalendar (a URL, or an uploaded file) whose events become blackouts of one
    facility, or of one of its resources."""

    __tablename__ = "calendar_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    resource_id: Mapped[Optional[int]] = mapped_column(ForeignKey("resources.id"))
    name: Mapped[str] = mapped_column(String(200))
    # Exactly one of url and upload: a URL is fetched again by the refresh job; an upload is not.
    url: Mapped[Optional[str]] = mapped_column(String(2000))
    upload: Mapped[Optional[bytes]] = mapped_column(LargeBinary)
    blackout_kind: Mapped[str] = mapped_column(String(32), default="holiday")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_success_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The last refresh's problem, for the manager's page; "" once a refresh succeeds.
    last_error: Mapped[str] = mapped_column(Text, default="")
    event_count: Mapped[int] = mapped_column(Integer, default=0)

    facility: Mapped[Facility] = relationship()
    resource: Mapped[Optional[Resource]] = relationship()
    created_by: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return f"<CalendarSource {self.id} {self.name!r}>"


class StoredEvent(db.Model):
    """A booking's serialised VEVENT, kept in the database so that every worker on every host
    builds a feed from the same stored events and writes only those that changed.

    ``variant`` is what the feed's owner may see of the booking: ``detailed``, or "Booked" as a
    facility feed (``anonymous``) or a resource feed (``anonymous-resource``) writes it. The row
    is current while ``updated_at`` and ``sequence`` equal the booking's and ``context`` (a hash
    of the base URL, the document format and the catalogue's names) equals the feed's."""

    __tablename__ = "feed_events"

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True)
    variant: Mapped[str] = mapped_column(String(24), primary_key=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sequence: Mapped[int] = mapped_column(Integer)
    context: Mapped[str] = mapped_column(String(32))
    body: Mapped[bytes] = mapped_column(LargeBinary)  # UTF-8, CRLF line ends: joined as it is

    def __repr__(self) -> str:
        return f"<StoredEvent {self.booking_id} {self.variant}>"


# A feed's document finds its window of bookings, with the updated_at and sequence that say
# whether their stored events are current, through this index (migration 0009).
Index(
    "ix_bookings_feed_version",
    Booking.resource_id,
    Booking.start_at,
    Booking.end_at,
    Booking.status,
    Booking.updated_at,
    Booking.sequence,
    Booking.id,
)


class FeedChange(db.Model):
    """One change to what calendar feeds show, written by the database itself: triggers on
    ``bookings`` and ``blackouts`` (migration 0011) add a row for the resource and the user of a
    booking that is inserted, updated or deleted, and for the facility of a blackout. Ids only
    grow, so a feed's ETag is the newest change of what it follows: a few index seeks, whatever
    the number of events, and no write of the application's own (every path that writes a
    booking, on any host, is seen). Append-only: no row is updated, none locked."""

    __tablename__ = "feed_changes"
    __table_args__ = (Index("ix_feed_changes_target", "kind", "target_id", "id"),)

    KINDS = ("resource", "user", "blackouts")  # bookings of a resource, of a user; a facility's blackouts

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    # The changed row's updated_at (bookings) or created_at (blackouts): the feed's Last-Modified.
    changed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
