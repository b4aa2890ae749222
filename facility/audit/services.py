"""Writing and checking the audit trail. Every domain writes it, so it imports none of them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Optional

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, selectinload

from facility.audit import chain, signatures
from facility.audit.models import AuditEvent
from facility.core.database import note_written
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
    """Add an audit event for ``entity`` (a model with ``id``) to the current transaction.

    An electronic signature gives ``signature_meaning``, ``signer_name`` and ``signed_content``
    (the plain dict of what was signed), whose hash is kept with the event. The event joins
    the hash chain when the transaction commits (``_append_to_chain``).
    """
    if signature_meaning is not None:
        signatures.check_meaning(signature_meaning)
    db.session.flush()  # entity.id must exist
    event = AuditEvent(
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
    )
    db.session.info.setdefault(PENDING, []).append(event)
    note_written(db.session())
    return event


PENDING = "facility.audit.pending"
LAST_LINK = select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)  # built once


@event.listens_for(Session, "before_commit")
def _append_to_chain(session: Session) -> None:
    """Chain the transaction's events, in the order they were recorded, onto the last one
    committed, as the last thing before the commit.

    On PostgreSQL a transaction-scoped advisory lock serialises this step, so that the previous
    hash read is the last one committed (READ COMMITTED reads afresh per statement); it is taken
    only here, after every other write of the transaction, so it waits on nothing else and
    nothing can wait on it in turn (no deadlock), and it is held only for these few inserts.
    SQLite needs no lock: its write transactions are serialised already (BEGIN IMMEDIATE).
    """
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    last = session.connection().execute(LAST_LINK).first()
    seq, prev_hash = (last.seq, last.hash) if last else (0, chain.GENESIS)
    for audit_event in pending:
        seq += 1
        audit_event.seq, audit_event.prev_hash = seq, prev_hash
        audit_event.hash = prev_hash = chain.event_hash(audit_event.fields(), prev_hash)
    # Inserted as rows, not through the unit of work: an appended event is never changed, and
    # the ORM's flush of a new object costs several times the insert itself (issue 12).
    session.connection().execute(_INSERT, [_row(audit_event) for audit_event in pending])


_COLUMNS = tuple(column.key for column in AuditEvent.__table__.columns if column.key != "id")
_INSERT = AuditEvent.__table__.insert()


def _row(audit_event: AuditEvent) -> dict:
    return {key: getattr(audit_event, key) for key in _COLUMNS}


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction) -> None:
    """Events of a transaction that ends without a commit (rolled back) are not written."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def verify() -> tuple[int, Optional[str]]:
    """Walk the whole chain in order: (events verified, None) or (events before the break, what broke)."""
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq, AuditEvent.id)).yield_per(1000)
    return chain.first_break(row.fields() for row in rows)


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
