"""Failed sign-ins, kept in the database so that every worker process sees the same count."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from facility.core.database import UTCDateTime, utcnow
from facility.core.extensions import db


class FailedSignIn(db.Model):
    __tablename__ = "failed_sign_ins"
    __table_args__ = (
        Index("ix_failed_sign_ins_email_ip_at", "email", "ip", "at"),
        Index("ix_failed_sign_ins_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
