"""GET facilities, resources and a resource's availability."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_smorest import Blueprint

from facility.bookings import services as bookings
from facility.catalog import services as catalog
from facility.core.database import utcnow
from facility.http.schemas import (
    AvailabilitySchema,
    FacilitySchema,
    ResourceQuerySchema,
    ResourceSchema,
    WindowQuerySchema,
)

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="Facilities, resources and free time")
DEFAULT_WINDOW = timedelta(days=14)


@blp.route("/facilities")
@blp.response(200, FacilitySchema(many=True))
def list_facilities():
    """The three facilities"""
    return catalog.list_facilities()


@blp.route("/resources")
@blp.arguments(ResourceQuerySchema, location="query")
@blp.response(200, ResourceSchema(many=True))
def list_resources(args):
    """Bookable resources, optionally of one facility"""
    facility = bookings.get_facility(args["facility"], "facility") if "facility" in args else None
    return catalog.list_resources(facility)


@blp.route("/resources/<key>")
@blp.response(200, ResourceSchema)
def get_resource(key):
    """One resource and its booking rules"""
    return bookings.get_resource(key)


@blp.route("/resources/<key>/availability")
@blp.arguments(WindowQuerySchema, location="query")
@blp.response(200, AvailabilitySchema)
def get_availability(args, key):
    """Busy time of a resource, which names nobody, and the free time where a booking may go (default: the next 14 days)"""
    resource = bookings.get_resource(key)
    start = args.get("from_") or utcnow().replace(second=0, microsecond=0)
    end = args.get("to") or start + DEFAULT_WINDOW
    result = bookings.availability(resource, start, end)
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
