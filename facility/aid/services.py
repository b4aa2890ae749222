"""The de minimis ledger: subsidised access per company, aggregated in SQL from usage records.

Which rates price a use: the rates the catalogue gave the resource, for the organisation's
kind, at the start of the use. The catalogue loader keeps their history (``ResourceRate``): a
change in ``instruments.yaml`` applies to use from the load onwards and never re-prices what was
already used; the first rates a resource gets also price its earlier use. A use that spans a
change of rates is priced at the rates of its start.

What counts: usage records that are closed and not superseded (a correction counts, the
record it replaced does not), of organisations whose kind is in ``FACILITY_STATE_AID_KINDS``
(default: companies), with the part of each record inside the period. The organisation is the
one the user belonged to when the use happened (recorded on the usage record).

The three-year total is the rolling window of Regulation (EU) 2023/2831 that ends with the
period: the same local time three years before the period's end, up to its end.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Optional
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import aliased

from facility.accounts.models import Organisation
from facility.accounts.services import managers_of
from facility.aid import rules
from facility.catalog.models import Facility, Resource, ResourceRate
from facility.core.access import require_a_manager
from facility.core.config import default_zone
from facility.core.database import write_transaction
from facility.core.errors import invalid, not_found
from facility.core.extensions import db
from facility.core.mail import NotificationSent, already_sent, send_once, send_template
from facility.core.time import FIRST_YEAR, LAST_YEAR
from facility.usage.indicators import Period, parse_period
from facility.usage.models import UsageRecord
from facility.usage.sql import clipped_seconds, meets, total

STATEMENT_FORMATS = ("json", "text", "csv")


# --- settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    eur_sek: Decimal
    ceiling_eur: Decimal
    warn_at: Decimal
    kinds: tuple[str, ...]
    zone: ZoneInfo


def settings() -> Settings:
    config = current_app.config
    return Settings(
        eur_sek=rules.eur_sek_rate(config.get("FACILITY_EUR_SEK", rules.DEFAULT_EUR_SEK)),
        ceiling_eur=Decimal(str(config.get("FACILITY_STATE_AID_CEILING_EUR", rules.CEILING_EUR))),
        warn_at=Decimal(str(config.get("FACILITY_STATE_AID_WARN_AT", rules.WARN_AT))),
        kinds=tuple(config.get("FACILITY_STATE_AID_KINDS") or ("company",)),
        zone=default_zone(),
    )


# --- who may see it -------------------------------------------------------------------------


def require_manager(actor) -> None:
    """Lab managers (of any facility: the ceiling is per company, across facilities) and admins."""
    if actor is None:
        return  # the command line and the scheduler
    require_a_manager(actor, "Only lab managers and administrators can see the state-aid ledger.")


def get_undertaking(key: str, field: str = "organisation") -> Organisation:
    organisation = db.session.scalar(select(Organisation).where(Organisation.key == (key or "").strip()))
    if organisation is None:
        raise not_found("organisation", field)
    kinds = settings().kinds
    if organisation.kind not in kinds:
        raise invalid(
            "not_an_undertaking",
            f"{organisation.name} is a {organisation.kind}: de minimis aid is counted for "
            f"{', '.join(kinds)} organisations only.",
            field,
        )
    return organisation


# --- periods --------------------------------------------------------------------------------


def period_of(start_text: Optional[str], end_text: Optional[str], *, today: Optional[date] = None) -> Period:
    """``from``/``to`` as dates or RFC 3339 times; ``to`` defaults to today, ``from`` to the start
    of the three years that end with ``to``'s day."""
    zone = settings().zone
    today = today or datetime.now(zone).date()
    end_text = (end_text or "").strip() or today.isoformat()
    if not (start_text or "").strip():
        try:
            end_day = date.fromisoformat(end_text[:10])
        except ValueError:  # a bad 'to': parse_period reports it
            end_day = today
        if not FIRST_YEAR <= end_day.year <= LAST_YEAR:  # a far-off 'to': parse_period names it
            end_day = today
        start_text = rules.window_days(end_day)[0].isoformat()
    return parse_period(start_text, end_text)


def window_for(end: datetime) -> Period:
    """The rolling three years that end at ``end``."""
    return Period(rules.window_start(end, settings().zone).astimezone(timezone.utc), end)


def as_of_day(day: date) -> Period:
    """The three years that end with the local day ``day``."""
    zone = settings().zone
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(timezone.utc)
    return window_for(end)


# --- the aggregation ------------------------------------------------------------------------


def _aggregate(
    period: Period, *group_columns, organisation_id: Optional[int] = None, by_rate: bool = False
) -> list["Aggregate"]:
    """Per group: its ``rules.Amounts`` (used hours, full cost, charged, aid) inside the period.

    SQL clips each use to the period, finds its rate and sums the used seconds per group and
    rate pair; ``rules.amounts`` turns those sums into money (the one, tested, rule). The rate
    row of a use is the latest one of its resource and organisation kind that is valid at the
    use's start; a use without one counts its hours and no aid. ``by_rate`` adds the rates
    (``full_rate``, ``charged_rate``) to the group columns.
    """
    newer = aliased(ResourceRate)
    # Each rate row with the instant the next row of its resource and kind replaces it (NULL: still valid).
    # Computed over the small rates table once, so that the join with the usage records is a plain
    # range match instead of a "no newer rate" subquery run for every usage record.
    valid_until = (
        select(func.min(newer.valid_from))
        .where(
            newer.resource_id == ResourceRate.resource_id,
            newer.organisation_kind == ResourceRate.organisation_kind,
            newer.valid_from > ResourceRate.valid_from,
        )
        .scalar_subquery()
    )
    rates = (
        select(
            ResourceRate.resource_id,
            ResourceRate.organisation_kind,
            ResourceRate.valid_from,
            valid_until.label("valid_until"),
            ResourceRate.full_cost_sek_per_hour,
            ResourceRate.charged_sek_per_hour,
        )
        .cte("rates")
        .prefix_with("MATERIALIZED")
    )
    seconds = clipped_seconds(UsageRecord.start_at, UsageRecord.end_at, period.start, period.end)
    full, charged = rates.c.full_cost_sek_per_hour, rates.c.charged_sek_per_hour
    if by_rate:
        group_columns = (*group_columns, full.label("full_rate"), charged.label("charged_rate"))
    query = (
        select(
            *group_columns, full.label("rate_full"), charged.label("rate_charged"), total(seconds).label("used_seconds")
        )
        .select_from(UsageRecord)
        .join(Organisation, UsageRecord.organisation_id == Organisation.id)
        .join(Resource, UsageRecord.resource_id == Resource.id)
        .join(Facility, Resource.facility_id == Facility.id)
        .outerjoin(
            rates,
            and_(
                rates.c.resource_id == UsageRecord.resource_id,
                rates.c.organisation_kind == Organisation.kind,
                rates.c.valid_from <= UsageRecord.start_at,
                or_(rates.c.valid_until.is_(None), rates.c.valid_until > UsageRecord.start_at),
            ),
        )
        .where(
            UsageRecord.superseded.is_(False),
            UsageRecord.end_at.is_not(None),
            meets(UsageRecord.start_at, UsageRecord.end_at, period.start, period.end),
            Organisation.kind.in_(settings().kinds),
        )
        .group_by(*group_columns, full, charged)
    )
    if organisation_id is not None:
        query = query.where(Organisation.id == organisation_id)
    width = len(group_columns)
    groups: dict[tuple, tuple[dict, list]] = {}
    for row in db.session.execute(query).all():
        key = tuple(row[:width])
        groups.setdefault(key, (dict(zip(row._fields[:width], key)), []))[1].append(
            (row.used_seconds, row.rate_full, row.rate_charged)
        )
    return [Aggregate(fields, rules.amounts(uses)) for fields, uses in groups.values()]


class Aggregate:
    """One group of ``_aggregate``: its group columns as attributes, and ``amounts``."""

    def __init__(self, fields: dict, amounts: rules.Amounts):
        self.__dict__.update(fields)
        self.amounts = amounts


def _amounts(row: Aggregate, eur_sek: Decimal) -> dict:
    amounts = row.amounts
    return {
        "hours": float(amounts.hours),
        "full_cost_sek": float(amounts.full_cost_sek),
        "charged_sek": float(amounts.charged_sek),
        "subsidised_sek": float(amounts.subsidised_sek),
        "subsidised_eur": float(rules.sek_to_eur(amounts.subsidised_sek, eur_sek)),
    }


ZERO = {"hours": 0.0, "full_cost_sek": 0.0, "charged_sek": 0.0, "subsidised_sek": 0.0, "subsidised_eur": 0.0}


def _three_years(row, window: Period, config: Settings) -> dict:
    aid_sek = row.amounts.subsidised_sek if row is not None else Decimal(0)
    aid_eur = rules.sek_to_eur(aid_sek, config.eur_sek)
    status = rules.ceiling_check(aid_eur, config.ceiling_eur, config.warn_at)
    return {
        "from": _local(window.start, config.zone),
        "to": _local(window.end, config.zone),
        "subsidised_sek": float(aid_sek),
        "subsidised_eur": float(aid_eur),
        "ceiling_eur": float(status.ceiling_eur),
        "remaining_eur": float(status.remaining_eur),
        "share": float(status.share),
        "percent": float(status.percent),
        "status": status.level,
    }


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).isoformat()


def _header(period: Period, config: Settings) -> dict:
    return {
        "from": _local(period.start, config.zone),
        "to": _local(period.end, config.zone),
        "regulation": rules.REGULATION,
        "ceiling_eur": float(config.ceiling_eur),
        "warn_at": float(config.warn_at),
        "eur_sek": float(config.eur_sek),
        "kinds": list(config.kinds),
    }


# --- the ledger -----------------------------------------------------------------------------


def ledger(actor, period: Period, organisation_key: Optional[str] = None) -> dict:
    """Per company with recorded use in the period: the period's hours and aid, and the rolling
    three-year total that ends with the period against the ceiling."""
    require_manager(actor)
    config = settings()
    organisation = get_undertaking(organisation_key) if organisation_key else None
    org_id = organisation.id if organisation else None
    columns = (Organisation.id, Organisation.key, Organisation.name, Organisation.kind, Organisation.size_class)
    in_period = {row.id: row for row in _aggregate(period, *columns, organisation_id=org_id)}
    window = window_for(period.end)
    in_window = {row.id: row for row in _aggregate(window, Organisation.id, organisation_id=org_id)}
    if organisation is not None and organisation.id not in in_period:
        in_period[organisation.id] = None
    names = {o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(list(in_period))))}
    entries = []
    for org_id_, row in in_period.items():
        org = names[org_id_]
        entries.append(
            {
                "organisation": org.key,
                "name": org.name,
                "kind": org.kind,
                "size_class": org.size_class,
                "period": _amounts(row, config.eur_sek) if row is not None else dict(ZERO),
                "three_years": _three_years(in_window.get(org_id_), window, config),
            }
        )
    entries.sort(key=lambda e: (-e["three_years"]["subsidised_sek"], e["organisation"]))
    return {**_header(period, config), "organisations": entries}


def standing(as_of: Period, organisation_key: Optional[str] = None) -> list[dict]:
    """Every company with aid in the three years ``as_of`` (or the one asked for): its total and status."""
    config = settings()
    organisation = get_undertaking(organisation_key) if organisation_key else None
    rows = _aggregate(
        as_of,
        Organisation.id,
        Organisation.key,
        Organisation.name,
        organisation_id=organisation.id if organisation else None,
    )
    result = [
        {"organisation": row.key, "name": row.name, "id": row.id, **_three_years(row, as_of, config)} for row in rows
    ]
    if organisation is not None and not result:
        result = [
            {
                "organisation": organisation.key,
                "name": organisation.name,
                "id": organisation.id,
                **_three_years(None, as_of, config),
            }
        ]
    return sorted(result, key=lambda e: (-e["subsidised_sek"], e["organisation"]))


# --- the statement --------------------------------------------------------------------------


def statement(actor, organisation_key: str, period: Period) -> dict:
    """The aid one company received in a period, per resource and rate, with its three-year
    total: the de minimis statement to give the company and to sign."""
    require_manager(actor)
    config = settings()
    organisation = get_undertaking(organisation_key)
    rows = _aggregate(
        period,
        Facility.key.label("facility"),
        Resource.key.label("resource"),
        Resource.name.label("resource_name"),
        organisation_id=organisation.id,
        by_rate=True,
    )
    lines = [
        {
            "facility": row.facility,
            "resource": row.resource,
            "resource_name": row.resource_name,
            "full_cost_sek_per_hour": row.full_rate,
            "charged_sek_per_hour": row.charged_rate,
            **_amounts(row, config.eur_sek),
        }
        for row in sorted(rows, key=lambda r: (r.facility, r.resource, r.full_rate or 0, r.charged_rate or 0))
    ]
    totals = _aggregate(period, Organisation.id, organisation_id=organisation.id)
    window = window_for(period.end)
    in_window = _aggregate(window, Organisation.id, organisation_id=organisation.id)
    return {
        **_header(period, config),
        "organisation": organisation.key,
        "name": organisation.name,
        "kind": organisation.kind,
        "size_class": organisation.size_class,
        "lines": lines,
        "total": _amounts(totals[0], config.eur_sek) if totals else dict(ZERO),
        "three_years": _three_years(in_window[0] if in_window else None, window, config),
    }


def render_statement(data: dict, fmt: str) -> tuple[str, str, str]:
    """``(body, content type, file name)`` of a statement in ``json`` (not here), ``text`` or ``csv``."""
    name = f"state-aid-{data['organisation']}-{data['from'][:10]}-{data['to'][:10]}"
    if fmt == "csv":
        return _statement_csv(data), "text/csv; charset=utf-8", f"{name}.csv"
    if fmt == "text":
        return _statement_text(data), "text/plain; charset=utf-8", f"{name}.txt"
    raise invalid("invalid_format", f"Give format as one of {', '.join(STATEMENT_FORMATS)}.", "format")


CSV_COLUMNS = [
    "organisation",
    "facility",
    "resource",
    "resource_name",
    "hours",
    "full_cost_sek_per_hour",
    "charged_sek_per_hour",
    "full_cost_sek",
    "charged_sek",
    "subsidised_sek",
    "subsidised_eur",
]


def _statement_csv(data: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in data["lines"]:
        writer.writerow([data["organisation"]] + [_cell(line[c]) for c in CSV_COLUMNS[1:]])
    total_row = data["total"]
    writer.writerow(
        [
            data["organisation"],
            "",
            "TOTAL",
            f"{data['from']} to {data['to']}",
            _cell(total_row["hours"]),
            "",
            "",
            _cell(total_row["full_cost_sek"]),
            _cell(total_row["charged_sek"]),
            _cell(total_row["subsidised_sek"]),
            _cell(total_row["subsidised_eur"]),
        ]
    )
    three = data["three_years"]
    writer.writerow(
        [
            data["organisation"],
            "",
            "THREE YEARS",
            f"{three['from']} to {three['to']}",
            "",
            "",
            "",
            "",
            "",
            _cell(three["subsidised_sek"]),
            _cell(three["subsidised_eur"]),
        ]
    )
    return out.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _sek(value: float) -> str:
    return f"{value:,.2f}".replace(",", " ")


def last_day(end_iso: str) -> str:
    """The inclusive last local day of a period whose (exclusive) end is ``end_iso``."""
    end = datetime.fromisoformat(end_iso)
    at_midnight = (end.hour, end.minute, end.second) == (0, 0, 0)
    return (end.date() - timedelta(days=1) if at_midnight else end.date()).isoformat()


def _span(start_iso: str, end_iso: str) -> str:
    """``2026-10-01 to 2026-10-31`` for whole local days (the end is exclusive), else the two instants."""
    start, end = datetime.fromisoformat(start_iso), datetime.fromisoformat(end_iso)
    if start.time() == end.time() == time(0):
        return f"{start.date().isoformat()} to {last_day(end_iso)}"
    return f"{start_iso} to {end_iso} (end exclusive)"


def _statement_text(data: dict) -> str:
    three, total_row = data["three_years"], data["total"]
    out = [
        "STATEMENT OF DE MINIMIS AID",
        f"under {data['regulation']}",
        "",
        f"Undertaking:   {data['name']} ({data['organisation']}, {data['kind']}"
        + (f", {data['size_class']}" if data["size_class"] else "")
        + ")",
        f"Period:        {_span(data['from'], data['to'])}",
        "Granted by:    the ATMP Path2Patient facilities, as subsidised access to lab infrastructure",
        "",
        "Subsidised value = used hours x (full-cost rate - charged rate)",
        "",
        f"{'Resource':<28} {'Hours':>9} {'Full SEK/h':>10} {'Charged':>9} {'Aid SEK':>14}",
    ]
    for line in data["lines"]:
        out.append(
            f"{line['resource'][:28]:<28} {line['hours']:>9.2f} {_rate(line['full_cost_sek_per_hour']):>10} "
            f"{_rate(line['charged_sek_per_hour']):>9} {_sek(line['subsidised_sek']):>14}"
        )
    if not data["lines"]:
        out.append("(no recorded use in this period)")
    out += [
        "",
        f"Aid in the period:            {_sek(total_row['subsidised_sek'])} SEK = "
        f"{_sek(total_row['subsidised_eur'])} EUR (at {data['eur_sek']} SEK/EUR)",
        f"Aid in the three years {_span(three['from'], three['to'])}: "
        f"{_sek(three['subsidised_sek'])} SEK = {_sek(three['subsidised_eur'])} EUR",
        f"Ceiling:                      {_sek(three['ceiling_eur'])} EUR over three years; "
        f"used {three['percent']} %, remaining {_sek(three['remaining_eur'])} EUR",
        "",
        "The undertaking confirms that this aid, together with any other de minimis aid it has",
        "received in the same three years, does not exceed the ceiling of the Regulation.",
        "",
        "For the facility:  ________________________   Date: ____________",
        "",
        "For the undertaking: ______________________   Date: ____________",
        "",
    ]
    return "\n".join(out)


def _rate(value) -> str:
    return "-" if value is None else str(value)


# --- the warning to managers ------------------------------------------------------------------


def warn_key(organisation_id: int, threshold: Decimal) -> str:
    return f"state-aid-{int(threshold * 100)}:{organisation_id}"


def warn_state_aid(now: datetime) -> int:
    """Mail the managers of the facilities a company used when its three-year aid reaches the
    warning threshold (80 %) and again at the ceiling: once per company and threshold crossing.
    A company that falls back below a threshold (old aid leaving the window) is warned again when
    it next crosses it. Returns the number of mails sent."""
    config = settings()
    window = window_for(now)
    sent = 0
    rearm = []
    for entry in standing(window):
        status = rules.ceiling_check(Decimal(str(entry["subsidised_eur"])), config.ceiling_eur, config.warn_at)
        reached = status.thresholds_reached()
        for threshold in (config.warn_at, Decimal(1)):
            key = warn_key(entry["id"], threshold)
            if threshold not in reached:
                if already_sent(key):
                    rearm.append(key)
                continue
            recipients = _managers_for(entry["id"], window)
            sent += send_once(
                key,
                now,
                lambda e=entry, t=threshold, r=recipients: send_template(
                    r, "aid/mail/state_aid_warning", **warning_context(e, t)
                ),
            )
    if rearm:
        with write_transaction():
            db.session.execute(delete(NotificationSent).where(NotificationSent.key.in_(rearm)))
    return sent


def warning_context(entry: dict, threshold: Decimal) -> dict:
    """What templates/mail/state_aid_warning.txt shows of a company's standing, amounts formatted."""
    return {
        "percent_reached": None if threshold == 1 else int(threshold * 100),
        "company": entry["name"],
        "organisation": entry["organisation"],
        "subsidised_sek": _sek(entry["subsidised_sek"]),
        "subsidised_eur": _sek(entry["subsidised_eur"]),
        "period_from": entry["from"][:10],
        "period_to": entry["to"][:10],
        "percent": entry["percent"],
        "ceiling_eur": _sek(entry["ceiling_eur"]),
        "remaining_eur": _sek(entry["remaining_eur"]),
        "regulation": rules.REGULATION,
    }


def _managers_for(organisation_id: int, window: Period) -> list[str]:
    """Active managers of the facilities whose resources the company used in the window."""
    used = (
        select(Resource.facility_id)
        .distinct()
        .select_from(UsageRecord)
        .join(Resource, UsageRecord.resource_id == Resource.id)
        .where(
            UsageRecord.organisation_id == organisation_id,
            UsageRecord.superseded.is_(False),
            meets(UsageRecord.start_at, UsageRecord.end_at, window.start, window.end),
        )
    )
    return managers_of(used)
