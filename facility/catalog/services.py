"""Reading the catalogue, and loading it from ``instruments.yaml``."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select

from facility.catalog.closures import ClosedDays
from facility.catalog.models import Facility, Resource
from facility.core.database import write_transaction
from facility.core.errors import not_found
from facility.core.extensions import db
from facility.core.time import utcnow


def list_facilities() -> list[Facility]:
    return list(db.session.scalars(select(Facility).order_by(Facility.id)))


def closed_days_for(facility: Facility) -> ClosedDays:
    """The days ``facility`` is closed: its country's public holidays, its named holidays and its
    own closures (``day in closed_days_for(facility)``; ``.name(day, "sv")`` says why)."""
    return ClosedDays.from_entries(facility.public_holidays, facility.closed_days or [])


def list_resources(facility: Optional[Facility] = None) -> list[Resource]:
    """Bookable (not retired) resources, optionally of one facility."""
    query = select(Resource).where(Resource.retired_at.is_(None)).order_by(Resource.facility_id, Resource.id)
    if facility is not None:
        query = query.where(Resource.facility_id == facility.id)
    return list(db.session.scalars(query))


def load_catalog(path):
    """Load ``instruments.yaml`` in one transaction: a broken file changes nothing."""
    from facility.catalog.loader import apply_catalog, read_catalog  # keeps YAML parsing out of app start-up

    catalog = read_catalog(path)
    with write_transaction() as session:
        return apply_catalog(session, catalog, now=utcnow(), reason=str(path))


def get_resource(key: str, field: Optional[str] = None) -> Resource:
    resource = db.session.scalar(select(Resource).where(Resource.key == key))
    if resource is None:
        raise not_found("resource", field)
    return resource


def get_facility(key: str, field: Optional[str] = None) -> Facility:
    facility = db.session.scalar(select(Facility).where(Facility.key == key))
    if facility is None:
        raise not_found("facility", field)
    return facility
