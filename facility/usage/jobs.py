"""The usage module's scheduled jobs: no-shows, automatic check-out and the monthly report mail."""

from __future__ import annotations

from datetime import datetime, time
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select

from facility.accounts.services import managers_of
from facility.catalog.models import Facility
from facility.core.extensions import db
from facility.core.mail import send_once, send_template
from facility.usage import reports
from facility.usage import services as usage_services

MONTHLY_REPORT_AT = time(7, 0)


def mark_no_shows(now: datetime) -> int:
    return usage_services.mark_no_shows(now)


def auto_check_out(now: datetime) -> int:
    return usage_services.auto_check_out(now)


def mail_monthly_reports(now: datetime) -> int:
    """From the 1st 07:00 local time, mail last month's report (XLSX) to each facility's managers, once."""
    sent = 0
    for facility in list(db.session.scalars(select(Facility).order_by(Facility.id))):
        local = now.astimezone(ZoneInfo(facility.timezone))
        if local.day != 1 or local.time() < MONTHLY_REPORT_AT:
            continue
        month = reports.previous_month(local.date())
        key = f"monthly-report:{facility.key}:{month}"
        sent += send_once(key, now, lambda f=facility, m=month: _mail_report(f, m))
    return sent


def _mail_report(facility: Facility, month: str) -> bool:
    recipients = managers_of([facility.id])
    if not recipients:
        return False
    report = reports.monthly_report(None, month, facility.key)
    body, content_type, filename = reports.render(report, "xlsx")
    return send_template(
        recipients,
        "usage/mail/monthly_report",
        facility=facility,
        month=month,
        resources=report["facilities"][0]["resources"],
        attachment=(f"{facility.key}-{filename}", content_type, body),
    )


JOBS: dict[str, tuple[Callable[[datetime], int], int]] = {
    # name: (function, interval in seconds)
    "auto_check_out": (auto_check_out, 60),
    "mark_no_shows": (mark_no_shows, 60),
    "mail_monthly_reports": (mail_monthly_reports, 600),
}
