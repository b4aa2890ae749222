"""The scheduled jobs' own table: leases on jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from facility.core.database import UTCDateTime
from facility.core.extensions import db


class JobLock(db.Model):
    """A lease on a scheduled job: only the holder of an unexpired lease runs it."""

    __tablename__ = "job_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)
