"""The caller's own account in the JSON API: the signed-in browser sessions, and ending them."""

from __future__ import annotations

from flask_smorest import Blueprint

from facility.accounts import sessions
from facility.accounts.cookie import session_secret
from facility.accounts.schemas import SessionSchema
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
