"""The funder's indicators for a period, and the lists behind each figure.

All figures come from usage records that are not superseded and that meet the period
(their part inside the period counts for hours).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import aliased

from facility.accounts.models import Organisation, User
from facility.catalog.models import Facility, Resource
from facility.core.config import default_zone
from facility.core.errors import forbidden, invalid
from facility.core.extensions import db
from facility.core.time import FIRST_YEAR, LAST_YEAR
from facility.core.vocabulary import SIZE_CLASSES
from facility.usage.models import Project, UsageRecord, project_organisations
from facility.usage.sql import clipped_seconds, meets, total

INDICATORS = (
    "users_of_infrastructure",
    "researcher_fte",
    "companies_supported",
    "companies_collaborating_with_research",
    "equipment_nominal_value_sek",
)
RESEARCH_KINDS = ("university", "hospital")
DAYS_PER_YEAR = 365.25
MAX_PERIOD = timedelta(days=366 * 10)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @property
    def years(self) -> float:
        return (self.end - self.start).total_seconds() / 86400 / DAYS_PER_YEAR


def parse_period(start_text: Optional[str], end_text: Optional[str]) -> Period:
    """``from`` and ``to`` as dates (YYYY-MM-DD, ``to`` inclusive, in the service's zone) or RFC 3339 times."""
    zone = default_zone()
    start = _instant(start_text, "from", zone, end_of_day=False)
    end = _instant(end_text, "to", zone, end_of_day=True)
    if end <= start:
        raise invalid("end_before_start", "'to' must be after 'from'.", "to")
    if end - start > MAX_PERIOD:
        raise invalid("period_too_long", "Ask for at most ten years at a time.", "to")
    return Period(start, end)


def _instant(text: Optional[str], field: str, zone: ZoneInfo, *, end_of_day: bool) -> datetime:
    text = (text or "").strip()
    if not text:
        raise invalid("required", f"Give '{field}' as a date (YYYY-MM-DD) or a time with an offset.", field)
    try:
        is_day = len(text) == 10
        instant = (
            datetime.combine(date.fromisoformat(text), time(0))
            if is_day
            else datetime.fromisoformat(text.replace("Z", "+00:00"))
        )
    except ValueError:
        raise invalid("invalid_period", f"'{field}' is not a date (YYYY-MM-DD) or an RFC 3339 time.", field) from None
    if not FIRST_YEAR <= instant.year <= LAST_YEAR:  # far-off years overflow the arithmetic
        raise invalid("invalid_period", f"Give '{field}' between the years {FIRST_YEAR} and {LAST_YEAR}.", field)
    if is_day:
        day = instant.date() + timedelta(days=1 if end_of_day else 0)
        return datetime.combine(day, time(0), zone).astimezone(timezone.utc)
    if instant.tzinfo is None:
        raise invalid("naive_datetime", "The time needs an offset, such as 2026-12-01T09:00:00+01:00.", field)
    return instant.astimezone(timezone.utc)


def require_admin(actor) -> None:
    if not actor.is_admin:
        raise forbidden("Only an administrator can see the programme's indicators.")


# --- the figures ---------------------------------------------------------------------------


def _in_period(period: Period, *, funded_only: bool):
    conditions = [
        UsageRecord.superseded.is_(False),
        UsageRecord.end_at.is_not(None),
        meets(UsageRecord.start_at, UsageRecord.end_at, period.start, period.end),
    ]
    if funded_only:
        conditions.append(Resource.funded_by_programme.is_(True))
    return conditions


def _usage(period: Period, *columns, funded_only: bool):
    return (
        select(*columns)
        .select_from(UsageRecord)
        .join(Resource, UsageRecord.resource_id == Resource.id)
        .join(User, UsageRecord.user_id == User.id)
        .join(Organisation, UsageRecord.organisation_id == Organisation.id)
        .where(*_in_period(period, funded_only=funded_only))
    )


def indicators(period: Period) -> dict:
    fte_hours = float(current_app.config.get("FACILITY_FTE_HOURS", 1720))
    users = db.session.scalar(_usage(period, func.count(distinct(UsageRecord.user_id)), funded_only=True))
    researcher_seconds = db.session.scalar(
        _usage(
            period,
            total(clipped_seconds(UsageRecord.start_at, UsageRecord.end_at, period.start, period.end)),
            funded_only=True,
        ).where(User.is_researcher.is_(True))
    )
    hours = int(researcher_seconds or 0) // 60 / 60
    # Companies with a use in the period, per size class: one EXISTS per company (it stops at the
    # first use found) rather than a DISTINCT over every use of every company.
    user_org = aliased(Organisation)
    used = (
        select(UsageRecord.id)
        .join(Resource, UsageRecord.resource_id == Resource.id)
        .join(User, UsageRecord.user_id == User.id)
        .join(user_org, UsageRecord.organisation_id == user_org.id)
        .where(*_in_period(period, funded_only=False), user_org.id == Organisation.id)
    )
    sizes = dict(
        db.session.execute(
            select(Organisation.size_class, func.count(Organisation.id))
            .where(Organisation.kind == "company", used.exists())
            .group_by(Organisation.size_class)
        ).all()
    )
    return {
        "users_of_infrastructure": int(users or 0),
        "researcher_fte": round(hours / (fte_hours * period.years), 2) if period.years else 0.0,
        "companies_supported": {size: int(sizes.get(size, 0)) for size in SIZE_CLASSES},
        "companies_collaborating_with_research": len(_collaborating_companies()),
        "equipment_nominal_value_sek": int(
            db.session.scalar(select(total(Resource.nominal_value_sek)).where(*_funded_equipment())) or 0
        ),
    }


def _funded_equipment():
    return [Resource.funded_by_programme.is_(True), Resource.retired_at.is_(None)]


def _collaborating_companies() -> list[tuple[Organisation, list[str]]]:
    """Companies in a project that a university or hospital also takes part in, with those projects."""
    company = project_organisations.alias("company_side")
    research = project_organisations.alias("research_side")
    research_org = Organisation.__table__.alias("research_org")
    rows = db.session.execute(
        select(Organisation, Project.key)
        .join(company, company.c.organisation_id == Organisation.id)
        .join(Project, Project.id == company.c.project_id)
        .join(research, research.c.project_id == company.c.project_id)
        .join(research_org, research_org.c.id == research.c.organisation_id)
        .where(Organisation.kind == "company", research_org.c.kind.in_(RESEARCH_KINDS))
        .distinct()
        .order_by(Organisation.key, Project.key)
    ).all()
    result: dict[int, tuple[Organisation, list[str]]] = {}
    for organisation, project_key in rows:
        result.setdefault(organisation.id, (organisation, []))[1].append(project_key)
    return list(result.values())


# --- the lists behind the figures ------------------------------------------------------------


def detail(name: str, period: Period) -> list[dict]:
    if name not in INDICATORS:
        raise invalid("invalid", f"Unknown indicator; one of {', '.join(INDICATORS)}.", "detail")
    return DETAILS[name](period)


def _minutes_column(period: Period):
    return total(clipped_seconds(UsageRecord.start_at, UsageRecord.end_at, period.start, period.end)) / 60


def _users_detail(period: Period) -> list[dict]:
    rows = db.session.execute(
        _usage(
            period,
            User.email,
            User.name,
            Organisation.key,
            User.is_researcher,
            _minutes_column(period).label("m"),
            func.count(UsageRecord.id),
            funded_only=True,
        )
        .group_by(User.email, User.name, Organisation.key, User.is_researcher)
        .order_by(User.email)
    ).all()
    return [
        {
            "user": email,
            "name": name,
            "organisation": org,
            "is_researcher": bool(researcher),
            "minutes": int(minutes),
            "records": int(count),
        }
        for email, name, org, researcher, minutes, count in rows
    ]


def _records_detail(period: Period) -> list[dict]:
    """The records behind researcher_fte: researchers' use of funded resources (minutes inside the period)."""
    rows = db.session.execute(
        _usage(
            period,
            UsageRecord,
            Resource.key,
            User.email,
            Organisation.key,
            clipped_seconds(UsageRecord.start_at, UsageRecord.end_at, period.start, period.end),
            funded_only=True,
        )
        .where(User.is_researcher.is_(True))
        .order_by(UsageRecord.start_at, UsageRecord.id)
    ).all()
    return [
        {
            "id": r.id,
            "resource": resource,
            "user": email,
            "organisation": org,
            "start": r.start_at.isoformat(),
            "end": r.end_at.isoformat(),
            "minutes_in_period": int(seconds) // 60,
        }
        for r, resource, email, org, seconds in rows
    ]


def _companies_detail(period: Period) -> list[dict]:
    rows = db.session.execute(
        _usage(
            period,
            Organisation.key,
            Organisation.name,
            Organisation.size_class,
            func.count(distinct(UsageRecord.user_id)),
            _minutes_column(period),
            funded_only=False,
        )
        .where(Organisation.kind == "company")
        .group_by(Organisation.key, Organisation.name, Organisation.size_class)
        .order_by(Organisation.key)
    ).all()
    return [
        {"organisation": key, "name": name, "size_class": size, "users": int(users), "minutes": int(minutes)}
        for key, name, size, users, minutes in rows
    ]


def _collaboration_detail(_period: Period) -> list[dict]:
    return [
        {"organisation": o.key, "name": o.name, "size_class": o.size_class, "projects": projects}
        for o, projects in _collaborating_companies()
    ]


def _equipment_detail(_period: Period) -> list[dict]:
    rows = db.session.execute(
        select(Resource.key, Resource.name, Facility.key, Resource.nominal_value_sek)
        .join(Facility, Resource.facility_id == Facility.id)
        .where(*_funded_equipment())
        .order_by(Resource.key)
    ).all()
    return [
        {"resource": key, "name": name, "facility": facility, "nominal_value_sek": int(value or 0)}
        for key, name, facility, value in rows
    ]


DETAILS = {
    "users_of_infrastructure": _users_detail,
    "researcher_fte": _records_detail,
    "companies_supported": _companies_detail,
    "companies_collaborating_with_research": _collaboration_detail,
    "equipment_nominal_value_sek": _equipment_detail,
}
