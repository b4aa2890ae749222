"""Marshmallow schemas for ``instruments.yaml``: the shape of every entry and the rules between fields.

A resource's booking rules are optional: what it leaves out comes from its facility's
``defaults``, and what those leave out from ``RULE_FALLBACKS``. An absent rule field stays
absent in the loaded data (``resolve_rules`` fills it in), so "not said" and "said" differ.

Checks across fields run even when a single field is broken, so that one run reports every
problem of the file; a value that failed its own check is skipped by the checks across fields.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Iterable, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from facility.catalog.closures import find_holiday, parse_region
from facility.catalog.models import (
    ACTIVITIES,
    CLEANROOM_GRADES,
    GMP_LEVELS,
    RESOURCE_KINDS,
    RESOURCE_STATUSES,
    SERIES_APPROVALS,
)
from facility.core.text import bad_text_paths, printable_field
from facility.core.time import MINUTES_PER_DAY, WEEKDAYS, parse_hours
from facility.core.vocabulary import ORGANISATION_KINDS

# A rule that neither the resource nor its facility's defaults set; min_minutes falls back to slot_minutes.
RULE_FALLBACKS: dict[str, Any] = {
    "slot_minutes": 30,
    "max_minutes": 480,
    "lead_minutes": 0,
    "horizon_days": 90,
    "changeover_minutes": 0,
    "requires_approval": False,
    "runs_unattended": False,
    "series_approval": "series",  # where approval is required: one decision per recurring series
    "quota_hours_per_week": None,
    "qualification": None,
    "funded_by_programme": False,
    "activity": None,  # belongs to no activity of the application: counted by no indicator of equipment
    "full_cost_sek_per_hour": None,  # no rates: use of the resource is not counted as state aid
    "charged_sek_per_hour": None,
}
RULE_FIELDS = (
    "slot_minutes",
    "min_minutes",
    "max_minutes",
    "lead_minutes",
    "horizon_days",
    "changeover_minutes",
    "requires_approval",
    "runs_unattended",
    "series_approval",
    "quota_hours_per_week",
    "qualification",
    "funded_by_programme",
    "activity",
    "full_cost_sek_per_hour",
    "charged_sek_per_hour",
)
APPROVAL_LEVELS = ("pre-gmp", "gmp")  # where every cleanroom must require approval

INVALID = object()  # stands for a value that failed its own validation


# --- fields ------------------------------------------------------------------------------


def divides_day(value: int) -> None:
    if value <= 0 or MINUTES_PER_DAY % value:
        raise ValidationError(f"must divide 1440 (the minutes of a day), like 15, 30 or 60; not {value}")


def valid_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(f"'{name}' is not a time zone; use an IANA name like Europe/Stockholm") from None


def Key(**kwargs) -> fields.String:
    return fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=64),
            validate.Regexp(
                r"^[a-z0-9]+(-[a-z0-9]+)*$",
                error="must be lower-case letters, digits and single hyphens, like 'smile-bsc-1'",
            ),
        ],
        **kwargs,
    )


def Text(max_length: Optional[int] = 200, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(max=max_length) if max_length else None, **kwargs)


def Int(minimum: int = 0, **kwargs) -> fields.Integer:
    """A whole number written as one (not "30", not 30.5, not true)."""
    validators = [validate.Range(min=minimum)] + kwargs.pop("validators", [])
    return fields.Integer(strict=True, validate=validators, **kwargs)


class Bool(fields.Boolean):
    """true or false, nothing that merely looks like it ("yes", 1)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


class Activity(fields.Field):
    """The application's activity, ``4.2``, ``4.3`` or ``4.4`` (YAML reads 4.2 as a number; so
    may the file write it), or null; loads as the string."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = f"{value:.1f}" if isinstance(value, float) else value
        if isinstance(text, str) and text.strip() in ACTIVITIES:
            return text.strip()
        raise ValidationError(f"{value!r} is not an activity of the application; use one of {', '.join(ACTIVITIES)}")


class Day(fields.Field):
    """A calendar day, ``2026-12-24``; loads as that ISO string."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        raise ValidationError(f"{value!r} is not a date like 2026-12-24")


def valid_region(code: Any) -> None:
    try:
        parse_region(code)
    except ValueError as error:
        raise ValidationError(str(error)) from None


_DATE_LIKE = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}")  # a date, maybe a broken one, or a date and time


class ClosedDay(fields.Field):
    """One closed day or period; loads as its stored form (see ``closures``):

    - ``2026-12-24`` -> ``{"day": "2026-12-24"}``
    - ``julafton`` or ``{holiday: julafton}`` -> ``{"holiday": "julafton"}`` (the name is checked
      against the facility's ``public_holidays`` country by ``FacilitySchema``)
    - ``{day: 2026-12-23, name: Inventory}``, ``{from: 2027-07-12, to: 2027-07-16, name: ...}``
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict):
            return ClosureSchema().load(value)
        if isinstance(value, str) and not _DATE_LIKE.match(value):
            if not value.strip():
                raise ValidationError("is empty; give a date like 2026-12-24 or a holiday's name like julafton")
            return {"holiday": " ".join(value.split())}
        if isinstance(value, (date, str)):
            return {"day": Day().deserialize(value)}
        raise ValidationError(
            f"{value!r} is not a closed day: give a date like 2026-12-24, a holiday's name "
            "like julafton, or a period like {from: 2027-07-12, to: 2027-07-16, name: ...}"
        )


class OpeningHours(fields.Field):
    """``{mon: ["07:00-19:00"], ...}``; loads with all seven days, a day left out is closed."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("must map weekdays to lists of hours, like {mon: ['07:00-19:00'], sat: []}")
        hours: dict[str, list[str]] = {day: [] for day in WEEKDAYS}
        errors: dict[Any, Any] = {}
        for day, spans in value.items():
            if day not in WEEKDAYS:
                errors[day] = [f"{day!r} is not a weekday; use {', '.join(WEEKDAYS)}"]
            elif not isinstance(spans, list):
                errors[day] = ["must be a list like ['07:00-19:00'], or [] when closed"]
            else:
                for index, span in enumerate(spans):
                    try:
                        hours[day].append(_normal_hours(span))
                    except ValueError as error:
                        errors.setdefault(day, {})[index] = [str(error)]
        if errors:
            raise ValidationError(errors)
        return hours


def _normal_hours(span: Any) -> str:
    """``"7:00 - 19:00"``-like text checked by the booking rules' own parser, then written as ``07:00-19:00``."""
    if not isinstance(span, str):
        raise ValueError(f"{span!r} is not a range like 07:00-19:00 (write it in quotes)")
    opening, closing = parse_hours(span)
    return f"{opening // 60:02d}:{opening % 60:02d}-{closing // 60:02d}:{closing % 60:02d}"


class ChargedRates(fields.Field):
    """``{company: 900, university: 450, ...}``: the hourly rate (whole SEK) each organisation kind
    is charged. A kind left out pays the full cost (no aid)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError(
                "must map organisation kinds to hourly rates in SEK, like {company: 900, university: 450}"
            )
        rates: dict[str, int] = {}
        errors: dict[Any, Any] = {}
        for kind, rate in value.items():
            if kind not in ORGANISATION_KINDS:
                errors[kind] = [f"{kind!r} is not an organisation kind; use {', '.join(ORGANISATION_KINDS)}"]
            elif isinstance(rate, bool) or not isinstance(rate, int) or rate < 0:
                errors[kind] = [f"{rate!r} is not an hourly rate; give whole SEK, 0 or more"]
            else:
                rates[kind] = rate
        if errors:
            raise ValidationError(errors)
        return {kind: rates[kind] for kind in ORGANISATION_KINDS if kind in rates}


class EntryList(fields.List):
    """A list whose partly loaded result keeps one item per input item, so that checks across
    fields can line loaded entries up with the written ones."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise self.make_error("invalid")
        result, errors = [], {}
        for index, item in enumerate(value):
            try:
                result.append(self.inner.deserialize(item, **kwargs))
            except ValidationError as error:
                result.append(error.valid_data if isinstance(error.valid_data, dict) else {})
                errors[index] = error.messages
        if errors:
            raise ValidationError(errors, valid_data=result)
        return result


# --- schemas -----------------------------------------------------------------------------


class StrictSchema(Schema):
    error_messages = {"type": "must be a mapping of field: value", "unknown": "is not a field of this entry"}

    class Meta:
        unknown = RAISE


class QualificationSchema(StrictSchema):
    key = Key()
    name = Text(required=True)
    description = Text(max_length=None, load_default="")


class ClosureSchema(StrictSchema):
    """A closed day written as a mapping: ``{holiday: ...}``, ``{day: ..., name: ...}`` or
    ``{from: ..., to: ..., name: ...}`` (inclusive)."""

    holiday = fields.String(validate=validate.Length(min=1, max=200))
    day = Day()
    from_ = Day(data_key="from")
    to = Day()
    name = Text()

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_form(self, data, original, **kwargs):
        errors = Errors()
        forms = [key for key in ("holiday", "day", "from") if key in original]
        if not forms and "to" not in original:
            errors.add(("_schema",), "needs holiday, day, or from and to (a period)")
        elif len(forms) > 1:
            errors.add((forms[1],), f"cannot go together with {forms[0]}; write them as two entries")
        if "from" in original and "to" not in original:
            errors.add(("from",), "a period needs to as well (its last day, inclusive)")
        if "to" in original and "from" not in original:
            errors.add(("to",), "needs from (the first day of the period)")
        if "name" in original and "holiday" in original:
            errors.add(("name",), "a holiday has its own name; name only days and periods of your own")
        first, last = data.get("from_"), data.get("to")
        if first and last and last < first:
            errors.add(("to",), f"{last} is before from ({first})")
        errors.raise_if_any()


class RulesSchema(StrictSchema):
    """Booking rules, all optional: a facility's defaults or a resource's own overrides."""

    slot_minutes = Int(1, validators=[divides_day])
    min_minutes = Int(1)
    max_minutes = Int(1)
    lead_minutes = Int(0)
    horizon_days = Int(1)
    changeover_minutes = Int(0)
    requires_approval = Bool()
    runs_unattended = Bool()
    # Where approval is required: one decision for a recurring series, or one per occurrence.
    series_approval = fields.String(validate=validate.OneOf(SERIES_APPROVALS))
    quota_hours_per_week = Int(1, allow_none=True)  # null: no quota
    qualification = fields.String(allow_none=True)  # a qualification key; null: none needed
    funded_by_programme = Bool()
    activity = Activity(allow_none=True)  # the application's activity (4.2, 4.3, 4.4); null: none
    full_cost_sek_per_hour = Int(0, allow_none=True)  # the full cost of an hour's use, whole SEK
    charged_sek_per_hour = ChargedRates(allow_none=True)  # per organisation kind; at most the full cost


# --- the GMP records' settings (facility.gmp): own keys, under ``gmp:`` ----------------------

BATCH_RECORDS = ("required", "asked", "none")
PLAN_TASKS = ("calibration", "maintenance", "service", "filter_change", "requalification")


class GmpPlanSchema(StrictSchema):
    """A recurring task: every N days, or every N hours of use; due ``lead_days`` ahead, mailed."""

    key = Key()
    task = fields.String(required=True, validate=validate.OneOf(PLAN_TASKS))
    name = Text(required=True)
    every_days = Int(1)
    every_hours_of_use = Int(1)
    lead_days = Int(0, load_default=14)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _one_interval(self, data, original, **kwargs):
        given = [
            name for name in ("every_days", "every_hours_of_use") if isinstance(original, dict) and name in original
        ]
        if len(given) != 1:
            raise ValidationError("give exactly one of every_days and every_hours_of_use", "_schema")


class ResourceGmpSchema(StrictSchema):
    line_clearance = Bool(load_default=False)  # cleaned, verified by a second person, released before each use
    max_occupancy = Int(1, allow_none=True, load_default=None)  # people in the room at once (Annex 1 ch. 7)
    plans = EntryList(fields.Nested(GmpPlanSchema), load_default=list)


class FacilityGmpSchema(StrictSchema):
    # Product and batch on bookings and uses: required, asked for (optional) or not asked.
    batch_records = fields.String(validate=validate.OneOf(BATCH_RECORDS))


class ResourceSchema(RulesSchema):
    key = Key()
    name = Text(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(RESOURCE_KINDS))
    description = Text(max_length=None, load_default="")
    location = Text(load_default="")
    cleanroom_grade = fields.String(validate=validate.OneOf(CLEANROOM_GRADES))
    nominal_value_sek = Int(0, load_default=0)  # the acquisition value, whole SEK
    in_service_since = Day(allow_none=True, load_default=None)  # the day it came into service
    # Left out, a manager's run-time status stays as it is; written, the file sets it.
    status = fields.String(validate=validate.OneOf(RESOURCE_STATUSES))
    status_reason = Text(max_length=None)
    gmp = fields.Nested(ResourceGmpSchema, load_default=None)
    # Resources of the same facility that must be booked together with this one, in one bundle
    # for the same time (all of them): an isolator that stands in its cleanroom suite.
    requires = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_grade_and_status(self, data, original, **kwargs):
        errors = Errors()
        kind = data.get("kind")
        if kind == "cleanroom" and "cleanroom_grade" not in original:
            errors.add(("cleanroom_grade",), f"a cleanroom needs a grade: one of {', '.join(CLEANROOM_GRADES)}")
        if kind in ("instrument", "room") and "cleanroom_grade" in original:
            errors.add(("cleanroom_grade",), f"only a cleanroom has a grade (kind is {kind})")
        if "status_reason" in original and "status" not in original:
            errors.add(("status_reason",), "is only read together with status")
        errors.raise_if_any()


class BundleSchema(StrictSchema):
    """A suite that is booked together with its equipment: two or more resources of the facility,
    booked all or nothing for the same time (facility/bookings/bundles.py)."""

    key = Key()
    name = Text(required=True)
    description = Text(max_length=None, load_default="")
    resources = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        required=True,
        validate=validate.Length(min=2, error="a bundle holds at least two resources"),
    )


class FacilitySchema(StrictSchema):
    key = Key()
    name = Text(required=True)
    organisation = Text(required=True)
    gmp_level = fields.String(required=True, validate=validate.OneOf(GMP_LEVELS))
    timezone = fields.String(required=True, validate=valid_timezone)
    location = Text(load_default="")
    opening_hours = OpeningHours(required=True)
    # The country whose public holidays close the facility (SE, or a subdivision like DE-BY).
    public_holidays = fields.String(allow_none=True, load_default=None, validate=valid_region)
    closed_days = fields.List(ClosedDay(), load_default=list)
    no_show_grace_minutes = Int(0, load_default=30)
    defaults = fields.Nested(RulesSchema, load_default=dict)
    resources = EntryList(fields.Nested(ResourceSchema), load_default=list)
    gmp = fields.Nested(FacilityGmpSchema, load_default=None)
    bundles = EntryList(fields.Nested(BundleSchema), load_default=list)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_bundles_and_requires(self, data, original, **kwargs):
        """What ``requires`` and ``bundles`` name are resources of this facility (of the file: a
        resource left out of it is retired); nothing requires itself or, round a cycle, what
        requires it; a bundle names each resource once and holds what its members require."""
        if not isinstance(original, dict):
            return
        errors = Errors()
        resources = _entries(original.get("resources"))
        known = {r["key"] for _, r in resources if isinstance(r.get("key"), str)}
        requires = {}
        for index, raw in resources:
            named = raw.get("requires")
            if not isinstance(named, list) or not isinstance(raw.get("key"), str):
                continue
            for position, other in enumerate(named):
                if not isinstance(other, str):
                    continue
                if other == raw["key"]:
                    errors.add(("resources", index, "requires", position), f"'{other}' cannot require itself")
                elif other not in known:
                    errors.add(("resources", index, "requires", position), _not_here(other, known))
            requires[raw["key"]] = [k for k in named if isinstance(k, str) and k in known and k != raw["key"]]
        for index, raw in resources:
            cycle = requirement_cycle(raw.get("key"), requires)
            if cycle:
                errors.add(("resources", index, "requires"), f"goes round in a circle: {' -> '.join(cycle)}")
        for index, bundle in _entries(original.get("bundles")):
            named = bundle.get("resources")
            if not isinstance(named, list):
                continue
            seen: set = set()
            for position, key in enumerate(named):
                if not isinstance(key, str):
                    continue
                if key in seen:
                    errors.add(("bundles", index, "resources", position), f"'{key}' is named twice")
                elif key not in known:
                    errors.add(("bundles", index, "resources", position), _not_here(key, known))
                seen.add(key)
            for key in sorted(seen & known):
                missing = [k for k in requires.get(key, []) if k not in seen]
                if missing:
                    errors.add(
                        ("bundles", index, "resources"),
                        f"'{key}' requires {', '.join(repr(k) for k in missing)}: add it to the bundle",
                    )
        errors.raise_if_any()

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_holiday_names(self, data, original, **kwargs):
        """A holiday named among the closed days is one of the ``public_holidays`` country."""
        if not isinstance(original, dict) or not isinstance(original.get("closed_days"), list):
            return
        errors = Errors()
        region = original.get("public_holidays")
        for index, raw in enumerate(original["closed_days"]):
            if isinstance(raw, dict):
                name, path = raw.get("holiday"), ("closed_days", index, "holiday")
            elif isinstance(raw, str) and not _DATE_LIKE.match(raw) and raw.strip():
                name, path = raw, ("closed_days", index)
            else:
                continue
            if not isinstance(name, str):
                continue
            if region is None:
                errors.add(path, f"names a holiday ({name}): say whose holidays with public_holidays, like SE")
                continue
            try:
                country, subdivision = parse_region(region)
            except ValueError:
                continue  # reported at public_holidays
            try:
                find_holiday(country, subdivision, name)
            except ValueError as error:
                errors.add(path, str(error))
        errors.raise_if_any()

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_resources(self, data, original, **kwargs):
        """Each resource's rules with the defaults applied: the minimum, the maximum and the slot
        agree, and a cleanroom of a pre-GMP or GMP facility requires approval."""
        if not isinstance(original, dict) or not isinstance(original.get("resources"), list):
            return
        raw_defaults = original.get("defaults") if isinstance(original.get("defaults"), dict) else {}
        defaults = _known(data.get("defaults", {}), raw_defaults)
        errors = Errors()
        for index, (raw, loaded) in enumerate(zip(original["resources"], data.get("resources", []))):
            if not isinstance(raw, dict):
                continue
            rules = resolve_rules(_known(loaded, raw), defaults)
            for field, involved, message in rule_conflicts(rules):
                if any(name in raw for name in involved) or not any(name in raw_defaults for name in involved):
                    errors.add(("resources", index, field), message)
                else:
                    errors.add(("defaults", field), message)
            if (
                loaded.get("kind") == "cleanroom"
                and data.get("gmp_level") in APPROVAL_LEVELS
                and rules["requires_approval"] is False
            ):
                errors.add(
                    ("resources", index, "requires_approval"),
                    f"a cleanroom of a {data['gmp_level']} facility must require approval (true)",
                )
        errors.raise_if_any()


class CatalogSchema(StrictSchema):
    qualifications = EntryList(fields.Nested(QualificationSchema), load_default=list)
    facilities = EntryList(fields.Nested(FacilitySchema), required=True)

    @pre_load
    def _storable_text(self, data, **kwargs):
        """Every key and string of the file is text that can be stored (no NUL, no lone
        surrogate from a YAML escape), named by its place in the file."""
        errors: dict = {}
        for path, message in bad_text_paths(data):
            *parents, last = path or ("_schema",)
            node = errors
            for part in parents:
                node = node.setdefault(part, {})
            node.setdefault(printable_field(last) if isinstance(last, str) else last, []).append(message)
        if errors:
            raise ValidationError(errors)
        return data

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_keys_and_references(self, data, original, **kwargs):
        """Keys are unique across the file; a qualification named anywhere is defined in it."""
        errors = Errors()
        qualifications = _entries(original.get("qualifications"))
        facilities = _entries(original.get("facilities"))
        _check_unique(errors, ("qualifications",), qualifications)
        _check_unique(errors, ("facilities",), facilities)
        _check_unique(
            errors,
            ("facilities",),
            [
                ((f_index, "resources", r_index), resource)
                for f_index, facility in facilities
                for r_index, resource in _entries(facility.get("resources"))
            ],
        )
        bundles = [
            ((f_index, "bundles", b_index), bundle)
            for f_index, facility in facilities
            for b_index, bundle in _entries(facility.get("bundles"))
        ]
        _check_unique(errors, ("facilities",), bundles)
        resource_keys = {r.get("key") for _, facility in facilities for _, r in _entries(facility.get("resources"))}
        for (f_index, _, b_index), bundle in bundles:
            if isinstance(bundle.get("key"), str) and bundle["key"] in resource_keys:
                errors.add(
                    ("facilities", f_index, "bundles", b_index, "key"),
                    f"'{bundle['key']}' is already a resource's key; give the bundle a key of its own",
                )
        known = sorted({q["key"] for _, q in qualifications if isinstance(q.get("key"), str)})
        for f_index, facility in facilities:
            places = [(("defaults",), facility.get("defaults"))]
            places += [(("resources", r_index), r) for r_index, r in _entries(facility.get("resources"))]
            for path, entry in places:
                named = entry.get("qualification") if isinstance(entry, dict) else None
                if isinstance(named, str) and named not in known:
                    errors.add(
                        ("facilities", f_index, *path, "qualification"),
                        f"'{named}' is not a qualification of this file"
                        + (f" (those are: {', '.join(known)})" if known else ""),
                    )
        errors.raise_if_any()


# --- rules across fields -------------------------------------------------------------------


def _not_here(key: str, known: set) -> str:
    return (
        f"'{key}' is not a resource of this facility in this file (a resource left out of the file is "
        f"retired and cannot be required or bundled; those are: {', '.join(sorted(known))})"
    )


def requirement_cycle(start: Any, requires: dict) -> Optional[list]:
    """The keys of a circle of ``requires`` through ``start`` (first key repeated at the end), or None."""
    if not isinstance(start, str):
        return None
    path, stack = [start], [iter(requires.get(start, []))]
    while stack:
        nxt = next(stack[-1], None)
        if nxt is None:
            stack.pop()
            path.pop()
        elif nxt == start:
            return path + [start]
        elif nxt not in path:
            path.append(nxt)
            stack.append(iter(requires.get(nxt, [])))
    return None


def resolve_rules(resource: dict, defaults: dict) -> dict:
    """A resource's rules: its own, else its facility's defaults, else ``RULE_FALLBACKS``."""
    rules = dict(RULE_FALLBACKS)
    for source in (defaults, resource):
        rules.update((name, source[name]) for name in RULE_FIELDS if name in source)
    rules.setdefault("min_minutes", rules["slot_minutes"])
    return rules


def rule_conflicts(rules: dict) -> Iterable[tuple[str, tuple[str, ...], str]]:
    """``(field, fields involved, message)`` for each way resolved rules contradict each other."""
    slot, low, high = rules["slot_minutes"], rules["min_minutes"], rules["max_minutes"]
    if INVALID not in (slot, low) and low % slot:
        yield "min_minutes", ("min_minutes", "slot_minutes"), f"{low} is not a multiple of slot_minutes ({slot})"
    if INVALID not in (slot, high) and high % slot:
        yield "max_minutes", ("max_minutes", "slot_minutes"), f"{high} is not a multiple of slot_minutes ({slot})"
    if INVALID not in (low, high) and low > high:
        yield "max_minutes", ("max_minutes", "min_minutes"), f"{high} is less than min_minutes ({low})"
    full, charged = rules["full_cost_sek_per_hour"], rules["charged_sek_per_hour"]
    rates = ("charged_sek_per_hour", "full_cost_sek_per_hour")
    if isinstance(charged, dict) and full is None:
        yield "charged_sek_per_hour", rates, "needs full_cost_sek_per_hour (the full cost it is a discount on)"
    if isinstance(charged, dict) and isinstance(full, int):
        above = [f"{kind} ({rate})" for kind, rate in charged.items() if rate > full]
        if above:
            yield "charged_sek_per_hour", rates, f"is above full_cost_sek_per_hour ({full}) for {', '.join(above)}"


def _known(loaded: Any, raw: Any) -> dict:
    """The rule values of an entry, with ``INVALID`` for those written but not loaded."""
    loaded = loaded if isinstance(loaded, dict) else {}
    raw = raw if isinstance(raw, dict) else {}
    return {name: loaded.get(name, INVALID) for name in RULE_FIELDS if name in raw}


def _entries(value: Any) -> list[tuple[int, dict]]:
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


def _check_unique(errors: "Errors", prefix: tuple, entries: list) -> None:
    first_seen: dict[str, Any] = {}
    for where, entry in entries:
        key = entry.get("key")
        if not isinstance(key, str):
            continue
        if key in first_seen:
            line = getattr(first_seen[key], "key_lines", {}).get("key")
            errors.add(
                (*prefix, *(where if isinstance(where, tuple) else (where,)), "key"),
                f"'{key}' is used twice" + (f" (first at line {line})" if line else ""),
            )
        else:
            first_seen[key] = entry


class Errors:
    """Marshmallow-shaped nested error messages, without repeats."""

    def __init__(self):
        self.messages: dict = {}

    def add(self, path: tuple, message: str) -> None:
        node = self.messages
        for part in path[:-1]:
            node = node.setdefault(part, {})
        found = node.setdefault(path[-1], [])
        if message not in found:
            found.append(message)

    def raise_if_any(self) -> None:
        if self.messages:
            raise ValidationError(self.messages)
