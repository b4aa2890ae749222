"""Bookings: create, list, read, change, approve, reject, cancel; a resource's free time."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Response, request
from flask_smorest import Blueprint

from facility.accounts import services as accounts
from facility.bookings import audit_review, services
from facility.bookings.schemas import (
    ApproveSchema,
    AuditEventSchema,
    AuditQuerySchema,
    AvailabilitySchema,
    BookingCreateSchema,
    BookingPatchSchema,
    BookingQuerySchema,
    BookingSchema,
    DecisionSchema,
    RejectSchema,
    WindowQuerySchema,
)
from facility.catalog import services as catalog
from facility.core.time import utcnow
from facility.http.auth import api_user

blp = Blueprint("bookings", __name__, url_prefix="/api/v1", description="Bookings, their approval, and free time")
DEFAULT_WINDOW = timedelta(days=14)


@blp.route("/bookings", methods=["POST"])
@blp.arguments(BookingCreateSchema)
@blp.response(201, BookingSchema)
def create_booking(data):
    """Book a resource: `confirmed`, or `pending` where the resource requires approval"""
    return services.request_booking(
        api_user(), data["resource"], data["start"], data["end"], data["purpose"], data["project"], batch=data["batch"]
    )


@blp.route("/bookings")
@blp.arguments(BookingQuerySchema, location="query")
@blp.response(200, BookingSchema(many=True))
def list_bookings(args):
    """Own bookings; a manager also sees all bookings of the facilities they manage"""
    flt = services.BookingFilter(
        mine=args["mine"],
        resource=args.get("resource"),
        facility=args.get("facility"),
        start=args.get("from_"),
        end=args.get("to"),
        status=args.get("status"),
    )
    return services.list_bookings(api_user(), flt)


@blp.route("/bookings/<int:booking_id>")
@blp.response(200, BookingSchema)
def get_booking(booking_id):
    """One booking (its owner or a manager of its facility)"""
    return services.get_booking(api_user(), booking_id)


@blp.route("/bookings/<int:booking_id>", methods=["PATCH"])
@blp.arguments(BookingPatchSchema)
@blp.response(200, BookingSchema)
def patch_booking(data, booking_id):
    """Move a booking or change its purpose; a new time is checked like a new booking"""
    return services.reschedule(
        api_user(),
        booking_id,
        start=data.get("start"),
        end=data.get("end"),
        purpose=data.get("purpose"),
        reason=data.get("reason", ""),
    )


@blp.route("/bookings/<int:booking_id>/approve", methods=["POST"])
@blp.arguments(ApproveSchema)
@blp.response(200, BookingSchema)
def approve_booking(data, booking_id):
    """Confirm a pending booking (a manager of its facility; a reason at a GMP facility); with
    `password`, a GMP approval is electronically signed"""
    signed = "password" in data
    if signed:
        accounts.check_signer(api_user(), data["password"], request.remote_addr or "unknown")
    return services.approve(api_user(), booking_id, data["reason"], signed=signed)


@blp.route("/bookings/<int:booking_id>/reject", methods=["POST"])
@blp.arguments(RejectSchema)
@blp.response(200, BookingSchema)
def reject_booking(data, booking_id):
    """Reject a pending booking, with a reason"""
    return services.reject(api_user(), booking_id, data["reason"])


@blp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@blp.arguments(DecisionSchema)
@blp.response(200, BookingSchema)
def cancel_booking(data, booking_id):
    """Cancel a booking; its slot is free again at once"""
    return services.cancel(api_user(), booking_id, data["reason"])


@blp.route("/resources/<key>/availability")
@blp.arguments(WindowQuerySchema, location="query")
@blp.response(200, AvailabilitySchema)
def get_availability(args, key):
    """Busy time of a resource, which names nobody, and the free time where a booking may go (default: the next 14 days)"""
    resource = catalog.get_resource(key)
    start = args.get("from_") or utcnow().replace(second=0, microsecond=0)
    end = args.get("to") or start + DEFAULT_WINDOW
    result = services.availability(resource, start, end)
    zone = ZoneInfo(resource.facility.timezone)

    def local(instant):
        return instant.astimezone(zone).isoformat()

    def spans(intervals):
        return [{"start": local(s), "end": local(e)} for s, e in intervals]

    return {
        "resource": resource.key,
        "busy": [{"start": local(b.start), "end": local(b.end), "kind": b.kind} for b in result.busy],
        "free": spans(result.bookable.free),
        "starts": spans(result.bookable.starts),
        "ends": spans(result.bookable.ends),
    }


@blp.route("/audit-events")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditEventSchema(many=True))
@blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True)
def list_audit_events(args):
    """The audit trail of a period (managers: their facilities; admins: all): who, when, what,
    before and after, why, signature; format=csv for a download"""
    rows = audit_review.audit_events(api_user(), args.get("facility"), args.get("from_"), args.get("to"))
    if args["format"] == "csv":
        response = Response(audit_review.audit_csv(rows), content_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
        return response
    return rows
