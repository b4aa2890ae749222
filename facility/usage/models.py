"""Usage records (what really happened), projects, and the bookkeeping of the scheduled jobs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facility.accounts.models import Organisation, User
from facility.bookings.models import Booking
from facility.catalog.models import Resource
from facility.core.database import UTCDateTime
from facility.core.extensions import db
from facility.core.time import utcnow

USAGE_SOURCES = ("booking", "walk-up", "manual")
PROJECT_STAGES = ("research", "pre-gmp", "gmp")
# What the project office registers for the funder's indicators (definitions.py says which counts where).
REGISTER_KINDS = (
    "activity_3_2",  # took part in activity 3.2
    "activity_3_4",  # took part in activity 3.4
    "grant",  # support given as a grant
    "research_cooperation",  # active joint work with a research organisation
    "development",  # developed a product, process or business model
    "innovation",  # introduced a product or process innovation
    "private_investment",  # private investment matching the public support (amount_sek)
    "partner",  # a partner of the project, or an organisation a partner supports
)


class UsageRecord(db.Model):
    """Who used which resource from when to when.

    ``end_at`` is empty while a booking is checked in. A manager's correction is a new record
    (``corrects_id`` names the one it replaces); the replaced record stays, with
    ``superseded`` set, so the history is kept. Reports count records that are not superseded.
    """

    __tablename__ = "usage_records"
    __table_args__ = (
        Index("ix_usage_records_resource_time", "resource_id", "start_at", "end_at"),
        # The state-aid ledger and the companies indicator: an organisation's use in a period (0010),
        # covering every column they filter and join on, so that SQLite reads no table row for them.
        Index(
            "ix_usage_records_organisation_time", "organisation_id", "start_at", "end_at", "resource_id", "superseded"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bookings.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The user's organisation when the use happened (users may move on later).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))
    # The product (or project) and batch in process (21 CFR 211.182): the booking's, or a walk-up's own.
    product: Mapped[Optional[str]] = mapped_column(String(200))
    batch: Mapped[Optional[str]] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    # Closed by the system, not by the user (checked in, never checked out).
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    corrects_id: Mapped[Optional[int]] = mapped_column(ForeignKey("usage_records.id"))
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booking: Mapped[Optional[Booking]] = relationship()
    resource: Mapped[Resource] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[Optional[User]] = relationship(foreign_keys=[created_by_id])

    @property
    def minutes(self) -> Optional[int]:
        if self.end_at is None:
            return None
        return int((self.end_at - self.start_at).total_seconds() // 60)


project_organisations = Table(
    "project_organisations",
    db.metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)


class Project(db.Model):
    """A therapy programme or company project, with the organisations taking part."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(16), default="research")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisations: Mapped[list[Organisation]] = relationship(secondary=project_organisations, order_by=Organisation.key)


class RegisterEntry(db.Model):
    """One fact the project office registers for the funder's indicators: what (``kind``), which
    organisation, on which day, and the evidence (a note or a document reference).

    Append-only, like usage records: an entry is never changed. A correction is a new entry
    that ``replaces`` the old one (at most once), and a withdrawal is a replacing entry with
    ``withdrawn`` set. The indicators count entries that are not replaced and not withdrawn;
    each entry is written with its audit event.
    """

    __tablename__ = "register_entries"
    __table_args__ = (Index("ix_register_entries_kind_day", "kind", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(Text)
    amount_sek: Mapped[Optional[int]] = mapped_column(Numeric(14, 0))
    replaces_id: Mapped[Optional[int]] = mapped_column(ForeignKey("register_entries.id"), unique=True)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    recorded_by: Mapped[Optional[User]] = relationship()
