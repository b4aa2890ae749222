"""Signed-in sessions kept in the database, so that ending one ends it on every worker and host.

The browser's signed session cookie holds a random secret; the table keeps only its SHA-256.
A session counts while its row has no ``ended_at``: signing out ends it, changing the password
ends the others, an administrator disabling a user ends them all. A session also lapses after
``IDLE_LIMIT`` without a request, and ``LIFETIME`` after signing in (then one signs in again,
as NIST SP 800-63B asks at least every 30 days). API tokens are separate."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Optional

from sqlalchemy import delete, or_, select, update

from facility import audit
from facility.accounts.models import User, UserSession
from facility.core.database import write_transaction
from facility.core.errors import not_found
from facility.core.extensions import db
from facility.core.time import utcnow

SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most once a minute per session
IDLE_LIMIT = timedelta(days=14)  # a session not used for this long has lapsed
LIFETIME = timedelta(days=30)  # and none lasts longer than this
KEEP = timedelta(days=90)  # ended and lapsed sessions are deleted after this (the throttle's known addresses)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(user: User, ip: str, user_agent: str = "") -> str:
    """A new session for ``user``; returns the secret for the cookie (only its hash is kept)."""
    secret = secrets.token_urlsafe(32)
    with write_transaction():
        now = utcnow()
        row = UserSession(
            user_id=user.id,
            secret_hash=_hash(secret),
            created_at=now,
            last_seen_at=now,
            ip=(ip or "unknown")[:64],
            user_agent=(user_agent or "")[:255],
        )
        db.session.add(row)
        audit.record(user, "session.started", row, after={"ip": row.ip})
    return secret


def session_user(user_id: str, secret: Optional[str]) -> Optional[User]:
    """The active user of an active session (Flask-Login's user loader), noting when it was seen."""
    if not secret or not user_id.isdigit():
        return None
    row = db.session.scalar(select(UserSession).where(UserSession.secret_hash == _hash(secret)))
    if row is None or row.ended_at is not None or row.user_id != int(user_id) or not row.user.active:
        return None
    now = utcnow()
    if now - row.last_seen_at > IDLE_LIMIT or now - row.created_at > LIFETIME:
        return None
    if now - row.last_seen_at >= SEEN_EVERY:
        session_id, user_id_ = row.id, row.user_id
        with write_transaction():  # at most one write a minute per session
            db.session.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now))
        return db.session.get(User, user_id_)
    return row.user


def current_session_id(secret: Optional[str]) -> Optional[int]:
    """The id of the active session whose cookie holds ``secret``."""
    if not secret:
        return None
    return db.session.scalar(
        select(UserSession.id).where(UserSession.secret_hash == _hash(secret), UserSession.ended_at.is_(None))
    )


def list_sessions(user: User) -> list[UserSession]:
    """The user's active sessions (neither ended nor lapsed), most recently seen first."""
    now = utcnow()
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
                UserSession.last_seen_at >= now - IDLE_LIMIT,
                UserSession.created_at >= now - LIFETIME,
            )
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def end_session(actor: User, session_id: int) -> UserSession:
    """The user ends one of their own active sessions (404 for anyone else's or an ended one)."""
    with write_transaction():
        row = db.session.get(UserSession, session_id)
        if row is None or row.user_id != actor.id or row.ended_at is not None:
            raise not_found("session")
        row.ended_at = utcnow()
        audit.record(actor, "session.ended", row, after={"ip": row.ip})
    return row


def sign_out(secret: Optional[str]) -> None:
    """Signing out ends every session of the user of this cookie, here and on every other
    device (a copy of any of their cookies no longer works); the API tokens stay."""
    session_id = current_session_id(secret)
    if session_id is None:
        return
    with write_transaction():
        row = db.session.get(UserSession, session_id)
        ended = end_sessions_of(row.user_id)
        audit.record(row.user, "session.ended", row, after={"ip": row.ip, "signed_out": True, "sessions_ended": ended})


def end_sessions_of(user_id: int, *, keep: Optional[str] = None) -> int:
    """Ends every active session of a user but the one of ``keep`` (its secret), inside the
    caller's transaction; returns how many ended."""
    query = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if keep:
        query = query.where(UserSession.secret_hash != _hash(keep))
    return db.session.execute(query.values(ended_at=utcnow())).rowcount


def end_other_sessions(actor: User, keep: Optional[str]) -> int:
    """The user signs out everywhere else."""
    with write_transaction():
        ended = end_sessions_of(actor.id, keep=keep)
        audit.record(actor, "user.sessions_ended", db.session.get(User, actor.id), after={"ended": ended})
    return ended


def prune_sessions(now) -> int:
    """Delete the sessions ended or unused for ``KEEP`` (a scheduled job); returns how many."""
    with write_transaction():
        return db.session.execute(
            delete(UserSession).where(or_(UserSession.ended_at < now - KEEP, UserSession.last_seen_at < now - KEEP))
        ).rowcount


def known_addresses(email: str):
    """A select of the addresses from which the account of ``email`` has signed in (the throttle's)."""
    return select(UserSession.ip).join(User, User.id == UserSession.user_id).where(User.email == email)


def has_signed_in_from(email: str, ip: str) -> bool:
    return bool(db.session.scalar(select(known_addresses(email).where(UserSession.ip == ip).exists())))
