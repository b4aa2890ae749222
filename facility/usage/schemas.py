"""The JSON shapes of the monthly report and the indicators (API.md), for the OpenAPI document
and to dump the answers. They describe the dicts of ``reports.py`` and ``indicators.py`` field
for field: every field is always present (``required``), ``nullable`` where it may be null."""

from __future__ import annotations

from marshmallow import Schema, fields

from facility.core.vocabulary import ORGANISATION_KINDS, SIZE_CLASSES
from facility.usage.definitions import SOURCES, TABLE, UNITS
from facility.usage.indicators import NAMES
from facility.usage.models import REGISTER_KINDS


def _int(description: str | None = None) -> fields.Integer:
    return fields.Integer(required=True, metadata={"description": description} if description else {})


def _hours(description: str) -> fields.Float:
    return fields.Float(required=True, metadata={"description": description})


# --- the monthly report -----------------------------------------------------------------------


class _Figures(Schema):
    """What the report counts, per resource and per organisation."""

    booked_minutes = _int("minutes of held bookings (confirmed, completed, no-show) inside the month")
    booked_hours = _hours("booked_minutes / 60, to two decimals")
    used_minutes = _int("minutes of recorded use (not superseded) inside the month")
    used_hours = _hours("used_minutes / 60, to two decimals")
    bookings = _int("held bookings that start in the month")
    cancellations = _int("cancelled bookings that start in the month")
    late_cancellations = _int("of the cancellations, those made less than 24 hours before the start")
    no_shows = _int()
    users = _int("distinct users with recorded use")


class ReportResourceSchema(_Figures):
    resource = fields.String(required=True, metadata={"description": "the resource's key"})
    name = fields.String(required=True)
    available_minutes = _int("opening minutes of the month (every minute for a resource that runs unattended)")
    utilisation = fields.Float(
        required=True, metadata={"description": "used_minutes / available_minutes, 0 to 1 (four decimals)"}
    )
    organisations = _int("distinct organisations with recorded use")


class ReportOrganisationSchema(_Figures):
    organisation = fields.String(required=True, metadata={"description": "the organisation's key"})
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(ORGANISATION_KINDS)})
    resources = _int("distinct resources with recorded use")


class FacilityReportSchema(Schema):
    facility = fields.String(required=True, metadata={"description": "the facility's key"})
    name = fields.String(required=True)
    timezone = fields.String(required=True)
    from_ = fields.String(
        required=True,
        data_key="from",
        attribute="from",
        metadata={"description": "the month's start, local midnight of the 1st (RFC 3339)"},
    )
    to = fields.String(required=True, metadata={"description": "the next month's start (exclusive, RFC 3339)"})
    resources = fields.List(fields.Nested(ReportResourceSchema), required=True)
    organisations = fields.List(
        fields.Nested(ReportOrganisationSchema),
        required=True,
        metadata={"description": "organisations with bookings or recorded use in the month"},
    )


class MonthlyReportSchema(Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM"})
    facilities = fields.List(fields.Nested(FacilityReportSchema), required=True)


# --- the indicators -------------------------------------------------------------------------


class CompaniesBySizeSchema(Schema):
    micro = _int()
    small = _int()
    medium = _int()
    large = _int()


class IndicatorsSchema(Schema):
    users_of_infrastructure = _int(
        "distinct users of the equipment of activities 4.2-4.4 (the table's users_of_infrastructure)"
    )
    researcher_fte = fields.Float(
        required=True,
        metadata={
            "description": "RCO06: researchers' hours on the equipment of activities 4.2 and 4.3 / "
            "(FTE hours x years of the period)"
        },
    )
    companies_supported = fields.Nested(
        CompaniesBySizeSchema,
        required=True,
        metadata={
            "description": "RCO01: enterprises supported (register: activities 3.2, 3.4, grants), each once, "
            "by size class on the day of their first support in the period"
        },
    )
    companies_collaborating_with_research = _int("RCO10: enterprises of 3.2 or 3.4 in joint work with research")
    equipment_nominal_value_sek = _int(
        "RCO08: acquisition value of the equipment of activities 4.2-4.4 in service since the project's start"
    )


ENTRY_FIELDS = "entry, day, kind, organisation, name, org_number, size_class, amount_sek, evidence"
DETAIL_FIELDS = {
    "users_of_infrastructure": "user, name, organisation, is_researcher, minutes, records",
    "researcher_fte": "id, resource, activity, user, organisation, start, end, minutes_in_period",
    "equipment_nominal_value_sek": "resource, name, facility, activity, in_service_since, nominal_value_sek",
    "companies_supported, companies_collaborating_with_research and the table's register indicators": ENTRY_FIELDS,
}


class IndicatorItemSchema(Schema):
    """One row behind an indicator; which fields it has depends on the indicator (``DETAIL_FIELDS``)."""

    user = fields.String(metadata={"description": "e-mail address"})
    name = fields.String(allow_none=True)
    organisation = fields.String(metadata={"description": "the organisation's key"})
    is_researcher = fields.Boolean()
    minutes = fields.Integer(metadata={"description": "minutes of use inside the period"})
    records = fields.Integer()
    id = fields.Integer(metadata={"description": "the usage record"})
    resource = fields.String(metadata={"description": "the resource's key"})
    start = fields.String(metadata={"description": "RFC 3339, UTC"})
    end = fields.String(metadata={"description": "RFC 3339, UTC"})
    minutes_in_period = fields.Integer()
    size_class = fields.String(
        allow_none=True, metadata={"enum": [*SIZE_CLASSES, None], "description": "on the day of the entry"}
    )
    facility = fields.String(metadata={"description": "the facility's key"})
    nominal_value_sek = fields.Integer(metadata={"description": "the acquisition value"})
    activity = fields.String(allow_none=True, metadata={"description": "the application's activity (4.2, 4.3, 4.4)"})
    in_service_since = fields.String(metadata={"description": "YYYY-MM-DD"})
    entry = fields.Integer(metadata={"description": "the register entry"})
    day = fields.String(metadata={"description": "YYYY-MM-DD"})
    kind = fields.String(metadata={"enum": list(REGISTER_KINDS)})
    org_number = fields.String(allow_none=True, metadata={"description": "NNNNNN-NNNN"})
    amount_sek = fields.Integer(allow_none=True)
    evidence = fields.String()


class IndicatorDetailSchema(Schema):
    indicator = fields.String(required=True, metadata={"enum": list(NAMES)})
    value = fields.Raw(
        required=True,
        metadata={
            "description": "the indicator's figure, as in GET /indicators",
            "oneOf": [
                {"type": "number"},
                {
                    "type": "object",
                    "properties": {s: {"type": "integer"} for s in SIZE_CLASSES},
                    "required": list(SIZE_CLASSES),
                    "additionalProperties": False,
                },
            ],
        },
    )
    items = fields.List(
        fields.Nested(IndicatorItemSchema),
        required=True,
        metadata={
            "description": "the rows behind the figure; their fields per indicator: "
            + "; ".join(f"{name}: {names}" for name, names in DETAIL_FIELDS.items())
        },
    )


# --- the indicator table with progress ----------------------------------------------------------


class TableSpanSchema(Schema):
    from_ = fields.String(required=True, data_key="from", attribute="from", metadata={"description": "YYYY-MM-DD"})
    to = fields.String(required=True, metadata={"description": "YYYY-MM-DD, inclusive"})


class FigureSchema(Schema):
    value = fields.Raw(required=True, metadata={"type": "number", "description": "the figure (whole but for FTE)"})
    share = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "value / target (1 = reached); null when the target is 0"},
    )


class PeriodFigureSchema(TableSpanSchema):
    value = fields.Raw(required=True, metadata={"type": "number", "description": "the figure of the reporting period"})
    cumulative = fields.Raw(
        required=True,
        metadata={"type": "number", "description": "the project's figure from its start to the period's end"},
    )


class TableRowSchema(Schema):
    key = fields.String(required=True, metadata={"enum": [i.key for i in TABLE]})
    code = fields.String(
        required=True, allow_none=True, metadata={"description": "RCO../RCR..; null: the programme's own indicator"}
    )
    result = fields.Boolean(required=True, metadata={"description": "a result indicator (else an output)"})
    unit = fields.String(required=True, metadata={"enum": list(UNITS)})
    unit_name = fields.String(required=True)
    target = fields.Raw(required=True, metadata={"type": "number"})
    title = fields.String(required=True)
    definition = fields.String(required=True, metadata={"description": "the application's definition in words"})
    source = fields.String(required=True, metadata={"enum": list(SOURCES)})
    so_far = fields.Nested(FigureSchema, required=True)
    last_period = fields.Nested(FigureSchema, required=True)
    periods = fields.List(fields.Nested(PeriodFigureSchema), required=True)


class IndicatorTableSchema(Schema):
    as_of = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    project = fields.Nested(TableSpanSchema, required=True)
    so_far = fields.Nested(TableSpanSchema, required=True, metadata={"description": "the project's start to as_of"})
    last_period = fields.Nested(
        TableSpanSchema,
        required=True,
        metadata={"description": "the last reporting period that has ended (or the current)"},
    )
    periods = fields.List(
        fields.Nested(TableSpanSchema), required=True, metadata={"description": "those begun by as_of"}
    )
    fte_hours = fields.Raw(
        required=True, metadata={"type": "number", "description": "the hours of a full-time year (RCO06)"}
    )
    indicators = fields.List(fields.Nested(TableRowSchema), required=True)
    enterprises_by_size = fields.Nested(
        CompaniesBySizeSchema,
        required=True,
        metadata={"description": "RCO01 so far by size class on the day of each enterprise's first support"},
    )


# --- the register ------------------------------------------------------------------------------


class RegisterEntrySchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": list(REGISTER_KINDS)})
    organisation = fields.String(required=True)
    org_number = fields.String(required=True, allow_none=True)
    day = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    evidence = fields.String(required=True, metadata={"description": "a note or a document reference"})
    amount_sek = fields.Integer(required=True, allow_none=True)
    replaces = fields.Integer(required=True, allow_none=True, metadata={"description": "the entry it corrects"})
    state = fields.String(
        required=True,
        metadata={"enum": ["counts", "replaced", "withdrawal"], "description": "whether the indicators count it"},
    )
