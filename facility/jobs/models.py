"""The scheduled jobs' own tables: leases on jobs, and the mails they have sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from facility.core.database import UTCDateTime, utcnow
from facility.core.extensions import db


class JobLock(db.Model):
    """A lease on a scheduled job: only the holder of an unexpired lease runs it."""

    __tablename__ = "job_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)


class NotificationSent(db.Model):
    """A mail the jobs have sent, by a key such as ``reminder-24h:12:2026-12-01T08:00:00+00:00``."""

    __tablename__ = "notifications_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
