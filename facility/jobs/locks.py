"""A lease per job in the `job_locks` table, so that only one scheduler process runs a job
even if a second one is started by mistake. Works the same on SQLite and PostgreSQL:
the claim is one UPDATE ... WHERE the lease has expired (or is ours), or the first INSERT."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import insert, or_, update
from sqlalchemy.exc import IntegrityError

from facility.core.database import write_transaction
from facility.core.extensions import db
from facility.jobs.models import JobLock

HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(name: str, now: datetime, lease: timedelta, holder: str = HOLDER) -> bool:
    """Take the lease on ``name`` until ``now + lease`` unless someone else holds it."""
    try:
        with write_transaction():
            claimed = db.session.execute(
                update(JobLock)
                .where(JobLock.name == name, or_(JobLock.locked_until <= now, JobLock.holder == holder))
                .values(holder=holder, locked_until=now + lease)
            ).rowcount
            if claimed:
                return True
            if db.session.get(JobLock, name) is not None:
                return False
            db.session.execute(insert(JobLock).values(name=name, holder=holder, locked_until=now + lease))
            return True
    except IntegrityError:  # another process inserted the first lease at the same moment
        return False


def release(name: str, now: datetime, holder: str = HOLDER) -> None:
    with write_transaction():
        db.session.execute(
            update(JobLock).where(JobLock.name == name, JobLock.holder == holder).values(locked_until=now)
        )
