"""The accounts in the JSON API: the caller's signed-in browser sessions (and ending them), and the
organisations as the funder knows them (the project office's)."""

from __future__ import annotations

from facility.accounts import organisations, sessions
from facility.accounts.cookie import session_secret
from facility.accounts.schemas import (
    OrganisationSchema,
    OrganisationUpdateSchema,
    SessionSchema,
    SizeClassCreateSchema,
    SizeClassSchema,
)
from facility.http.api import Blueprint
from facility.http.auth import api_user

blp = Blueprint("account", __name__, url_prefix="/api/v1", description="The caller's account: browser sessions")


@blp.route("/account/sessions")
@blp.response(200, SessionSchema(many=True))
def list_sessions():
    """The caller's active browser sessions, most recently seen first (API tokens are not sessions)"""
    current = sessions.current_session_id(session_secret())
    return [
        {
            "id": row.id,
            "created_at": row.created_at,
            "last_seen_at": row.last_seen_at,
            "ip": row.ip,
            "user_agent": row.user_agent,
            "current": row.id == current,
        }
        for row in sessions.list_sessions(api_user())
    ]


@blp.route("/account/sessions/<int:session_id>", methods=["DELETE"])
@blp.response(204)
def end_session(session_id):
    """End one of the caller's sessions: its cookie stops working on every server at once"""
    sessions.end_session(api_user(), session_id)


organisations_blp = Blueprint(
    "organisations",
    __name__,
    url_prefix="/api/v1",
    description="Organisations as the funder knows them: organisation numbers and dated size classes (admins)",
)


@organisations_blp.route("/organisations")
@organisations_blp.response(200, OrganisationSchema(many=True))
def list_organisations():
    """Every organisation with its organisation number and size class history (admins)"""
    return organisations.list_organisations(api_user())


@organisations_blp.route("/organisations/<key>", methods=["PATCH"])
@organisations_blp.arguments(OrganisationUpdateSchema)
@organisations_blp.response(200, OrganisationSchema)
def update_organisation(data, key):
    """Give an organisation its Swedish organisation number, checked (422 `invalid_org_number`) and unique (admins)"""
    return organisations.set_org_number(api_user(), key, data["org_number"], data["reason"])


@organisations_blp.route("/organisations/<key>/size-classes", methods=["POST"])
@organisations_blp.arguments(SizeClassCreateSchema)
@organisations_blp.response(201, SizeClassSchema)
def record_size_class(data, key):
    """Record a company's size class from a day on, with its source; earlier ones stay (admins)"""
    return organisations.record_size_class(api_user(), key, data["size_class"], data["valid_from"], data["source"])
