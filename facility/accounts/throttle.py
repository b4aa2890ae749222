"""Sign-in throttle in the database: every worker process counts the same failures.

Three counts over the last ``WINDOW``:
- one account from one address (``MAX_FAILURES_PER_ACCOUNT``): someone guessing at one account;
- one address over any accounts (``MAX_FAILURES_PER_ADDRESS``): someone trying many e-mails;
- one account from every address it has never signed in from
  (``MAX_FAILURES_PER_ACCOUNT_FROM_NEW_ADDRESSES``): a guesser spread over many addresses.
  The last one holds back only addresses new to the account, so a stranger cannot lock the
  owner out: from an address the account has signed in from before, the owner still can.
An unknown e-mail is counted the same way as a real one (it has no known addresses), so the
answers do not tell which e-mails have accounts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from facility.accounts.models import FailedSignIn
from facility.accounts.sessions import has_signed_in_from, known_addresses
from facility.core.database import write_transaction
from facility.core.extensions import db
from facility.core.time import utcnow

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5  # per e-mail and address
MAX_FAILURES_PER_ADDRESS = 50  # one address trying many e-mails
MAX_FAILURES_PER_ACCOUNT_FROM_NEW_ADDRESSES = 10  # one e-mail from many addresses it never signed in from
KEEP = timedelta(days=1)


def _count(*conditions) -> int:
    since = utcnow() - WINDOW
    return db.session.scalar(select(func.count()).select_from(FailedSignIn).where(FailedSignIn.at > since, *conditions))


def is_throttled(email: str, ip: str) -> bool:
    if (
        _count(FailedSignIn.email == email, FailedSignIn.ip == ip) >= MAX_FAILURES_PER_ACCOUNT
        or _count(FailedSignIn.ip == ip) >= MAX_FAILURES_PER_ADDRESS
    ):
        return True
    if has_signed_in_from(email, ip):
        return False  # the owner's own address: only its own count above applies
    return (
        _count(FailedSignIn.email == email, FailedSignIn.ip.not_in(known_addresses(email).scalar_subquery()))
        >= MAX_FAILURES_PER_ACCOUNT_FROM_NEW_ADDRESSES
    )


def record_failure(email: str, ip: str) -> None:
    with write_transaction():
        now = utcnow()
        db.session.execute(delete(FailedSignIn).where(FailedSignIn.at < now - KEEP))
        db.session.add(FailedSignIn(email=email[:254], ip=ip[:64], at=now))


def clear_failures(email: str, ip: str) -> None:
    with write_transaction():
        db.session.execute(delete(FailedSignIn).where(FailedSignIn.email == email, FailedSignIn.ip == ip))
