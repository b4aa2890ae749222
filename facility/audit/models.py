"""The append-only audit trail: every change of state, by whom, when, what and why."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facility.core.database import UTCDateTime
from facility.core.extensions import db
from facility.core.time import utcnow

if TYPE_CHECKING:  # the audit trail is written by every domain, so it imports none
    from facility.accounts.models import User


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    # One record's history (and its signatures) is read on its page.
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))  # None: the system
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    facility_id: Mapped[Optional[int]] = mapped_column(ForeignKey("facilities.id"), index=True)
    before: Mapped[Optional[dict]] = mapped_column(JSON)
    after: Mapped[Optional[dict]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")
    # An electronic signature (GMP approval): what the signer declared by signing.
    signature_meaning: Mapped[Optional[str]] = mapped_column(String(200))
    # The signer's printed name at the time of signing, and the SHA-256 of the content signed.
    signer_name: Mapped[Optional[str]] = mapped_column(String(200))
    signed_content_hash: Mapped[Optional[str]] = mapped_column(String(64))
    # Tamper evidence (facility.audit.chain): the position in the chain, the previous event's
    # hash and this event's hash over its content and that previous hash.
    # Nullable only so that a row written behind the application's back is reported, not refused.
    seq: Mapped[Optional[int]] = mapped_column(Integer, index=True, unique=True)
    prev_hash: Mapped[Optional[str]] = mapped_column(String(64))
    hash: Mapped[Optional[str]] = mapped_column(String(64))

    actor: Mapped[Optional["User"]] = relationship("User")

    def fields(self) -> dict:
        """The columns the chain hashes, as plain values."""
        return {
            "id": self.id,
            "seq": self.seq,
            "at": self.at,
            "actor_id": self.actor_id,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "facility_id": self.facility_id,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "signature_meaning": self.signature_meaning,
            "signer_name": self.signer_name,
            "signed_content_hash": self.signed_content_hash,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }
