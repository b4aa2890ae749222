"""Where a signed-in browser keeps its session secret: in Flask's signed session cookie.

The database row of the session (``sessions``) decides whether the secret still counts."""

from __future__ import annotations

from typing import Optional

from flask import session

SESSION_KEY = "session_secret"


def session_secret() -> Optional[str]:
    """The secret of the caller's browser session, if any."""
    return session.get(SESSION_KEY)


def keep_session_secret(secret: str) -> None:
    session[SESSION_KEY] = secret
