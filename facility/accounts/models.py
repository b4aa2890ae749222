"""Organisations, users, their qualifications and personal API tokens."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facility.accounts import qualifications
from facility.catalog.models import Facility, Qualification
from facility.core.database import UTCDateTime
from facility.core.extensions import db
from facility.core.time import utcnow

ROLES = ("scientist", "manager", "admin")

managed_facilities = Table(
    "managed_facilities",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("facility_id", ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    size_class: Mapped[Optional[str]] = mapped_column(String(8))  # the latest; its history is OrganisationSize
    # The Swedish organisation number (10 digits, as python-stdnum's se.orgnr compacts it): the
    # key that counts an enterprise once in the funder's indicators.
    org_number: Mapped[Optional[str]] = mapped_column(String(10), unique=True)

    users: Mapped[list["User"]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.key}>"


class OrganisationSize(db.Model):
    """A company's size class (Recommendation 2003/361/EC) from a day on, with where it comes
    from. Append-only: a new row from a later day changes it, a row of the same day corrects it
    (the later row wins). The indicators count a company by its size class on the day of support."""

    __tablename__ = "organisation_sizes"
    __table_args__ = (Index("ix_organisation_sizes_lookup", "organisation_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    size_class: Mapped[str] = mapped_column(String(8))
    valid_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="scientist")
    password_hash: Mapped[Optional[str]] = mapped_column(String(255))
    is_researcher: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[Optional[str]] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The TOTP second factor (base32); kept readable because verifying a code needs it.
    totp_secret: Mapped[Optional[str]] = mapped_column(String(64))
    totp_last_step: Mapped[Optional[int]] = mapped_column(Integer)  # the last code used: never twice

    organisation: Mapped[Organisation] = relationship(back_populates="users")
    facilities: Mapped[list[Facility]] = relationship(secondary=managed_facilities, order_by=Facility.key)
    qualifications: Mapped[list["UserQualification"]] = relationship(
        back_populates="user", foreign_keys="UserQualification.user_id"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def manages(self, facility: Facility) -> bool:
        """Whether this user may approve, black out and report for ``facility``."""
        if self.is_admin:
            return True
        return self.role == "manager" and any(f.id == facility.id for f in self.facilities)

    @property
    def manages_any(self) -> bool:
        """Whether this user manages some facility (an administrator manages all): who may open
        the managers' pages and see what spans facilities (the state-aid ledger). Which
        facility's things they may change is ``manages``."""
        return self.is_admin or (self.role == "manager" and bool(self.facilities))

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserQualification(db.Model):
    __tablename__ = "user_qualifications"
    __table_args__ = (UniqueConstraint("user_id", "qualification_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    qualification_id: Mapped[int] = mapped_column(ForeignKey("qualifications.id"))
    valid_until: Mapped[date] = mapped_column(Date)
    granted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="qualifications", foreign_keys=[user_id])
    qualification: Mapped[Qualification] = relationship()
    granted_by: Mapped[Optional[User]] = relationship(foreign_keys=[granted_by_id])

    def valid_on(self, local_day: date) -> bool:
        """Whether it counts on ``local_day`` of the facility's calendar (``qualifications.valid_on``)."""
        return qualifications.valid_on(self.valid_until, local_day)


class ApiToken(db.Model):
    """A personal API token. Only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """A signed-in browser session. The cookie holds a random secret; only its SHA-256 is kept.
    The session counts while ``ended_at`` is empty, on every worker and host alike."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def active(self) -> bool:
        return self.ended_at is None


# Failed sign-ins, kept in the database so that every worker process sees the same count.
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
