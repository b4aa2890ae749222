"""The JSON API of usage, reports, indicators and projects (API.md), under /api/v1."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from facility.core.config import default_zone
from facility.http.api import Blueprint
from facility.http.auth import api_user
from facility.http.downloads import download
from facility.http.fields import AwareDateTime, LocalDateTime, id_range
from facility.http.localtime import local_today
from facility.http.schemas import StrictSchema
from facility.usage import indicators as indicator_queries
from facility.usage import projects, register, reports, services, table
from facility.usage.models import PROJECT_STAGES, REGISTER_KINDS
from facility.usage.schemas import (
    IndicatorDetailSchema,
    IndicatorsSchema,
    IndicatorTableSchema,
    MonthlyReportSchema,
    RegisterEntrySchema,
)

blp = Blueprint("usage", __name__, url_prefix="/api/v1", description="Usage records, reports and indicators")


def record_zone(record) -> str:
    return record.resource.facility.timezone


class UsageSchema(Schema):
    id = fields.Integer()
    booking = fields.Integer(attribute="booking_id", allow_none=True)
    resource = fields.Function(lambda r: r.resource.key, metadata={"type": "string"})
    user = fields.Function(lambda r: r.user.email, metadata={"type": "string"})
    organisation = fields.Function(lambda r: r.organisation.key, metadata={"type": "string"})
    start = LocalDateTime(record_zone, attribute="start_at")
    end = LocalDateTime(record_zone, attribute="end_at", allow_none=True)
    minutes = fields.Integer(allow_none=True)
    source = fields.String(metadata={"enum": ["booking", "walk-up", "manual"]})
    product = fields.String(allow_none=True)
    batch = fields.String(allow_none=True)
    flagged = fields.Boolean(metadata={"description": "closed by the system: checked in, never checked out"})


class UsageQuerySchema(StrictSchema):
    facility = fields.String(required=True)
    from_ = AwareDateTime(data_key="from")
    to = AwareDateTime()


class UsageCreateSchema(StrictSchema):
    resource = fields.String(required=True, validate=validate.Length(min=1))
    user = fields.String(required=True, validate=validate.Length(min=1, max=254))
    start = AwareDateTime(required=True)
    end = AwareDateTime(required=True)
    reason = fields.String(required=True, validate=validate.Length(max=2000))
    corrects = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=id_range(),
        metadata={"description": "id of the record this one corrects (it is kept, superseded)"},
    )
    product = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    batch = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "batch or lot: required with the product at a GMP facility"},
    )


class ReportQuerySchema(StrictSchema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM"})
    facility = fields.String()
    format = fields.String(load_default="json", validate=validate.OneOf(reports.FORMATS))


class PeriodQuerySchema(StrictSchema):
    from_ = fields.String(data_key="from", required=True, metadata={"description": "YYYY-MM-DD or RFC 3339"})
    to = fields.String(required=True, metadata={"description": "YYYY-MM-DD (inclusive) or RFC 3339"})


class ProjectSchema(Schema):
    key = fields.String()
    name = fields.String()
    stage = fields.String(metadata={"enum": list(PROJECT_STAGES)})
    organisations = fields.Function(
        lambda p: [o.key for o in p.organisations], metadata={"type": "array", "items": {"type": "string"}}
    )


class ProjectCreateSchema(StrictSchema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    stage = fields.String(load_default="research", validate=validate.OneOf(PROJECT_STAGES))
    organisations = fields.List(fields.String(), load_default=list)


@blp.route("/bookings/<int:booking_id>/check-in", methods=["POST"])
@blp.response(200, UsageSchema)
def check_in(booking_id):
    """Check in to a confirmed booking (its owner or a manager), from 15 minutes before its start"""
    return services.check_in(api_user(), booking_id)


@blp.route("/bookings/<int:booking_id>/check-out", methods=["POST"])
@blp.response(200, UsageSchema)
def check_out(booking_id):
    """Check out: closes the usage record; the booking is completed"""
    return services.check_out(api_user(), booking_id)


@blp.route("/usage")
@blp.arguments(UsageQuerySchema, location="query")
@blp.response(200, UsageSchema(many=True))
def list_usage(args):
    """Usage records of a facility (its managers, admins)"""
    return services.list_usage(api_user(), args["facility"], args.get("from_"), args.get("to"))


@blp.route("/usage", methods=["POST"])
@blp.arguments(UsageCreateSchema)
@blp.response(201, UsageSchema)
def record_usage(data):
    """Record a walk-up use, or correct a record (`corrects`), with a reason (a manager of the facility)"""
    return services.record_usage(
        api_user(),
        data["resource"],
        data["user"],
        data["start"],
        data["end"],
        data["reason"],
        corrects=data["corrects"],
        product=data["product"],
        batch=data["batch"],
    )


TABLE_HELP = (
    "format=csv (text/csv) or xlsx (an Excel workbook): a download (Content-Disposition: attachment), "
    "one row per resource and per organisation with the columns " + ", ".join(reports.TABLE_COLUMNS)
)


@blp.route("/reports/monthly")
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(
    200, MonthlyReportSchema, description="The monthly usage report: JSON (format=json, the default); " + TABLE_HELP
)
@blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True)
@blp.alt_response(
    200,
    schema={"type": "string", "format": "binary"},
    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    success=True,
)
def monthly_report(args):
    """Per resource and per organisation: booked and used hours, utilisation, bookings, cancellations, no-shows, users"""
    report = reports.monthly_report(api_user(), args["month"], args.get("facility"))
    if args["format"] == "json":
        return report
    body, content_type, filename = reports.render(report, args["format"])
    return download(body, content_type, filename)


@blp.route("/indicators")
@blp.arguments(PeriodQuerySchema, location="query")
@blp.response(200, IndicatorsSchema, description="The programme's indicators for the period")
def indicators(args):
    """The funder's indicators for a period (admins)"""
    indicator_queries.require_admin(api_user())
    return indicator_queries.indicators(indicator_queries.parse_period(args["from_"], args["to"]))


class TableQuerySchema(StrictSchema):
    as_of = fields.String(metadata={"description": "YYYY-MM-DD; today (the service's zone) when left out"})
    format = fields.String(load_default="json", validate=validate.OneOf(table.FORMATS))


class RegisterQuerySchema(StrictSchema):
    kind = fields.String(validate=validate.OneOf(REGISTER_KINDS))


class RegisterCreateSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(REGISTER_KINDS))
    organisation = fields.String(required=True, validate=validate.Length(min=1, max=64))
    day = fields.Date(required=True, metadata={"description": "YYYY-MM-DD: when it happened"})
    evidence = fields.String(
        required=True,
        validate=validate.Length(min=1, max=register.MAX_EVIDENCE),
        metadata={"description": "a note or a document reference"},
    )
    amount_sek = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0, max=10**13),
        metadata={"description": "private_investment only: the amount in SEK"},
    )
    replaces = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=id_range(),
        metadata={"description": "id of the entry this one corrects (it is kept, and no longer counts)"},
    )


class WithdrawSchema(StrictSchema):
    evidence = fields.String(
        required=True,
        validate=validate.Length(min=1, max=register.MAX_EVIDENCE),
        metadata={"description": "why it no longer counts"},
    )


@blp.route("/indicators/table")
@blp.arguments(TableQuerySchema, location="query")
@blp.response(
    200,
    IndicatorTableSchema,
    description="The application's table 1.7: JSON (format=json, the default); format=csv or xlsx: the table "
    "as a download, one row per indicator (and RCO01 by size class) with code, indicator, unit, target, "
    "the project so far, share of target, the last reporting period, each reporting period, source, definition",
)
@blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True)
@blp.alt_response(200, schema={"type": "string", "format": "binary"}, content_type=table.XLSX_TYPE, success=True)
def indicator_table(args):
    """All twelve indicators of the application with targets and progress, for the project so far and each reporting period (admins)"""
    indicator_queries.require_admin(api_user())
    progress = table.progress(table.parse_day(args.get("as_of"), local_today(default_zone())))
    if args["format"] == "json":
        return progress
    body, content_type, filename = table.render(progress, args["format"])
    return download(body, content_type, filename)


@blp.route("/indicator-register")
@blp.arguments(RegisterQuerySchema, location="query")
@blp.response(200, RegisterEntrySchema(many=True))
def list_register(args):
    """The project office's register behind the indicators, corrected and withdrawn entries too (admins)"""
    replaced = register.replaced_ids()
    return [register.describe(e, replaced) for e in register.list_entries(api_user(), args.get("kind"))]


@blp.route("/indicator-register", methods=["POST"])
@blp.arguments(RegisterCreateSchema)
@blp.response(201, RegisterEntrySchema)
def add_register_entry(data):
    """Register a participation, grant, cooperation, development, innovation, private investment or partner, with its evidence; or correct an entry (`replaces`) (admins)"""
    entry = register.add_entry(
        api_user(),
        data["kind"],
        data["organisation"],
        data["day"],
        data["evidence"],
        amount_sek=data["amount_sek"],
        replaces=data["replaces"],
    )
    return register.describe(entry)


@blp.route("/indicator-register/<int:entry_id>/withdraw", methods=["POST"])
@blp.arguments(WithdrawSchema)
@blp.response(201, RegisterEntrySchema)
def withdraw_register_entry(data, entry_id):
    """Withdraw an entry: a new entry says why, and the old one no longer counts (admins)"""
    return register.describe(register.withdraw_entry(api_user(), entry_id, data["evidence"]))


@blp.route("/indicators/<name>")
@blp.arguments(PeriodQuerySchema, location="query")
@blp.response(
    200, IndicatorDetailSchema, description="One indicator with the users, companies, records or resources behind it"
)
def indicator_detail(args, name):
    """What is behind one indicator, to defend it to the funder (admins)"""
    indicator_queries.require_admin(api_user())
    period = indicator_queries.parse_period(args["from_"], args["to"])
    items = indicator_queries.detail(name, period)
    return {"indicator": name, "value": indicator_queries.value_of(name, period), "items": items}


@blp.route("/projects")
@blp.response(200, ProjectSchema(many=True))
def list_projects():
    """The projects the caller may see (a scientist: their organisation's; managers and admins: all)"""
    return projects.list_projects(api_user())


@blp.route("/projects", methods=["POST"])
@blp.arguments(ProjectCreateSchema)
@blp.response(201, ProjectSchema)
def create_project(data):
    """Create a project (managers and admins)"""
    return projects.create_project(api_user(), data["key"], data["name"], data["stage"], data["organisations"])
