"""GMP records: the logbook of each room and instrument (EudraLex Vol. 4, Part I, ch. 4).

Entries are append-only: never updated, never deleted (on PostgreSQL a trigger refuses both,
migration 0012). A correction is a new entry that names the one it corrects (``corrects_id``)
and says why (``reason``); the corrected entry stays legible, and the logbook shows both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facility.accounts.models import User
from facility.catalog.models import Qualification, Resource
from facility.core.database import UTCDateTime
from facility.core.extensions import db
from facility.core.time import utcnow
from facility.gmp.rules import ENTRY_KINDS, OUTCOMES  # noqa: F401  (the vocabularies, pure)


class LogbookEntry(db.Model):
    """One line a person wrote into a resource's logbook: a cleaning, a line clearance, the
    verification of one (by a second person), a maintenance, a calibration, a repair, a
    deviation or a note. Uses come from the usage records and status changes from the audit
    trail: the logbook shows them without copying them here."""

    __tablename__ = "logbook_entries"
    __table_args__ = (Index("ix_logbook_entries_resource_time", "resource_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    kind: Mapped[str] = mapped_column(String(32))
    # When it was done (may be back-dated within FACILITY_LOGBOOK_BACKDATE_HOURS) and when written.
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    procedure: Mapped[str] = mapped_column(String(200), default="")  # the SOP followed
    text: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[Optional[str]] = mapped_column(String(16))  # passed | failed
    product: Mapped[Optional[str]] = mapped_column(String(200))
    batch: Mapped[Optional[str]] = mapped_column(String(100))
    # A verification names the cleaning or line clearance it verifies.
    verifies_id: Mapped[Optional[int]] = mapped_column(ForeignKey("logbook_entries.id"), index=True)
    # A correction names the entry it corrects, and why.
    corrects_id: Mapped[Optional[int]] = mapped_column(ForeignKey("logbook_entries.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    # A calibration or maintenance that carries out a plan of instruments.yaml names its key.
    plan_key: Mapped[Optional[str]] = mapped_column(String(64))
    # A verification is signed: the printed name and what the signature means (audit.signatures).
    signer_name: Mapped[Optional[str]] = mapped_column(String(200))
    signature_meaning: Mapped[Optional[str]] = mapped_column(String(32))

    resource: Mapped[Resource] = relationship()
    recorded_by: Mapped[User] = relationship()
    verifies: Mapped[Optional["LogbookEntry"]] = relationship(remote_side=[id], foreign_keys=[verifies_id])
    corrects: Mapped[Optional["LogbookEntry"]] = relationship(remote_side=[id], foreign_keys=[corrects_id])

    @property
    def number(self) -> str:
        return f"E{self.id}"


class RoomEntry(db.Model):
    """A person who entered a room under a checked-in booking, besides its owner (EU GMP Annex 1
    ch. 7): supervised when they hold no valid gowning qualification, and then by whom. The
    entry ends when they leave, or when the booking is checked out."""

    __tablename__ = "room_entries"
    __table_args__ = (Index("ix_room_entries_resource_open", "resource_id", "left_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    supervised_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    resource: Mapped[Resource] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    supervised_by: Mapped[Optional[User]] = relationship(foreign_keys=[supervised_by_id])
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])


class QualificationWithdrawal(db.Model):
    """A manager withdrew a person's qualification (a gowning qualification after a failed
    gowning test, say), with the reason. Append-only: a renewal granted later lifts it."""

    __tablename__ = "qualification_withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    qualification_id: Mapped[int] = mapped_column(ForeignKey("qualifications.id"))
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    qualification: Mapped[Qualification] = relationship()
    withdrawn_by: Mapped[User] = relationship(foreign_keys=[withdrawn_by_id])
