"""Reading ``instruments.yaml`` and loading it into the database.

``parse_catalog`` turns YAML text into a validated ``Catalog`` of plain dataclasses (no
database, no Flask) or raises ``CatalogError`` naming every problem with its line, entry and
field. ``apply_catalog`` upserts the catalogue by key into a session; the caller commits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator, Optional

import yaml
from marshmallow import ValidationError
from sqlalchemy import select

from facility import audit
from facility.catalog.closures import ClosedDays, find_holiday, parse_region, region_code
from facility.catalog.models import RATES_SINCE_ALWAYS, Facility, Qualification, Resource, ResourceRate
from facility.catalog.schema import CatalogSchema, resolve_rules
from facility.core.vocabulary import ORGANISATION_KINDS


class CatalogError(Exception):
    """A broken catalogue. ``problems`` are human-readable lines such as
    ``line 57: facilities[1] (lu-atmp) > resources[3] (lu-prodigy) > slot_minutes: must divide 1440 ...``."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# --- the validated catalogue ----------------------------------------------------------------


@dataclass(frozen=True)
class QualificationSpec:
    key: str
    name: str
    description: str


@dataclass(frozen=True)
class ResourceSpec:
    """One resource with its facility's defaults applied: the values of its database row."""

    key: str
    facility: str  # the facility's key
    name: str
    kind: str
    description: str
    location: str
    cleanroom_grade: Optional[str]
    requires_approval: bool
    runs_unattended: bool
    slot_minutes: int
    min_minutes: int
    max_minutes: int
    lead_minutes: int
    horizon_days: int
    changeover_minutes: int
    quota_hours_per_week: Optional[int]
    qualification: Optional[str]  # a qualification's key
    nominal_value_sek: int  # the acquisition value
    funded_by_programme: bool
    activity: Optional[str] = None  # the application's activity (4.2, 4.3, 4.4)
    in_service_since: Optional[date] = None
    status: Optional[str] = None  # None: the file does not say, so a manager's status stays
    status_reason: Optional[str] = None
    full_cost_sek_per_hour: Optional[int] = None  # None: no state-aid rates
    charged_sek_per_hour: Optional[dict] = None  # {kind: SEK per hour}; a kind left out pays the full cost
    gmp_settings: Optional[dict] = None  # the resource's ``gmp:`` (facility.gmp)
    series_approval: str = "series"  # approval of a recurring series: "series" or "occurrence"
    requires: Optional[list] = None  # keys of its facility's resources it must be booked with; None: none

    def rates(self) -> dict[str, tuple[Optional[int], Optional[int]]]:
        """``{kind: (full cost, charged)}`` for every organisation kind; ``(None, None)`` without rates."""
        full, charged = self.full_cost_sek_per_hour, self.charged_sek_per_hour or {}
        return {kind: (full, charged.get(kind, full) if full is not None else None) for kind in ORGANISATION_KINDS}


@dataclass(frozen=True)
class FacilitySpec:
    key: str
    name: str
    organisation: str
    gmp_level: str
    timezone: str
    location: str
    opening_hours: dict  # all seven days: {"mon": ["07:00-19:00"], ..., "sun": []}
    # Stored entries: named holidays ({"holiday": "Julafton"}) in the file's order, then own closures
    # ({"day": ...} / {"from": ..., "to": ...}, each with an optional "name") by date.
    closed_days: tuple[dict, ...]
    no_show_grace_minutes: int
    resources: tuple[ResourceSpec, ...]
    public_holidays: Optional[str] = None  # "SE", or a country and subdivision like "DE-BY"
    gmp_settings: Optional[dict] = None  # the facility's ``gmp:`` (facility.gmp)
    bundles: Optional[list] = None  # [{"key", "name", "description", "resources"}]; None: none

    def closures(self) -> ClosedDays:
        return ClosedDays.from_entries(self.public_holidays, self.closed_days)


@dataclass(frozen=True)
class Catalog:
    qualifications: tuple[QualificationSpec, ...]
    facilities: tuple[FacilitySpec, ...]

    @property
    def resources(self) -> list[ResourceSpec]:
        return [r for f in self.facilities for r in f.resources]


# --- YAML that remembers its lines ---------------------------------------------------------


class LineDict(dict):
    """A YAML mapping; ``line`` is where it starts, ``key_lines`` where each key stands."""

    line: int = 0
    key_lines: dict


class LineList(list):
    """A YAML sequence; ``item_lines[i]`` is the line of item ``i``."""

    item_lines: list


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader whose mappings and sequences know their lines and whose mappings refuse repeated keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode):
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    yield mapping
    first_lines: dict[str, int] = {}
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
            if key_node.value in first_lines:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the key '{key_node.value}' appears twice (first at line {first_lines[key_node.value]})",
                    key_node.start_mark,
                )
            first_lines[key_node.value] = key_node.start_mark.line + 1
    mapping.update(loader.construct_mapping(node))
    mapping.key_lines = {loader.construct_object(k): k.start_mark.line + 1 for k, _ in node.value}


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode):
    sequence = LineList()
    sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield sequence
    sequence.extend(loader.construct_sequence(node))


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode):
    """A date; an impossible one (2026-02-30) stays text, for the schema to report with its line."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _read_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = ": ".join(part for part in (error.context, error.problem) if part)
        raise CatalogError([f"line {mark.line + 1 if mark else 1}: not valid YAML: {what}"]) from None
    except yaml.YAMLError as error:
        raise CatalogError([f"not valid YAML: {error}"]) from None
    except RecursionError:
        raise CatalogError(["not valid YAML: nested too deeply"]) from None


# --- parsing and validation -------------------------------------------------------------------


def read_catalog(path) -> Catalog:
    """The validated catalogue in the file at ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise CatalogError([f"{path}: cannot be read ({error.strerror or error})"]) from None
    except UnicodeDecodeError:
        raise CatalogError([f"{path}: is not UTF-8 text"]) from None
    return parse_catalog(text)


def parse_catalog(text: str) -> Catalog:
    """YAML text -> validated ``Catalog``; every problem of the file at once in ``CatalogError``."""
    raw = _read_yaml(text)
    if not isinstance(raw, dict):
        line = getattr(raw, "line", None) or (raw.item_lines[0] if isinstance(raw, LineList) and raw else 1)
        raise CatalogError([f"line {line}: the catalogue must be a mapping with 'qualifications' and 'facilities'"])
    try:
        data = CatalogSchema().load(raw)
    except ValidationError as error:
        problems = sorted(_problems(error.messages, raw, "", raw.line or 1), key=lambda p: p[0])
        raise CatalogError([f"line {line}: {text}" for line, text in problems]) from None
    return _catalog(data)


def _problems(errors: Any, raw: Any, path: str, line: int) -> Iterator[tuple[int, str]]:
    """``(line, "path > field: message")`` for marshmallow's nested errors, found in the raw YAML."""
    if not isinstance(errors, dict):
        for message in errors if isinstance(errors, list) else [errors]:
            if isinstance(message, dict):
                yield from _problems(message, raw, path, line)
            else:
                yield line, f"{path}: {message}" if path else str(message)
        return
    for key, sub in errors.items():
        if key == "_schema":
            yield from _problems(sub, raw, path, getattr(raw, "line", line))
        elif isinstance(raw, LineList) and isinstance(key, int) and 0 <= key < len(raw):
            item = raw[key]
            label = f" ({item['key']})" if isinstance(item, dict) and isinstance(item.get("key"), str) else ""
            yield from _problems(sub, item, f"{path}[{key}]{label}", raw.item_lines[key])
        else:
            child = raw.get(key) if isinstance(raw, dict) else None
            key_line = raw.key_lines.get(key) if isinstance(raw, LineDict) else None
            yield from _problems(sub, child, f"{path} > {key}" if path else str(key), key_line or line)


def _catalog(data: dict) -> Catalog:
    qualifications = tuple(QualificationSpec(**q) for q in data["qualifications"])
    return Catalog(qualifications, tuple(_facility(f) for f in data["facilities"]))


def _facility(data: dict) -> FacilitySpec:
    resources = tuple(_resource(r, data["key"], data["defaults"]) for r in data["resources"])
    return FacilitySpec(
        key=data["key"],
        name=data["name"],
        organisation=data["organisation"],
        gmp_level=data["gmp_level"],
        timezone=data["timezone"],
        location=data["location"],
        opening_hours=data["opening_hours"],
        public_holidays=region_code(*parse_region(data["public_holidays"])) if data["public_holidays"] else None,
        closed_days=_closed_days(data["public_holidays"], data["closed_days"]),
        no_show_grace_minutes=data["no_show_grace_minutes"],
        resources=resources,
        gmp_settings=_plain(data["gmp"]) if data.get("gmp") else None,
        bundles=[_plain(dict(b)) for b in data["bundles"]] or None,
    )


def _closed_days(region: Optional[str], entries: list[dict]) -> tuple[dict, ...]:
    """The loaded entries in their stored form: holidays by their own name, repeats dropped, own
    closures by date."""
    country, subdivision = parse_region(region) if region else (None, None)
    named, own = [], set()
    for entry in entries:
        if "holiday" in entry:
            name = find_holiday(country, subdivision, entry["holiday"])
            if {"holiday": name} not in named:
                named.append({"holiday": name})
            continue
        first = entry.get("day") or entry["from_"]
        last = entry.get("day") or entry["to"]
        own.add((first, last, entry.get("name") or ""))
    dated = [
        ({"day": first} if first == last else {"from": first, "to": last}) | ({"name": name} if name else {})
        for first, last, name in sorted(own)
    ]
    return tuple(named + dated)


def _resource(data: dict, facility: str, defaults: dict) -> ResourceSpec:
    own = {
        name: data.get(name)
        for name in (
            "key",
            "name",
            "kind",
            "description",
            "location",
            "cleanroom_grade",
            "nominal_value_sek",
            "status",
            "status_reason",
        )
    }
    since = data.get("in_service_since")
    own["in_service_since"] = date.fromisoformat(since) if since else None
    gmp = _plain(data["gmp"]) if data.get("gmp") else None
    requires = list(data.get("requires") or []) or None
    return ResourceSpec(facility=facility, **own, **resolve_rules(data, defaults), gmp_settings=gmp, requires=requires)


# --- loading into the database ---------------------------------------------------------------


@dataclass
class LoadSummary:
    """What a load did. ``created`` ... ``unchanged`` count resources; ``facilities`` and
    ``qualifications`` count ``created``/``updated``/``unchanged``."""

    created: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: int = 0
    facilities: Counter = field(default_factory=Counter)
    qualifications: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(
            self.created
            or self.updated
            or self.retired
            or self.facilities["created"]
            or self.facilities["updated"]
            or self.qualifications["created"]
            or self.qualifications["updated"]
        )

    def __str__(self) -> str:
        def counts(counter: Counter) -> str:
            return ", ".join(f"{counter[outcome]} {outcome}" for outcome in ("created", "updated", "unchanged"))

        return (
            f"resources: {self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.retired} retired; facilities: {counts(self.facilities)}; "
            f"qualifications: {counts(self.qualifications)}"
        )


QUALIFICATION_COLUMNS = ("name", "description")
FACILITY_COLUMNS = (
    "name",
    "organisation",
    "gmp_level",
    "timezone",
    "location",
    "no_show_grace_minutes",
    "public_holidays",
    "gmp_settings",
    "bundles",
)
RESOURCE_COLUMNS = tuple(
    f.name
    for f in fields(ResourceSpec)
    if f.name not in ("key", "facility", "qualification", "status", "status_reason")
)


def apply_catalog(session, catalog: Catalog, *, now: datetime, reason: str = "") -> LoadSummary:
    """Upsert qualifications, facilities and resources by key into ``session`` (no commit).

    A resource that has left the file is retired at ``now``, one that comes back is
    un-retired. Loading the same catalogue twice leaves everything ``unchanged``.
    Each creation and change (and new rates, and a retirement) writes an audit event by the
    system with ``reason`` (the file's path).
    """
    if now.tzinfo is None:
        raise ValueError("apply_catalog needs an aware 'now'")
    summary = LoadSummary()
    log: list = []  # (row, action, before, after), audited once the rows have ids
    with session.no_autoflush:
        qualifications = _by_key(session, Qualification)
        for spec in catalog.qualifications:
            values = {name: getattr(spec, name) for name in QUALIFICATION_COLUMNS}
            summary.qualifications[_upsert(session, Qualification, qualifications, spec.key, values, log)] += 1
        facilities = _by_key(session, Facility)
        for spec in catalog.facilities:
            values = {name: getattr(spec, name) for name in FACILITY_COLUMNS}
            values["opening_hours"] = {day: list(spans) for day, spans in spec.opening_hours.items()}
            values["closed_days"] = [dict(entry) for entry in spec.closed_days]
            summary.facilities[_upsert(session, Facility, facilities, spec.key, values, log)] += 1
        resources = _by_key(session, Resource)
        rates = _current_rates(session)
        for spec in catalog.resources:
            outcome = _upsert(
                session,
                Resource,
                resources,
                spec.key,
                _resource_values(spec, facilities, qualifications, is_new=spec.key not in resources),
                log,
            )
            setattr(summary, outcome, getattr(summary, outcome) + 1)
            _record_rates(session, resources[spec.key], spec, rates, now, log)
        in_file = {spec.key for spec in catalog.resources}
        for key, resource in resources.items():
            if key not in in_file and resource.retired_at is None:
                resource.retired_at = now
                summary.retired += 1
                log.append((resource, "resource.retired", {"retired_at": None}, {"retired_at": now.isoformat()}))
    session.flush()
    for row, action, before, after in log:
        where = row if isinstance(row, Facility) else getattr(row, "facility", None)
        audit.record(None, action, row, before=before, after=after, reason=reason, facility=where)
    return summary


AUDIT_NAMES = {Qualification: "qualification", Facility: "facility", Resource: "resource"}


def _plain(value: Any) -> Any:
    """A column value as JSON for the audit trail: a related row by its key."""
    if isinstance(value, (Facility, Qualification, Resource)):
        return value.key
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def _resource_values(spec: ResourceSpec, facilities: dict, qualifications: dict, *, is_new: bool) -> dict:
    values = {name: getattr(spec, name) for name in RESOURCE_COLUMNS}
    values["facility"] = facilities[spec.facility]
    values["qualification"] = qualifications[spec.qualification] if spec.qualification else None
    values["retired_at"] = None
    if spec.status is not None or is_new:  # otherwise a manager's run-time status stays
        values["status"] = spec.status or "available"
        values["status_reason"] = spec.status_reason or ""
    return values


def _current_rates(session) -> dict:
    """``{resource id: {kind: (full cost, charged)}}`` as the latest ResourceRate rows say."""
    current: dict = {}
    for row in session.scalars(select(ResourceRate).order_by(ResourceRate.valid_from, ResourceRate.id)):
        current.setdefault(row.resource_id, {})[row.organisation_kind] = (
            row.full_cost_sek_per_hour,
            row.charged_sek_per_hour,
        )
    return current


def _record_rates(session, resource: Resource, spec: ResourceSpec, current: dict, now: datetime, log: list) -> None:
    """Keep the rate history: new rows, valid from ``now``, when the file changes a resource's rates.
    A resource's first rates are valid since always (they also price use recorded before them)."""
    wanted = spec.rates()
    known = current.get(resource.id) if resource.id is not None else None
    if known is None:
        if spec.full_cost_sek_per_hour is None:
            return
        valid_from = RATES_SINCE_ALWAYS
    elif all(known.get(kind) == value for kind, value in wanted.items()):
        return
    else:
        valid_from = now
    log.append(
        (
            resource,
            "resource.rates_changed",
            {kind: list(value) for kind, value in known.items()} if known else None,
            {"valid_from": valid_from.isoformat(), **{kind: list(value) for kind, value in wanted.items()}},
        )
    )
    for kind, (full, charged) in wanted.items():
        session.add(
            ResourceRate(
                resource=resource,
                organisation_kind=kind,
                valid_from=valid_from,
                full_cost_sek_per_hour=full,
                charged_sek_per_hour=charged,
            )
        )


def _by_key(session, model) -> dict:
    return {row.key: row for row in session.scalars(select(model))}


def _upsert(session, model, rows: dict, key: str, values: dict, log: list) -> str:
    """Create or update the row ``key`` of ``rows``; returns "created", "updated" or "unchanged"
    and adds a creation or change to ``log``."""
    kind = AUDIT_NAMES[model]
    row = rows.get(key)
    if row is None:
        rows[key] = row = model(key=key, **values)
        session.add(row)
        log.append((row, f"{kind}.created", None, {"key": key, **{k: _plain(v) for k, v in values.items()}}))
        return "created"
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if changed:
        before = {name: _plain(getattr(row, name)) for name in changed}
        log.append((row, f"{kind}.updated", before, {name: _plain(values[name]) for name in changed}))
    for name in changed:
        setattr(row, name, values[name])
    return "updated" if changed else "unchanged"
