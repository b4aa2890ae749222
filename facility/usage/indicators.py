"""The funder's indicators for a period (the twelve of ``definitions.TABLE``), and the lists
behind each figure.

Three sources: usage records that are not superseded and that meet the period (their part
inside the period counts for hours), the catalogue (equipment by activity and service date),
and the project office's register (entries that count, dated inside the period).
``indicators`` answers GET /api/v1/indicators in its original shape, from the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import distinct, exists, func, or_, select
from sqlalchemy.orm import aliased

from facility.accounts.models import Organisation, OrganisationSize, User
from facility.accounts.organisations import formatted
from facility.catalog.models import Facility, Resource
from facility.core.config import default_zone
from facility.core.errors import forbidden, invalid
from facility.core.extensions import db
from facility.core.time import FIRST_YEAR, LAST_YEAR
from facility.core.vocabulary import SIZE_CLASSES
from facility.usage import definitions
from facility.usage.definitions import BY_KEY, EQUIPMENT_ACTIVITIES, FTE_ACTIVITIES, PARTICIPATION, SME_CLASSES
from facility.usage.models import RegisterEntry, UsageRecord
from facility.usage.register import active
from facility.usage.sql import clipped_seconds, meets, total

# The names of GET /api/v1/indicators (API.md), each the figure of one indicator of the table.
INDICATORS = (
    "users_of_infrastructure",
    "researcher_fte",
    "companies_supported",
    "companies_collaborating_with_research",
    "equipment_nominal_value_sek",
)
LEGACY = {
    "users_of_infrastructure": "users_of_infrastructure",
    "researcher_fte": "researcher_fte",
    "companies_supported": "enterprises_supported",
    "companies_collaborating_with_research": "enterprises_cooperating",
    "equipment_nominal_value_sek": "equipment_nominal_value_sek",
}
NAMES = (*INDICATORS, *(key for key in BY_KEY if key not in INDICATORS))  # every name the lists answer to
DAYS_PER_YEAR = 365.25
MAX_PERIOD = timedelta(days=366 * 10)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @property
    def years(self) -> float:
        return (self.end - self.start).total_seconds() / 86400 / DAYS_PER_YEAR

    @property
    def days(self) -> tuple[date, date]:
        """The first and the last local day (inclusive) the period touches, in the service's zone."""
        zone = default_zone()
        return self.start.astimezone(zone).date(), (self.end - timedelta(microseconds=1)).astimezone(zone).date()

    @classmethod
    def of_days(cls, first: date, last: date) -> "Period":
        """The period from local midnight of ``first`` to the midnight after ``last``."""
        zone = default_zone()
        return cls(
            datetime.combine(first, time(0), zone).astimezone(timezone.utc),
            datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(timezone.utc),
        )


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


def check_settings(config) -> None:
    """The indicators' settings with their defaults (``definitions``); a bad one is refused at start."""
    config["FACILITY_FTE_HOURS"] = hours = float(config.get("FACILITY_FTE_HOURS") or definitions.DEFAULT_FTE_HOURS)
    if not 0 < hours <= 8784:
        raise ValueError(f"FACILITY_FTE_HOURS must be the hours of a full-time year, like 1720; not {hours}")
    config.setdefault("FACILITY_PROJECT_PERIOD", definitions.DEFAULT_PROJECT_PERIOD)
    first, last = definitions.parse_span(config["FACILITY_PROJECT_PERIOD"])
    text = config.get("FACILITY_REPORTING_PERIODS")
    spans = definitions.parse_spans(text) if text else definitions.half_years(first, last)
    if not spans or spans[0][0] < first or spans[-1][1] > last:
        raise ValueError("FACILITY_REPORTING_PERIODS must lie inside FACILITY_PROJECT_PERIOD")
    config["FACILITY_REPORTING_PERIODS"] = ",".join(f"{a}/{b}" for a, b in spans)


def project_days() -> tuple[date, date]:
    return definitions.parse_span(current_app.config["FACILITY_PROJECT_PERIOD"])


def reporting_days() -> list[tuple[date, date]]:
    return definitions.parse_spans(current_app.config["FACILITY_REPORTING_PERIODS"])


def require_admin(actor) -> None:
    if not actor.is_admin:
        raise forbidden("Only an administrator can see the programme's indicators.")


# --- the figures ---------------------------------------------------------------------------


def figures(period: Period) -> dict:
    """``{key: figure}`` for the twelve indicators of the table."""
    return {key: figure(key, period) for key in BY_KEY}


def figure(key: str, period: Period):
    indicator = BY_KEY[key]
    if indicator.source == "register":
        return _register_figure(key, period)
    return {
        "researcher_fte": _researcher_fte,
        "equipment_nominal_value_sek": _equipment_value,
        "users_of_infrastructure": _users,
    }[key](period)


def indicators(period: Period) -> dict:
    """GET /api/v1/indicators: its five names, each the figure of its indicator in the table."""
    return {
        "users_of_infrastructure": figure("users_of_infrastructure", period),
        "researcher_fte": figure("researcher_fte", period),
        "companies_supported": by_size(period),
        "companies_collaborating_with_research": figure("enterprises_cooperating", period),
        "equipment_nominal_value_sek": figure("equipment_nominal_value_sek", period),
    }


def value_of(name: str, period: Period):
    """The figure a name of the API stands for (``companies_supported``: by size class)."""
    return indicators(period)[name] if name == "companies_supported" else figure(LEGACY.get(name, name), period)


# --- from recorded use ------------------------------------------------------------------------


def _usage(period: Period, *columns, activities: tuple[str, ...], joins: tuple = ()):
    """The closed, current usage records of the equipment of ``activities`` that meet the period,
    joined to ``joins`` (User, Organisation) only where a figure needs them: three years of
    records are 200,000 rows, and each join is a lookup per row."""
    on = {User: UsageRecord.user_id == User.id, Organisation: UsageRecord.organisation_id == Organisation.id}
    query = select(*columns).select_from(UsageRecord).join(Resource, UsageRecord.resource_id == Resource.id)
    for entity in joins:
        query = query.join(entity, on[entity])
    return query.where(
        UsageRecord.superseded.is_(False),
        UsageRecord.end_at.is_not(None),
        meets(UsageRecord.start_at, UsageRecord.end_at, period.start, period.end),
        Resource.activity.in_(activities),
    )


def _seconds_in(period: Period):
    return clipped_seconds(UsageRecord.start_at, UsageRecord.end_at, period.start, period.end)


def _users(period: Period) -> int:
    return int(
        db.session.scalar(_usage(period, func.count(distinct(UsageRecord.user_id)), activities=EQUIPMENT_ACTIVITIES))
        or 0
    )


def _researcher_fte(period: Period) -> float:
    """Annual FTE: researchers' hours on the equipment of activities 4.2 and 4.3 / (a full-time
    year's hours x the years of the period)."""
    seconds = db.session.scalar(
        _usage(period, total(_seconds_in(period)), activities=FTE_ACTIVITIES, joins=(User,)).where(
            User.is_researcher.is_(True)
        )
    )
    hours = int(seconds or 0) // 60 / 60
    full_time = float(current_app.config["FACILITY_FTE_HOURS"]) * period.years
    return round(hours / full_time, 2) if full_time else 0.0


# --- from the catalogue -----------------------------------------------------------------------


def _equipment(period: Period):
    """Equipment of activities 4.2-4.4 that came into service from the project's start to the
    period's end (and was not retired before that end)."""
    project_start = project_days()[0]
    return [
        Resource.activity.in_(EQUIPMENT_ACTIVITIES),
        Resource.in_service_since.is_not(None),
        Resource.in_service_since >= project_start,
        Resource.in_service_since <= period.days[1],
        or_(Resource.retired_at.is_(None), Resource.retired_at >= period.end),
    ]


def _equipment_value(period: Period) -> int:
    return int(db.session.scalar(select(total(Resource.nominal_value_sek)).where(*_equipment(period))) or 0)


# --- from the register ------------------------------------------------------------------------


def _size_on_day():
    """SQL: the entry's organisation's size class on the entry's day (the latest dated size class
    from that day or before), else its size class as recorded without a date."""
    dated = (
        select(OrganisationSize.size_class)
        .where(
            OrganisationSize.organisation_id == RegisterEntry.organisation_id,
            OrganisationSize.valid_from <= RegisterEntry.day,
        )
        .order_by(OrganisationSize.valid_from.desc(), OrganisationSize.id.desc())
        .limit(1)
        .correlate(RegisterEntry)
        .scalar_subquery()
    )
    return func.coalesce(dated, Organisation.size_class)


def _entries(key: str, period: Period, *columns):
    """The register entries that count for indicator ``key`` in the period."""
    first, last = period.days
    query = (
        select(*columns)
        .select_from(RegisterEntry)
        .join(Organisation, RegisterEntry.organisation_id == Organisation.id)
        .where(active(), RegisterEntry.kind.in_(BY_KEY[key].register_kinds), RegisterEntry.day.between(first, last))
    )
    if BY_KEY[key].unit == "enterprises":
        query = query.where(Organisation.kind == "company")
    if key in ("smes_developing", "smes_innovating"):
        query = query.where(_size_on_day().in_(SME_CLASSES))
    if key == "enterprises_cooperating":  # of the enterprises in activity 3.2 or 3.4
        taking_part = aliased(RegisterEntry)
        query = query.where(
            exists().where(
                taking_part.organisation_id == RegisterEntry.organisation_id,
                taking_part.kind.in_(PARTICIPATION),
                taking_part.day <= last,
                active(taking_part),
            )
        )
    return query


def _register_figure(key: str, period: Period) -> int:
    if BY_KEY[key].unit == "sek":
        return int(db.session.scalar(_entries(key, period, total(RegisterEntry.amount_sek))) or 0)
    return int(db.session.scalar(_entries(key, period, func.count(distinct(RegisterEntry.organisation_id)))) or 0)


def by_size(period: Period) -> dict[str, int]:
    """The enterprises supported (RCO01) by their size class on the day of their first support
    in the period; each counted once."""
    ranked = _entries(
        "enterprises_supported",
        period,
        _size_on_day().label("size_class"),
        func.row_number()
        .over(partition_by=RegisterEntry.organisation_id, order_by=(RegisterEntry.day, RegisterEntry.id))
        .label("n"),
    ).subquery()
    counts = dict(
        db.session.execute(
            select(ranked.c.size_class, func.count()).where(ranked.c.n == 1).group_by(ranked.c.size_class)
        ).all()
    )
    return {size: int(counts.get(size, 0)) for size in SIZE_CLASSES}


# --- the lists behind the figures ------------------------------------------------------------


def detail(name: str, period: Period) -> list[dict]:
    """The rows behind one figure: ``name`` is a name of GET /api/v1/indicators or a key of the table."""
    if name not in NAMES:
        raise invalid("invalid", f"Unknown indicator; one of {', '.join(NAMES)}.", "detail")
    key = LEGACY.get(name, name)
    if BY_KEY[key].source == "register":
        return _entries_detail(key, period)
    return {
        "users_of_infrastructure": _users_detail,
        "researcher_fte": _records_detail,
        "equipment_nominal_value_sek": _equipment_detail,
    }[key](period)


def _entries_detail(key: str, period: Period) -> list[dict]:
    rows = db.session.execute(
        _entries(
            key,
            period,
            RegisterEntry.id,
            RegisterEntry.day,
            RegisterEntry.kind,
            Organisation.key,
            Organisation.name,
            Organisation.org_number,
            _size_on_day(),
            RegisterEntry.amount_sek,
            RegisterEntry.evidence,
        ).order_by(Organisation.key, RegisterEntry.day, RegisterEntry.id)
    ).all()
    return [
        {
            "entry": entry_id,
            "day": day.isoformat(),
            "kind": kind,
            "organisation": org,
            "name": name,
            "org_number": formatted(number),
            "size_class": size,
            "amount_sek": int(amount) if amount is not None else None,
            "evidence": evidence,
        }
        for entry_id, day, kind, org, name, number, size, amount, evidence in rows
    ]


def _users_detail(period: Period) -> list[dict]:
    rows = db.session.execute(
        _usage(
            period,
            User.email,
            User.name,
            Organisation.key,
            User.is_researcher,
            (total(_seconds_in(period)) / 60).label("m"),
            func.count(UsageRecord.id),
            activities=EQUIPMENT_ACTIVITIES,
            joins=(User, Organisation),
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
    """The records behind researcher_fte: researchers' use of the equipment of activities 4.2 and 4.3."""
    rows = db.session.execute(
        _usage(
            period,
            UsageRecord,
            Resource.key,
            Resource.activity,
            User.email,
            Organisation.key,
            _seconds_in(period),
            activities=FTE_ACTIVITIES,
            joins=(User, Organisation),
        )
        .where(User.is_researcher.is_(True))
        .order_by(UsageRecord.start_at, UsageRecord.id)
    ).all()
    return [
        {
            "id": r.id,
            "resource": resource,
            "activity": activity,
            "user": email,
            "organisation": org,
            "start": r.start_at.isoformat(),
            "end": r.end_at.isoformat(),
            "minutes_in_period": int(seconds) // 60,
        }
        for r, resource, activity, email, org, seconds in rows
    ]


def _equipment_detail(period: Period) -> list[dict]:
    rows = db.session.execute(
        select(
            Resource.key,
            Resource.name,
            Facility.key,
            Resource.activity,
            Resource.in_service_since,
            Resource.nominal_value_sek,
        )
        .join(Facility, Resource.facility_id == Facility.id)
        .where(*_equipment(period))
        .order_by(Resource.activity, Resource.key)
    ).all()
    return [
        {
            "resource": key,
            "name": name,
            "facility": facility,
            "activity": activity,
            "in_service_since": since.isoformat(),
            "nominal_value_sek": int(value or 0),
        }
        for key, name, facility, activity, since, value in rows
    ]
