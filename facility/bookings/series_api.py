"""Recurring series: preview, book, read, cancel, move, approve and reject (bookings/series.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from facility.bookings import series as series_service
from facility.bookings.series_schemas import (
    SeriesCreatedSchema,
    SeriesCreateSchema,
    SeriesDecisionSchema,
    SeriesMoveSchema,
    SeriesPreviewSchema,
    SeriesRejectSchema,
    SeriesSchema,
    SeriesScopeSchema,
)
from facility.http.api import Blueprint
from facility.http.auth import api_user

blp = Blueprint("series", __name__, url_prefix="/api/v1", description="Recurring booking series")


class SeriesView:
    """A series with its occurrences (and, when just booked, those left out), for the schemas."""

    def __init__(self, series, skipped: Optional[list] = None):
        self.series = series
        self.occurrences = series_service.occurrences(series)
        self.skipped = [planned_json(p, ZoneInfo(series.timezone)) for p in skipped or []]

    def __getattr__(self, name):
        return getattr(self.series, name)


def planned_json(planned, zone) -> dict:
    return {
        "index": planned.index,
        "start": planned.start.astimezone(zone).isoformat(),
        "end": planned.end.astimezone(zone).isoformat(),
        "ok": planned.ok,
        "violations": [{"code": v.code, "message": v.message, "field": v.field} for v in planned.violations],
    }


def _request(data) -> dict:
    return dict(end=data.get("end"), duration_minutes=data.get("duration_minutes"),
                project=data["project"], batch=data["batch"])  # fmt: skip


@blp.route("/series/preview", methods=["POST"])
@blp.arguments(SeriesCreateSchema)
@blp.response(200, SeriesPreviewSchema)
def preview_series(data):
    """Every occurrence a series would have, each with the rules it breaks (overlap included); writes nothing"""
    plan = series_service.preview_series(api_user(), data["resource"], data["rrule"], data["start"], **_request(data))
    return {
        "resource": plan.resource.key,
        "rrule": plan.rule,
        "timezone": plan.resource.facility.timezone,
        "accepted": len(plan.accepted),
        "refused": len(plan.refused),
        "occurrences": [planned_json(p, plan.zone) for p in plan.occurrences],
    }


@blp.route("/series", methods=["POST"])
@blp.arguments(SeriesCreateSchema)
@blp.response(201, SeriesCreatedSchema)
def create_series(data):
    """Book a recurring series: each occurrence a booking checked by the rules; on_conflict=skip
    books the accepted ones (the others listed in `skipped`), none books nothing if any is refused"""
    result = series_service.request_series(
        api_user(), data["resource"], data["rrule"], data["start"], purpose=data["purpose"],
        on_conflict=data["on_conflict"], **_request(data),
    )  # fmt: skip
    return SeriesView(result.series, result.skipped)


@blp.route("/series/<int:series_id>")
@blp.response(200, SeriesSchema)
def get_series(series_id):
    """A series with its occurrences (its owner, a manager of its facility, an admin)"""
    return SeriesView(series_service.get_series(api_user(), series_id))


@blp.route("/series/<int:series_id>/cancel", methods=["POST"])
@blp.arguments(SeriesScopeSchema)
@blp.response(200, SeriesSchema)
def cancel_series(data, series_id):
    """Cancel the whole series (scope=all) or one occurrence and the following ones (scope=following, from)"""
    user = api_user()
    series_service.cancel_series(user, series_id, scope=data["scope"], from_id=data.get("from_"), reason=data["reason"])
    return SeriesView(series_service.get_series(user, series_id))


@blp.route("/series/<int:series_id>/move", methods=["POST"])
@blp.arguments(SeriesMoveSchema)
@blp.response(200, SeriesSchema)
def move_series(data, series_id):
    """Move the whole series or one occurrence and the following ones by the same wall-clock shift; all or nothing"""
    user = api_user()
    series_service.move_series(
        user, series_id, timedelta(minutes=data["shift_minutes"]), scope=data["scope"], from_id=data.get("from_"),
        reason=data["reason"],
    )  # fmt: skip
    return SeriesView(series_service.get_series(user, series_id))


@blp.route("/series/<int:series_id>/approve", methods=["POST"])
@blp.arguments(SeriesDecisionSchema)
@blp.response(200, SeriesSchema)
def approve_series(data, series_id):
    """Confirm every pending occurrence at once (a manager of its facility; where the resource decides per series)"""
    user = api_user()
    series_service.approve_series(user, series_id, data["reason"])
    return SeriesView(series_service.get_series(user, series_id))


@blp.route("/series/<int:series_id>/reject", methods=["POST"])
@blp.arguments(SeriesRejectSchema)
@blp.response(200, SeriesSchema)
def reject_series(data, series_id):
    """Reject every pending occurrence at once, with a reason"""
    user = api_user()
    series_service.reject_series(user, series_id, data["reason"])
    return SeriesView(series_service.get_series(user, series_id))
