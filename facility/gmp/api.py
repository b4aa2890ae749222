"""The JSON API of the GMP records, under /api/v1: logbooks (JSON, CSV, PDF), their entries,
and the cleaning state of rooms and instruments. Thin callers of ``gmp.services``."""

from __future__ import annotations

from flask import request

from facility.accounts import services as accounts
from facility.core.time import utcnow
from facility.gmp import exports, services
from facility.gmp.schemas import (
    CleaningStatusSchema,
    EntryCreateSchema,
    EntrySchema,
    FacilityQuerySchema,
    ImpactQuerySchema,
    ImpactSchema,
    LogbookQuerySchema,
    LogbookSchema,
    PlanStatusSchema,
    RoomEntryCreateSchema,
    RoomEntrySchema,
    WithdrawalCreateSchema,
    WithdrawalSchema,
    impact_json,
    logbook_json,
    plans_json,
)
from facility.http.api import Blueprint
from facility.http.auth import api_user
from facility.http.downloads import download

blp = Blueprint("gmp", __name__, url_prefix="/api/v1", description="GMP records: logbooks, cleaning and release")


@blp.route("/resources/<key>/logbook")
@blp.arguments(LogbookQuerySchema, location="query")
@blp.response(200, LogbookSchema, description="The logbook in order of time (format=json, the default)")
@blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True)
@blp.alt_response(200, schema={"type": "string", "format": "binary"}, content_type="application/pdf", success=True)
def get_logbook(args, key):
    """A resource's logbook: uses, cleanings, line clearances, maintenance, calibrations, repairs,
    deviations and status changes, with corrections (managers of its facility); CSV or PDF with format="""
    book = services.logbook_for_days(api_user(), key, args.get("from_"), args.get("to"))
    if args["format"] == "json":
        return logbook_json(book)
    if args["format"] == "csv":
        body, content_type = exports.to_csv(book), "text/csv; charset=utf-8"
    else:
        body, content_type = exports.to_pdf(book), "application/pdf"
    return download(body, content_type, exports.filename(book, args["format"]))


@blp.route("/resources/<key>/logbook", methods=["POST"])
@blp.arguments(EntryCreateSchema)
@blp.response(201, EntrySchema)
def add_entry(data, key):
    """Write an entry (a correction names the entry it corrects and why; a verification names
    the cleaning it verifies, by a second person, and is signed)"""
    password = data.pop("password")
    signed = data["kind"] == "verification"
    if signed:
        services.check_writer(api_user(), key, data["kind"], data["corrects"])
        accounts.check_signer(api_user(), password, request.remote_addr or "unknown")
    return services.record_entry(api_user(), key, **data, signed=signed)


@blp.route("/resources/<key>/cleaning")
@blp.response(200, CleaningStatusSchema)
def cleaning_status(key):
    """Where a resource stands: in use, to be cleaned, to be verified or released (any user)"""
    return services.resource_cleaning_status(api_user(), key)


@blp.route("/cleaning")
@blp.arguments(FacilityQuerySchema, location="query")
@blp.response(200, CleaningStatusSchema(many=True))
def waiting_for_cleaning(args):
    """Rooms and instruments waiting for cleaning or its verification (managers, their facilities)"""
    return services.waiting_for_cleaning(api_user(), args.get("facility"))


@blp.route("/resources/<key>/batches")
@blp.arguments(ImpactQuerySchema, location="query")
@blp.response(200, ImpactSchema, description="Products and batches, and each use behind them (format=json)")
@blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True)
def batches(args, key):
    """Which batches used a resource between two days, or since its last passed calibration: the
    impact assessment when a calibration fails (managers of its facility); CSV with format=csv"""
    impact = services.batches_using(
        api_user(),
        key,
        args.get("from_"),
        args.get("to"),
        since_calibration=args.get("since") == "last-passed-calibration",
    )
    if args["format"] == "json":
        return impact_json(impact)
    return download(exports.impact_csv(impact), "text/csv; charset=utf-8", exports.impact_filename(impact))


@blp.route("/resources/<key>/plans")
@blp.response(200, PlanStatusSchema(many=True))
def plans(key):
    """A resource's maintenance and calibration plans: the last record, what is due, and the
    blackout a due task proposes (managers of its facility)"""
    return plans_json(services.resource_plans(api_user(), key), utcnow())


@blp.route("/bookings/<int:booking_id>/people")
@blp.response(200, RoomEntrySchema(many=True))
def room_entries(booking_id):
    """Who entered the room with a booking besides its owner (its owner, managers of its facility)"""
    return services.room_entries(api_user(), booking_id)


@blp.route("/bookings/<int:booking_id>/people", methods=["POST"])
@blp.arguments(RoomEntryCreateSchema)
@blp.response(201, RoomEntrySchema)
def enter_room(data, booking_id):
    """A person enters the room of a checked-in booking: room for one more (occupancy_full), and
    valid gowning or a qualified supervisor in the room (supervisor_required; then supervised)"""
    return services.enter_room(api_user(), booking_id, data["user"], data["supervisor"])


@blp.route("/room-entries/<int:entry_id>/leave", methods=["POST"])
@blp.response(200, RoomEntrySchema)
def leave_room(entry_id):
    """A person leaves the room"""
    return services.leave_room(api_user(), entry_id)


@blp.route("/qualification-withdrawals", methods=["POST"])
@blp.arguments(WithdrawalCreateSchema)
@blp.response(201, WithdrawalSchema)
def withdraw_qualification(data):
    """Withdraw a person's qualification (a gowning qualification), with the reason (a manager of
    a facility that requires it); granting it again lifts the withdrawal"""
    return services.withdraw_qualification(api_user(), data["user"], data["qualification"], data["reason"])
