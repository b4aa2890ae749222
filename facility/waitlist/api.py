"""The waiting list: wait for taken time, see the list, accept, decline or withdraw."""

from __future__ import annotations

from facility.http.api import Blueprint
from facility.http.auth import api_user
from facility.waitlist import services
from facility.waitlist.schemas import WaitCreateSchema, WaitEntrySchema, WaitQuerySchema

blp = Blueprint("waitlist", __name__, url_prefix="/api/v1", description="The waiting list for taken time")


@blp.route("/waitlist", methods=["POST"])
@blp.arguments(WaitCreateSchema)
@blp.response(201, WaitEntrySchema)
def join_waitlist(data):
    """Wait for a taken slot (`start`, `end`) or for any slot of `hours` between `from` and `to`.
    422 `wait_in_past`, `wait_beyond_horizon`, `slot_free` (book it instead), `already_waiting`,
    and any rule the wish could never meet (`not_qualified`, `too_long`, ...)"""
    minutes = round(data["hours"] * 60) if "hours" in data else None
    entry = services.join(
        api_user(),
        data["resource"],
        data.get("start") or data.get("from_"),
        data.get("end") or data.get("to"),
        minutes=minutes,
        purpose=data["purpose"],
        project=data["project"],
        batch=data["batch"],
    )
    return services.get_entry(api_user(), entry.id)


@blp.route("/waitlist")
@blp.arguments(WaitQuerySchema, location="query")
@blp.response(200, WaitEntrySchema(many=True))
def list_waitlist(args):
    """The caller's own entries with their place in line; a manager gives `resource` or
    `facility` to see everyone's there"""
    return services.list_entries(
        api_user(), resource_key=args.get("resource"), facility_key=args.get("facility"), open_only=args["open"]
    )


@blp.route("/waitlist/<int:entry_id>/accept", methods=["POST"])
@blp.response(200, WaitEntrySchema)
def accept_offer(entry_id):
    """Take the offered time: it becomes a booking, confirmed or pending where approval is needed"""
    services.accept(api_user(), entry_id)
    return services.get_entry(api_user(), entry_id)


@blp.route("/waitlist/<int:entry_id>/decline", methods=["POST"])
@blp.response(200, WaitEntrySchema)
def decline_offer(entry_id):
    """Give the offered time back; it goes to the next in line"""
    services.decline(api_user(), entry_id)
    return services.get_entry(api_user(), entry_id)


@blp.route("/waitlist/<int:entry_id>/withdraw", methods=["POST"])
@blp.response(200, WaitEntrySchema)
def withdraw_wait(entry_id):
    """Stop waiting"""
    services.withdraw(api_user(), entry_id)
    return services.get_entry(api_user(), entry_id)
