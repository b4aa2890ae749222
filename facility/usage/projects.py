"""Projects: a therapy programme or company project, and the organisations taking part."""
from __future__ import annotations

from sqlalchemy import select

from .. import audit
from ..accounts.models import Organisation
from ..database import write_transaction
from ..errors import ServiceError, forbidden, invalid
from ..extensions import db
from ..bookings.rules import Violation
from .models import PROJECT_STAGES, Project


def list_projects() -> list[Project]:
    return list(db.session.scalars(select(Project).order_by(Project.key)))


def create_project(actor, key: str, name: str, stage: str, organisation_keys: list[str]) -> Project:
    if actor is not None and not (actor.is_admin or actor.role == "manager"):
        raise forbidden("Only managers and administrators can create projects.")
    with write_transaction():
        if stage not in PROJECT_STAGES:
            raise invalid("invalid", f"Stage must be one of {', '.join(PROJECT_STAGES)}.", "stage")
        if db.session.scalar(select(Project).where(Project.key == key)) is not None:
            raise invalid("duplicate", f"A project '{key}' exists already.", "key")
        organisations = list(db.session.scalars(select(Organisation).where(Organisation.key.in_(organisation_keys))))
        unknown = sorted(set(organisation_keys) - {o.key for o in organisations})
        if unknown:
            raise ServiceError(422, [Violation("not_found", f"No such organisation: {k}.", "organisations")
                                     for k in unknown])
        project = Project(key=key, name=name, stage=stage, organisations=organisations)
        db.session.add(project)
        audit.record(actor, "project.created", project, after={
            "key": key, "name": name, "stage": stage, "organisations": sorted(organisation_keys)})
    return project
