"""Writing and checking the audit trail. Every domain writes it, so it imports none of them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Optional

from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from facility.audit import chain, signatures
from facility.audit.models import AuditEvent
from facility.core.extensions import db
from facility.core.time import utcnow

# The PostgreSQL advisory lock that serialises appends to the chain (any fixed 64-bit number).
CHAIN_LOCK = 0x0A0D17C4A1


def record(
    actor,
    action,
    entity,
    *,
    before=None,
    after=None,
    reason="",
    facility=None,
    signature_meaning=None,
    signer_name=None,
    signed_content=None,
) -> AuditEvent:
    """Append an audit event for ``entity`` (a model with ``id``) to the current transaction.

    An electronic signature gives ``signature_meaning``, ``signer_name`` and ``signed_content``
    (the plain dict of what was signed), whose hash is kept with the event.
    """
    if signature_meaning is not None:
        signatures.check_meaning(signature_meaning)
    db.session.flush()  # entity.id must exist, and earlier events of this transaction be written
    _lock_chain()
    last = db.session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, chain.GENESIS)
    event = AuditEvent(
        seq=seq,
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        action=action,
        entity=type(entity).__tablename__,
        entity_id=entity.id,
        facility_id=facility.id if facility is not None else None,
        before=before,
        after=after,
        reason=reason or "",
        signature_meaning=signature_meaning,
        signer_name=signer_name,
        signed_content_hash=chain.content_hash(signed_content) if signed_content is not None else None,
        prev_hash=prev_hash,
    )
    event.hash = chain.event_hash(event.fields(), prev_hash)
    db.session.add(event)
    db.session.flush()
    return event


def _lock_chain() -> None:
    """On PostgreSQL, hold the chain's lock until the transaction ends, so that the previous
    hash read next is the last one committed (READ COMMITTED takes a fresh snapshot per
    statement). SQLite needs none: its write transactions are serialised (BEGIN IMMEDIATE)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})


def verify() -> tuple[int, Optional[str]]:
    """Walk the whole chain in order: (events verified, None) or (events before the break, what broke)."""
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq, AuditEvent.id)).yield_per(1000)
    return chain.first_break(event.fields() for event in rows)


def signatures_of(entity: str, entity_id: int) -> list[AuditEvent]:
    """The signed events of one record, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.entity == entity,
                AuditEvent.entity_id == entity_id,
                AuditEvent.signed_content_hash.is_not(None),
            )
            .order_by(AuditEvent.seq)
        )
    )


def review(facility_ids: Optional[Collection[int]], start: Optional[datetime], end: Optional[datetime]) -> list:
    """The audit events of [start, end) in chain order, of the facilities ``facility_ids``
    (None: every event, also those of no facility). The caller decides who may see which."""
    query = select(AuditEvent).options(selectinload(AuditEvent.actor)).order_by(AuditEvent.seq, AuditEvent.id)
    if facility_ids is not None:
        query = query.where(AuditEvent.facility_id.in_(list(facility_ids)))
    if start is not None:
        query = query.where(AuditEvent.at >= start)
    if end is not None:
        query = query.where(AuditEvent.at < end)
    return list(db.session.scalars(query))
