"""Bookings: create, list, read, change, approve, reject, cancel; a resource's free time."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Response, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _

from facility.accounts import services as accounts
from facility.bookings import audit_review, services
from facility.bookings import calendar as calendar_service
from facility.bookings.pages.words import BLACKOUT_KIND_WORDS, STATUS_WORDS
from facility.bookings.schemas import (
    ApproveSchema,
    AuditEventSchema,
    AuditQuerySchema,
    AvailabilitySchema,
    BlackoutChangedSchema,
    BlackoutPatchSchema,
    BlackoutQuerySchema,
    BlackoutRemoveSchema,
    BlackoutSchema,
    BookingCreateSchema,
    BookingPatchSchema,
    BookingQuerySchema,
    BookingSchema,
    CalendarQuerySchema,
    CalendarSchema,
    DecisionSchema,
    RejectSchema,
    WindowQuerySchema,
)
from facility.catalog import services as catalog
from facility.core.time import utcnow
from facility.http.api import Blueprint
from facility.http.auth import api_user
from facility.http.downloads import download

blp = Blueprint("bookings", __name__, url_prefix="/api/v1", description="Bookings, their approval, and free time")
DEFAULT_WINDOW = timedelta(days=14)
CALENDAR_WINDOW = timedelta(days=7)


@blp.route("/bookings", methods=["POST"])
@blp.arguments(BookingCreateSchema)
@blp.response(201, BookingSchema)
def create_booking(data):
    """Book a resource: `confirmed`, or `pending` where the resource requires approval; a manager
    may book for a user (`user`)"""
    actor = api_user()
    owner = services.person_to_book_for(actor, data["user"]) if data.get("user") else None
    return services.request_booking(
        actor, data["resource"], data["start"], data["end"], data["purpose"], data["project"], batch=data["batch"],
        for_user=owner,
    )  # fmt: skip


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
    return services.approve(api_user(), booking_id, data["reason"], signed=signed_approval(data))


def signed_approval(data) -> bool:
    """Whether an approval is electronically signed: with ``password``, checked for the caller."""
    if "password" not in data:
        return False
    accounts.check_signer(api_user(), data["password"], request.remote_addr or "unknown")
    return True


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


@blp.route("/calendar")
@blp.arguments(CalendarQuerySchema, location="query")
@blp.response(200, CalendarSchema)
def get_calendar(args):
    """What the interactive calendar draws of a facility or one resource (default: the next 7 days):
    bookings (the caller's own and, for a facility's managers, everyone's in detail; others only
    as "Booked"), changeover, blackouts, closed days with their names, and the free time where a
    booking may lie (as in availability)"""
    start = args.get("from_") or utcnow().replace(second=0, microsecond=0)
    end = args.get("to") or start + CALENDAR_WINDOW
    data = calendar_service.calendar_data(
        api_user(), args.get("facility"), args.get("resource"), start, end, with_free=args["free"]
    )
    return calendar_json(data)


def calendar_json(data: calendar_service.CalendarData) -> Response:
    """The calendar's events, titled in the caller's language, times in the facility's zone: built
    as plain JSON (each word translated once), not through the schema, for a month of thousands."""
    zone = ZoneInfo(data.facility.timezone)
    words = CalendarWords()

    shown: dict = {}

    def local(instant):
        text = shown.get(instant)  # the ends of free time are often the starts of bookings
        if text is None:
            text = shown[instant] = instant.astimezone(zone).isoformat()
        return text

    def event(kind, resource, start, end, title, status=None, booking=None, movable=False):
        return dict(kind=kind, resource=resource, start=local(start), end=local(end), title=title,
                    status=status, booking=booking, movable=movable)  # fmt: skip

    events = [
        event(
            "own" if b.own else ("booking" if b.status != "pending" else "pending"),
            b.resource,
            b.start,
            b.end,
            words.booking(b),
            b.status,
            b.id if b.details else None,
            b.movable,
        )
        for b in data.bookings
    ]
    events += [event("changeover", key, s, e, words.changeover) for key, s, e in data.changeovers]
    events += [event("blackout", b.resource, b.start, b.end, words.blackout(b)) for b in data.blackouts]
    events += [event("free", key, s, e, words.free) for key, spans in data.free.items() for s, e in spans]
    language = getattr(get_locale(), "language", None) or "en"
    return jsonify(
        {
            "facility": data.facility.key,
            "timezone": data.facility.timezone,
            "now": local(data.now),
            "from": local(data.window[0]),
            "to": local(data.window[1]),
            "resources": [
                {
                    "key": r.key,
                    "name": r.name,
                    "slot_minutes": r.slot_minutes,
                    "min_minutes": r.min_minutes,
                    "max_minutes": r.max_minutes,
                    "status": r.status,
                }  # fmt: skip
                for r in data.resources
            ],
            "events": events,
            "closed": [{"date": d.isoformat(), "name": name} for d, name in data.closed_names(language, _("Closed"))],
        }
    )


class CalendarWords:
    """The calendar's words in the caller's language, each looked up once."""

    def __init__(self):
        self.changeover, self.free = _("Changeover (cleaning)"), _("Free")
        self.booked, self.pending, self.yours = _("Booked"), _("Pending"), _("Your booking")
        self.status = {code: str(word) for code, word in STATUS_WORDS.items()}
        self.kind = {code: str(word) for code, word in BLACKOUT_KIND_WORDS.items()}

    def booking(self, b: calendar_service.CalendarBooking) -> str:
        if not b.details:
            return self.pending if b.status == "pending" else self.booked
        text = f"{self.yours if b.own else b.owner} ({self.status.get(b.status, b.status)})"
        return f"{text}: {b.purpose}" if b.purpose else text

    def blackout(self, b: calendar_service.CalendarBlackout) -> str:
        title = _("Closed: %(kind)s", kind=self.kind.get(b.kind, b.kind))
        return f"{title} — {b.reason}" if b.reason else title


@blp.route("/blackouts")
@blp.arguments(BlackoutQuerySchema, location="query")
@blp.response(200, BlackoutSchema(many=True))
def list_blackouts(args):
    """Blackouts not yet over at the facilities the caller manages (optionally one facility)"""
    return services.upcoming_blackouts_of(api_user(), args.get("facility"))


class BlackoutChanged:
    """A changed blackout and the ids of the bookings it now hits, for BlackoutChangedSchema."""

    def __init__(self, blackout, colliding: list[int]):
        self.blackout, self.colliding = blackout, colliding

    def __getattr__(self, name):
        return getattr(self.blackout, name)


@blp.route("/blackouts/<int:blackout_id>", methods=["PATCH"])
@blp.arguments(BlackoutPatchSchema)
@blp.response(200, BlackoutChangedSchema)
def patch_blackout(data, blackout_id):
    """Change a blackout's time, kind or reason (audited); answers with the bookings it now hits"""
    blackout, colliding = services.update_blackout(api_user(), blackout_id, **data)
    return BlackoutChanged(blackout, [b.id for b in colliding])


@blp.route("/blackouts/<int:blackout_id>", methods=["DELETE"])
@blp.arguments(BlackoutRemoveSchema, location="query")
@blp.response(204)
def delete_blackout(args, blackout_id):
    """Remove a blackout: the time is bookable again; `reason` is kept in the audit trail"""
    services.remove_blackout(api_user(), blackout_id, args["reason"])


@blp.route("/audit-events")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditEventSchema(many=True))
@blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True)
def list_audit_events(args):
    """The audit trail of a period (managers: their facilities; admins: all): who, when, what,
    before and after, why, signature; format=csv for a download"""
    rows = audit_review.audit_events(api_user(), args.get("facility"), args.get("from_"), args.get("to"))
    if args["format"] == "csv":
        return download(audit_review.audit_csv(rows), "text/csv; charset=utf-8", "audit-trail.csv")
    return rows
