"""Bundles: a suite with its equipment (several resources) booked for the same time, all or nothing."""

from __future__ import annotations

from facility.bookings import bundles, services
from facility.bookings.api import signed_approval
from facility.bookings.schemas import (
    ApproveSchema,
    BundleCreateSchema,
    BundlePatchSchema,
    BundleSchema,
    DecisionSchema,
    RejectSchema,
)
from facility.http.api import Blueprint
from facility.http.auth import api_user

blp = Blueprint(
    "bundles", __name__, url_prefix="/api/v1", description="Bundles: a suite booked with its equipment, all or nothing"
)


@blp.route("/bundles", methods=["POST"])
@blp.arguments(BundleCreateSchema)
@blp.response(201, BundleSchema)
def create_bundle(data):
    """Book several resources for the same time, all or nothing: a suite of the catalogue
    (`bundle`) or a list of resource keys (`resources`); every member is checked by its own
    rules, and the errors name the member (`field`: `<resource>.<field>`); a manager of every
    facility concerned may book for a user (`user`)"""
    actor = api_user()
    owner = services.person_to_book_for(actor, data["user"]) if data.get("user") else None
    return bundles.request_bundle(
        actor,
        data.get("resources"),
        data.get("bundle"),
        start=data["start"],
        end=data["end"],
        purpose=data["purpose"],
        project=data["project"],
        batch=data["batch"],
        for_user=owner,
    )


@blp.route("/bundles/<int:bundle_id>")
@blp.response(200, BundleSchema)
def get_bundle(bundle_id):
    """One bundle with its bookings (its owner, a manager of a facility concerned, an administrator)"""
    return bundles.get_bundle(api_user(), bundle_id)


@blp.route("/bundles/<int:bundle_id>", methods=["PATCH"])
@blp.arguments(BundlePatchSchema)
@blp.response(200, BundleSchema)
def patch_bundle(data, bundle_id):
    """Move every booking of a bundle to a new time, all or none; each is checked like a new
    booking of its resource, and where approval is needed the bundle may go back to `pending`"""
    return bundles.reschedule_bundle(
        api_user(), bundle_id, start=data["start"], end=data["end"], reason=data.get("reason", "")
    )


@blp.route("/bundles/<int:bundle_id>/approve", methods=["POST"])
@blp.arguments(ApproveSchema)
@blp.response(200, BundleSchema)
def approve_bundle(data, bundle_id):
    """Confirm every booking of a pending bundle at once (a manager of each facility concerned;
    a reason at a GMP facility); with `password`, GMP approvals are electronically signed"""
    return bundles.approve_bundle(api_user(), bundle_id, data["reason"], signed=signed_approval(data))


@blp.route("/bundles/<int:bundle_id>/reject", methods=["POST"])
@blp.arguments(RejectSchema)
@blp.response(200, BundleSchema)
def reject_bundle(data, bundle_id):
    """Reject every booking of a pending bundle, with a reason"""
    return bundles.reject_bundle(api_user(), bundle_id, data["reason"])


@blp.route("/bundles/<int:bundle_id>/cancel", methods=["POST"])
@blp.arguments(DecisionSchema)
@blp.response(200, BundleSchema)
def cancel_bundle(data, bundle_id):
    """Cancel every booking of a bundle; their slots are free again at once"""
    return bundles.cancel_bundle(api_user(), bundle_id, data["reason"])
