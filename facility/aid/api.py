"""The JSON API of the state-aid ledger, under /api/v1 (lab managers and admins)."""

from __future__ import annotations

from marshmallow import fields, validate

from facility.aid import services
from facility.aid.schemas import LedgerSchema, StatementSchema
from facility.http.api import Blueprint
from facility.http.auth import api_user
from facility.http.downloads import download
from facility.http.schemas import StrictSchema

blp = Blueprint("aid", __name__, url_prefix="/api/v1", description="De minimis state aid per company")

PERIOD_HELP = (
    "YYYY-MM-DD or RFC 3339; 'to' is inclusive as a date and defaults to today, 'from' to the start "
    "of the three years that end with 'to'"
)


class LedgerQuerySchema(StrictSchema):
    from_ = fields.String(data_key="from", metadata={"description": PERIOD_HELP})
    to = fields.String(metadata={"description": PERIOD_HELP})
    organisation = fields.String(metadata={"description": "one organisation's key"})


class StatementQuerySchema(StrictSchema):
    from_ = fields.String(data_key="from", metadata={"description": PERIOD_HELP})
    to = fields.String(metadata={"description": PERIOD_HELP})
    format = fields.String(load_default="json", validate=validate.OneOf(services.STATEMENT_FORMATS))


@blp.route("/state-aid")
@blp.arguments(LedgerQuerySchema, location="query")
@blp.response(
    200,
    LedgerSchema,
    description="Per company: hours and aid in the period, and the rolling "
    "three-year total against the de minimis ceiling",
)
def ledger(args):
    """The de minimis ledger: subsidised value = used hours x (full cost - charged rate), per company"""
    actor = api_user()
    services.require_manager(actor)
    period = services.period_of(args.get("from_"), args.get("to"))
    return services.ledger(actor, period, args.get("organisation"))


@blp.route("/state-aid/organisations/<key>/statement")
@blp.arguments(StatementQuerySchema, location="query")
@blp.response(
    200,
    StatementSchema,
    description=(
        "The statement of de minimis aid of one company for a period: JSON (format=json, the default); format=text "
        "(text/plain) the statement to sign, format=csv (text/csv) one row per resource and rate, then the total and "
        "the three years, with the columns " + ", ".join(services.CSV_COLUMNS) + "; both as a download "
        "(Content-Disposition: attachment)"
    ),
)
@blp.alt_response(200, schema={"type": "string"}, content_type="text/plain", success=True)
@blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True)
def statement(args, key):
    """The statement of de minimis aid per company and period, to sign (format=text) or to file (format=csv)"""
    actor = api_user()
    services.require_manager(actor)
    period = services.period_of(args.get("from_"), args.get("to"))
    data = services.statement(actor, key, period)
    if args["format"] == "json":
        return data
    body, content_type, filename = services.render_statement(data, args["format"])
    return download(body, content_type, filename)
