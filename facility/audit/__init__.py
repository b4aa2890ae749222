"""Audit trail: written by the service layer in the same transaction as the change."""

from facility.audit.models import AuditEvent
from facility.core.extensions import db


def record(
    actor, action, entity, *, before=None, after=None, reason="", facility=None, signature_meaning=None
) -> AuditEvent:
    """Add an audit event for ``entity`` (a model with ``id``) to the current transaction."""
    db.session.flush()  # entity.id must exist
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        entity=type(entity).__tablename__,
        entity_id=entity.id,
        facility_id=facility.id if facility is not None else None,
        before=before,
        after=after,
        reason=reason or "",
        signature_meaning=signature_meaning,
    )
    db.session.add(event)
    return event
