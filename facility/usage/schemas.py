"""The JSON shapes of the monthly report and the indicators (API.md), for the OpenAPI document
and to dump the answers. They describe the dicts of ``reports.py`` and ``indicators.py`` field
for field: every field is always present (``required``), ``nullable`` where it may be null."""

from __future__ import annotations

from marshmallow import Schema, fields

from facility.core.vocabulary import ORGANISATION_KINDS, SIZE_CLASSES
from facility.usage.indicators import INDICATORS


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
    users_of_infrastructure = _int("distinct users of resources funded by the programme")
    researcher_fte = fields.Float(
        required=True,
        metadata={"description": "researchers' hours on funded resources / (FTE hours x years of the period)"},
    )
    companies_supported = fields.Nested(
        CompaniesBySizeSchema,
        required=True,
        metadata={"description": "distinct companies with recorded use, by size class"},
    )
    companies_collaborating_with_research = _int("companies in a project with a university or hospital")
    equipment_nominal_value_sek = _int("nominal value of the funded equipment in service")


DETAIL_FIELDS = {
    "users_of_infrastructure": "user, name, organisation, is_researcher, minutes, records",
    "researcher_fte": "id, resource, user, organisation, start, end, minutes_in_period",
    "companies_supported": "organisation, name, size_class, users, minutes",
    "companies_collaborating_with_research": "organisation, name, size_class, projects",
    "equipment_nominal_value_sek": "resource, name, facility, nominal_value_sek",
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
    size_class = fields.String(allow_none=True, metadata={"enum": [*SIZE_CLASSES, None]})
    users = fields.Integer()
    projects = fields.List(fields.String(), metadata={"description": "keys of the projects"})
    facility = fields.String(metadata={"description": "the facility's key"})
    nominal_value_sek = fields.Integer()


class IndicatorDetailSchema(Schema):
    indicator = fields.String(required=True, metadata={"enum": list(INDICATORS)})
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
