"""The monthly usage report of a facility: SQL aggregations, shaped for JSON, CSV and XLSX.

A month runs from the 1st 00:00 to the next 1st 00:00 in the facility's zone. A booking or a
usage record that crosses a month boundary counts in each month with the part inside it.
Counts (bookings, cancellations, no-shows) belong to the month in which the booking starts.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, distinct, func, select

from facility.accounts.models import Organisation, User
from facility.bookings import states
from facility.bookings.models import Booking
from facility.bookings.rules import minutes as span_minutes
from facility.bookings.services import hours_for
from facility.catalog.models import Facility, Resource
from facility.catalog.services import get_facility
from facility.core.access import require_manager_of
from facility.core.errors import forbidden, invalid
from facility.core.extensions import db
from facility.core.time import FIRST_YEAR, LAST_YEAR
from facility.usage.models import UsageRecord
from facility.usage.sql import clipped_seconds, epoch, meets, total

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
HELD_STATUSES = states.values(states.HELD)  # booked time that was granted
LATE_CANCELLATION = timedelta(hours=24)
FORMATS = ("json", "csv", "xlsx")

RESOURCE_COLUMNS = [
    "booked_minutes",
    "booked_hours",
    "used_minutes",
    "used_hours",
    "available_minutes",
    "utilisation",
    "bookings",
    "cancellations",
    "late_cancellations",
    "no_shows",
    "users",
    "organisations",
]
ORGANISATION_COLUMNS = [
    "kind",
    "booked_minutes",
    "booked_hours",
    "used_minutes",
    "used_hours",
    "bookings",
    "cancellations",
    "late_cancellations",
    "no_shows",
    "users",
    "resources",
]
# One table of every section (CSV, XLSX): where and which row, then the columns of a resource's row.
TABLE_COLUMNS = ["facility", "month", "section", "key", "name", "kind", *RESOURCE_COLUMNS, "resources"]


def parse_month(text: Optional[str]) -> tuple[int, int]:
    match = MONTH_PATTERN.match((text or "").strip())
    if not match:
        raise invalid("invalid_month", "Give the month as YYYY-MM, such as 2026-10.", "month")
    year, month = int(match.group(1)), int(match.group(2))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise invalid("invalid_month", f"Give a month between {FIRST_YEAR} and {LAST_YEAR}.", "month")
    return year, month


def month_window(year: int, month: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The month as UTC instants: local midnight of the 1st to local midnight of the next 1st."""
    first = datetime(year, month, 1, tzinfo=zone)
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return first.astimezone(timezone.utc), following.astimezone(timezone.utc)


def previous_month(day: date) -> str:
    last = day.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


# --- the report -----------------------------------------------------------------------------


def monthly_report(actor, month: str, facility_key: Optional[str] = None) -> dict:
    """``{"month", "facilities": [...]}`` for one facility, or every facility the actor manages."""
    year, number = parse_month(month)
    facilities = _facilities_for(actor, facility_key)
    return {"month": f"{year:04d}-{number:02d}", "facilities": [facility_report(f, year, number) for f in facilities]}


def _facilities_for(actor, facility_key: Optional[str]) -> list[Facility]:
    if facility_key:
        facility = get_facility(facility_key, "facility")
        if actor is not None:
            require_manager_of(actor, facility, "see its report")
        return [facility]
    everything = list(db.session.scalars(select(Facility).order_by(Facility.id)))
    visible = [f for f in everything if actor is None or actor.manages(f)]
    if actor is not None and not visible:
        raise forbidden("Reports are for the managers of a facility.")
    return visible


def facility_report(facility: Facility, year: int, month: int) -> dict:
    zone = ZoneInfo(facility.timezone)
    start, end = month_window(year, month, zone)
    opening = sum(span_minutes(s) for s in hours_for(facility).intervals((start, end)))
    whole_month = span_minutes((start, end))
    resources = list(
        db.session.scalars(select(Resource).where(Resource.facility_id == facility.id).order_by(Resource.key))
    )
    period = _Period(facility.id, start, end)
    by_resource = period.aggregate(Booking.resource_id, UsageRecord.resource_id)
    by_organisation = period.aggregate(User.organisation_id, UsageRecord.organisation_id)
    organisations = {
        o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(list(by_organisation))))
    }
    return {
        "facility": facility.key,
        "name": facility.name,
        "timezone": facility.timezone,
        "from": start.astimezone(zone).isoformat(),
        "to": end.astimezone(zone).isoformat(),
        "resources": [
            _resource_row(r, by_resource.get(r.id, {}), whole_month if r.runs_unattended else opening)
            for r in resources
        ],
        "organisations": [
            _organisation_row(organisations[i], figures)
            for i, figures in sorted(by_organisation.items(), key=lambda kv: organisations[kv[0]].key)
        ],
    }


def months_ending(month: str, count: int) -> list[str]:
    """``count`` months (YYYY-MM) ending with ``month``, leaving out those before the first year the service knows."""
    year, number = parse_month(month)
    result = []
    for back in range(count - 1, -1, -1):
        index = year * 12 + number - 1 - back
        if index // 12 >= FIRST_YEAR:
            result.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
    return result


def report_with_trend(actor, month: str, facility_key: str, count: int) -> tuple[dict, list[dict]]:
    """What the report page shows, in a number of queries that depends on neither the resources nor
    the months: the monthly report of one facility, and its booked and used hours in each of the
    ``count`` months ending with ``month`` (``[{"month", "booked_hours", "used_hours"}]``, oldest first)."""
    year, number = parse_month(month)
    facility = _facilities_for(actor, facility_key)[0]
    report = {"month": f"{year:04d}-{number:02d}", "facilities": [facility_report(facility, year, number)]}
    return report, month_totals(facility, months_ending(report["month"], count))


def month_totals(facility: Facility, months: list[str]) -> list[dict]:
    """Booked and used hours of ``facility`` in each month, summed over its resources as the report rounds
    them, from two SQL aggregations (bookings, usage records) with one clipped sum per month."""
    zone = ZoneInfo(facility.timezone)
    windows = [month_window(*parse_month(m), zone) for m in months]
    if not windows:
        return []
    start, end = windows[0][0], windows[-1][1]

    def per_month(model, *where):
        sums = [
            total(clipped_seconds(model.start_at, model.end_at, lo, hi)).label(f"m{i}")
            for i, (lo, hi) in enumerate(windows)
        ]
        query = (
            select(model.resource_id, *sums)
            .select_from(model)
            .join(Resource, model.resource_id == Resource.id)
            .where(Resource.facility_id == facility.id, meets(model.start_at, model.end_at, start, end), *where)
            .group_by(model.resource_id)
        )
        return db.session.execute(query).all()

    booked = per_month(Booking, Booking.status.in_(HELD_STATUSES))
    used = per_month(UsageRecord, UsageRecord.superseded.is_(False), UsageRecord.end_at.is_not(None))

    def hours(rows, i):  # per resource as in _common: whole minutes, hours to 2 decimals; the sum to 1
        return round(sum(round(int(row[i + 1] or 0) // 60 / 60, 2) for row in rows), 1)

    return [{"month": m, "booked_hours": hours(booked, i), "used_hours": hours(used, i)} for i, m in enumerate(months)]


def _resource_row(resource: Resource, figures: dict, available_minutes: int) -> dict:
    row = {"resource": resource.key, "name": resource.name, **_common(figures)}
    row["available_minutes"] = available_minutes
    row["utilisation"] = round(row["used_minutes"] / available_minutes, 4) if available_minutes else 0.0
    row["organisations"] = figures.get("organisations", 0)
    return {k: row[k] for k in ["resource", "name", *RESOURCE_COLUMNS]}


def _organisation_row(organisation: Organisation, figures: dict) -> dict:
    row = {
        "organisation": organisation.key,
        "name": organisation.name,
        "kind": organisation.kind,
        **_common(figures),
        "resources": figures.get("resources", 0),
    }
    return {k: row[k] for k in ["organisation", "name", *ORGANISATION_COLUMNS]}


def _common(figures: dict) -> dict:
    booked = figures.get("booked_seconds", 0) // 60
    used = figures.get("used_seconds", 0) // 60
    return {
        "booked_minutes": booked,
        "booked_hours": round(booked / 60, 2),
        "used_minutes": used,
        "used_hours": round(used / 60, 2),
        "bookings": figures.get("bookings", 0),
        "cancellations": figures.get("cancellations", 0),
        "late_cancellations": figures.get("late_cancellations", 0),
        "no_shows": figures.get("no_shows", 0),
        "users": figures.get("users", 0),
    }


@dataclass(frozen=True)
class _Period:
    """The three aggregations of a facility's month, grouped by a resource or organisation key."""

    facility_id: int
    start: datetime
    end: datetime

    def aggregate(self, booking_key, usage_key) -> dict[int, dict]:
        result: dict[int, dict] = {}
        for rows in (self._booked(booking_key), self._counts(booking_key), self._used(usage_key)):
            for row in rows:
                values = row._asdict()
                result.setdefault(values.pop("key"), {}).update({k: int(v or 0) for k, v in values.items()})
        return result

    def _bookings(self, key, *columns):
        return (
            select(key.label("key"), *columns)
            .select_from(Booking)
            .join(Resource, Booking.resource_id == Resource.id)
            .join(User, Booking.user_id == User.id)
            .where(Resource.facility_id == self.facility_id)
            .group_by(key)
        )

    def _booked(self, key):
        seconds = total(clipped_seconds(Booking.start_at, Booking.end_at, self.start, self.end))
        query = self._bookings(key, seconds.label("booked_seconds")).where(
            Booking.status.in_(HELD_STATUSES), meets(Booking.start_at, Booking.end_at, self.start, self.end)
        )
        return db.session.execute(query).all()

    def _counts(self, key):
        cancelled = Booking.status == "cancelled"
        late = and_(cancelled, epoch(Booking.start_at) - epoch(Booking.updated_at) < LATE_CANCELLATION.total_seconds())
        query = self._bookings(
            key,
            total(case((Booking.status.in_(HELD_STATUSES), 1), else_=0)).label("bookings"),
            total(case((cancelled, 1), else_=0)).label("cancellations"),
            total(case((late, 1), else_=0)).label("late_cancellations"),
            total(case((Booking.status == "no_show", 1), else_=0)).label("no_shows"),
        ).where(Booking.start_at >= self.start, Booking.start_at < self.end)
        return db.session.execute(query).all()

    def _used(self, key):
        seconds = total(clipped_seconds(UsageRecord.start_at, UsageRecord.end_at, self.start, self.end))
        query = (
            select(
                key.label("key"),
                seconds.label("used_seconds"),
                func.count(distinct(UsageRecord.user_id)).label("users"),
                func.count(distinct(UsageRecord.organisation_id)).label("organisations"),
                func.count(distinct(UsageRecord.resource_id)).label("resources"),
            )
            .select_from(UsageRecord)
            .join(Resource, UsageRecord.resource_id == Resource.id)
            .where(
                Resource.facility_id == self.facility_id,
                UsageRecord.superseded.is_(False),
                UsageRecord.end_at.is_not(None),
                meets(UsageRecord.start_at, UsageRecord.end_at, self.start, self.end),
            )
            .group_by(key)
        )
        return db.session.execute(query).all()


# --- formats -----------------------------------------------------------------------------


def table_rows(report: dict) -> list[list]:
    """One row per resource and per organisation, the same figures as the JSON."""
    rows = []
    for facility in report["facilities"]:
        for r in facility["resources"]:
            rows.append(_table_row(facility["facility"], report["month"], "resource", r["resource"], r))
        for o in facility["organisations"]:
            rows.append(_table_row(facility["facility"], report["month"], "organisation", o["organisation"], o))
    return rows


def _table_row(facility: str, month: str, section: str, key: str, figures: dict) -> list:
    values = {"facility": facility, "month": month, "section": section, "key": key, **figures}
    return [values.get(column, "") for column in TABLE_COLUMNS]


def as_csv(report: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TABLE_COLUMNS)
    writer.writerows(table_rows(report))
    return out.getvalue()


def as_xlsx(report: dict) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"Usage {report['month']}"
    sheet.append(TABLE_COLUMNS)
    for row in table_rows(report):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def render(report: dict, fmt: str) -> tuple[bytes, str, str]:
    """(body, content type, file name) of the report in ``fmt``."""
    name = f"usage-{report['month']}"
    if fmt == "csv":
        return as_csv(report).encode("utf-8"), "text/csv; charset=utf-8", name + ".csv"
    if fmt == "xlsx":
        return (as_xlsx(report), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name + ".xlsx")
    import json

    return json.dumps(report, ensure_ascii=False, indent=2).encode("utf-8"), "application/json", name + ".json"
