"""Projects: a therapy programme or company project, and the organisations taking part."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from facility import audit
from facility.accounts.models import Organisation
from facility.bookings import states
from facility.bookings.models import Booking
from facility.bookings.rules import Violation
from facility.catalog.services import list_facilities
from facility.core.database import write_transaction
from facility.core.errors import ServiceError, forbidden, invalid
from facility.core.extensions import db
from facility.usage.models import PROJECT_STAGES, Project, UsageRecord
from facility.usage.sql import epoch, total

# What a project's path shows (not what was cancelled or rejected), and in which order.
PATH_STATUSES = states.values(states.SHOWN)  # asked for, granted or used
GMP_ORDER = {"research": 0, "pre-gmp": 1, "gmp": 2}


def list_projects(actor=None) -> list[Project]:
    """Every project; given ``actor``, only those the actor may see (``may_see``)."""
    found = list(db.session.scalars(select(Project).order_by(Project.key)))
    return found if actor is None else [p for p in found if may_see(actor, p)]


def create_project(actor, key: str, name: str, stage: str, organisation_keys: list[str]) -> Project:
    if actor is not None and not (actor.is_admin or actor.manages_any):
        raise forbidden("Only managers and administrators can create projects.")
    with write_transaction():
        if stage not in PROJECT_STAGES:
            raise invalid("invalid", f"Stage must be one of {', '.join(PROJECT_STAGES)}.", "stage")
        if db.session.scalar(select(Project).where(Project.key == key)) is not None:
            raise invalid("duplicate", f"A project '{key}' exists already.", "key")
        organisations = list(db.session.scalars(select(Organisation).where(Organisation.key.in_(organisation_keys))))
        unknown = sorted(set(organisation_keys) - {o.key for o in organisations})
        if unknown:
            raise ServiceError(
                422, [Violation("not_found", f"No such organisation: {k}.", "organisations") for k in unknown]
            )
        project = Project(key=key, name=name, stage=stage, organisations=organisations)
        db.session.add(project)
        audit.record(
            actor,
            "project.created",
            project,
            after={"key": key, "name": name, "stage": stage, "organisations": sorted(organisation_keys)},
        )
    return project


# --- the project's path across the facilities -------------------------------------------


@dataclass
class PathCell:
    bookings: int = 0
    minutes: int = 0
    used_minutes: int = 0
    statuses: dict = field(default_factory=dict)

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    @property
    def used_hours(self) -> float:
        return round(self.used_minutes / 60, 1)


def project_path(project: Project) -> tuple[list, list[str], dict]:
    """The project's bookings (by name, case-insensitive; not cancelled or rejected), grouped by
    facility (research, pre-GMP, GMP) and by the month of their start in the facility's zone.

    Returns (facilities, months, {(facility key, month): PathCell}).
    """
    name = (project.name or "").strip().lower()
    used = select(
        UsageRecord.booking_id, total(epoch(UsageRecord.end_at) - epoch(UsageRecord.start_at)).label("seconds")
    )
    used = (
        used.where(
            UsageRecord.superseded.is_(False), UsageRecord.booking_id.is_not(None), UsageRecord.end_at.is_not(None)
        )
        .group_by(UsageRecord.booking_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Booking, used.c.seconds)
        .outerjoin(used, used.c.booking_id == Booking.id)
        .where(func.lower(func.trim(Booking.project)) == name, Booking.status.in_(PATH_STATUSES))
        .order_by(Booking.start_at)
    ).all()
    cells: dict[tuple[str, str], PathCell] = {}
    months: set[str] = set()
    for booking, used_seconds in rows:
        facility = booking.facility
        month = booking.start_at.astimezone(ZoneInfo(facility.timezone)).strftime("%Y-%m")
        months.add(month)
        cell = cells.setdefault((facility.key, month), PathCell())
        cell.bookings += 1
        cell.minutes += int((booking.end_at - booking.start_at).total_seconds() // 60)
        cell.used_minutes += int(used_seconds or 0) // 60
        cell.statuses[booking.status] = cell.statuses.get(booking.status, 0) + 1
    facilities = sorted(list_facilities(), key=lambda f: (GMP_ORDER.get(f.gmp_level, 9), f.id))
    return facilities, sorted(months), cells


def may_see(actor, project: Project) -> bool:
    """Managers and administrators see every project; others those their organisation takes part in."""
    if actor.is_admin or actor.manages_any:
        return True
    return any(o.id == actor.organisation_id for o in project.organisations)


def visible_project(actor, project_id: int) -> Optional[Project]:
    """The project, if it exists and ``actor`` may see it."""
    project = db.session.get(Project, project_id)
    return project if project is not None and may_see(actor, project) else None
