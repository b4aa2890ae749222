"""The audit-trail review for managers and admins (Annex 11 §9), per period and facility.

The audit trail imports no domain; this module decides who may see which facility's events
and hands the audit trail the facilities as values. Managers see their facilities' events,
administrators every event (also those of no facility, such as users and organisations).
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from facility.accounts.models import User
from facility.audit import review as audit_review
from facility.audit import services as audit_services
from facility.catalog.models import Facility
from facility.catalog.services import get_facility, list_facilities
from facility.core.access import require_a_manager, require_manager_of
from facility.core.config import default_zone
from facility.core.errors import invalid


def places() -> dict[int, audit_review.Place]:
    return {f.id: audit_review.Place(f.key, f.name, f.timezone) for f in list_facilities()}


def visible_facilities(actor: User) -> list[Facility]:
    return [facility for facility in list_facilities() if actor.manages(facility)]


def audit_events(
    actor: User, facility_key: Optional[str], start: Optional[datetime], end: Optional[datetime]
) -> list[dict]:
    """The events of [start, end) that ``actor`` may review, as rows (facility-local times)."""
    require_a_manager(actor, "Only lab managers and administrators can review the audit trail.")
    if start and end and end <= start:
        raise invalid("end_before_start", "'to' must be after 'from'.", "to")
    if facility_key:
        facility = get_facility(facility_key, "facility")
        require_manager_of(actor, facility, "review its audit trail")
        ids: Optional[list[int]] = [facility.id]
    elif actor.is_admin:
        ids = None
    else:
        ids = [facility.id for facility in visible_facilities(actor)]
    known = places()
    zone = default_zone().key
    return [audit_review.row(event, known, zone) for event in audit_services.review(ids, start, end)]


def audit_csv(rows: list[dict]) -> str:
    return audit_review.csv_text(rows)


def chain_status(actor: User) -> Optional[tuple[int, Optional[str]]]:
    """For an administrator, the hash chain walked (events verified, the first break or None);
    None for others (the chain spans every facility)."""
    if not actor.is_admin:
        return None
    return audit_services.verify()
