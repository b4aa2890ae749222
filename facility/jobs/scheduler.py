"""`flask facility scheduler`: APScheduler in the foreground, every job behind a database lease."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask

from facility.accounts import jobs as accounts_jobs
from facility.aid import jobs as aid_jobs
from facility.bookings import jobs as bookings_jobs
from facility.core.extensions import db
from facility.core.time import utcnow
from facility.feeds import jobs as feeds_jobs
from facility.gmp import jobs as gmp_jobs
from facility.jobs import locks
from facility.usage import jobs as usage_jobs
from facility.waitlist import jobs as waitlist_jobs

log = logging.getLogger("facility.jobs")
# Every domain's jobs, name: (function of now, interval in seconds).
JOBS = {
    **bookings_jobs.JOBS,
    **usage_jobs.JOBS,
    **accounts_jobs.JOBS,
    **feeds_jobs.JOBS,
    **aid_jobs.JOBS,
    **gmp_jobs.JOBS,
    **waitlist_jobs.JOBS,
}


def run_job(app: Flask, name: str) -> int | None:
    """Run job ``name`` now if this process gets its lease; None if another process holds it."""
    function, interval = JOBS[name]
    with app.app_context():
        now = utcnow()
        lease = timedelta(seconds=max(interval, 60) * 5)
        if not locks.claim(name, now, lease):
            log.info("%s: another scheduler holds the lease, skipping", name)
            return None
        try:
            done = function(now)
            if done:
                log.info("%s: %s", name, done)
            return done
        except Exception:
            db.session.rollback()
            log.exception("%s failed", name)
            return None
        finally:
            locks.release(name, utcnow())
            db.session.remove()


def build_scheduler(app: Flask, scheduler_class=None):
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = (scheduler_class or BlockingScheduler)(timezone="UTC")
    for name, (_function, interval) in JOBS.items():
        scheduler.add_job(
            run_job,
            "interval",
            seconds=interval,
            args=(app, name),
            id=name,
            name=name,
            max_instances=1,
            coalesce=True,
            next_run_time=utcnow(),
        )
    return scheduler
