"""Sign-in throttle in the database: every worker process counts the same failures."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from facility.accounts.models import FailedSignIn
from facility.core.database import write_transaction
from facility.core.extensions import db
from facility.core.time import utcnow

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5  # per e-mail and address
MAX_FAILURES_PER_ADDRESS = 50  # one address trying many e-mails
KEEP = timedelta(days=1)


def _count(*conditions) -> int:
    since = utcnow() - WINDOW
    return db.session.scalar(select(func.count()).select_from(FailedSignIn).where(FailedSignIn.at > since, *conditions))


def is_throttled(email: str, ip: str) -> bool:
    return (
        _count(FailedSignIn.email == email, FailedSignIn.ip == ip) >= MAX_FAILURES_PER_ACCOUNT
        or _count(FailedSignIn.ip == ip) >= MAX_FAILURES_PER_ADDRESS
    )


def record_failure(email: str, ip: str) -> None:
    with write_transaction():
        now = utcnow()
        db.session.execute(delete(FailedSignIn).where(FailedSignIn.at < now - KEEP))
        db.session.add(FailedSignIn(email=email[:254], ip=ip[:64], at=now))


def clear_failures(email: str, ip: str) -> None:
    with write_transaction():
        db.session.execute(delete(FailedSignIn).where(FailedSignIn.email == email, FailedSignIn.ip == ip))
