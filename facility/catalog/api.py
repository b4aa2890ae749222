"""GET facilities and resources."""

from __future__ import annotations

from facility.catalog import services as catalog
from facility.catalog.schemas import FacilitySchema, ResourceQuerySchema, ResourceSchema
from facility.http.api import Blueprint

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="Facilities and resources")


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
    facility = catalog.get_facility(args["facility"], "facility") if "facility" in args else None
    return catalog.list_resources(facility)


@blp.route("/resources/<key>")
@blp.response(200, ResourceSchema)
def get_resource(key):
    """One resource and its booking rules"""
    return catalog.get_resource(key)
