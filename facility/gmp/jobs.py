"""The GMP records' scheduled job: mail each facility's managers ahead of the due dates of
maintenance and calibration plans (and when a task is overdue), once per task and due date."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from facility.accounts.services import managers_of
from facility.core.mail import send_once, send_template
from facility.gmp import services


def mail_due_plans(now: datetime) -> int:
    sent = 0
    for item in services.plans_needing_attention(None, now):
        resource = item.resource
        for status in item.statuses:
            due = status.due_at.date().isoformat() if status.due_at else f"{status.state}:{status.last_done}"
            key = f"plan-due:{resource.key}:{status.key}:{status.state}:{due}"
            sent += send_once(
                key,
                now,
                lambda r=resource, s=status: send_template(
                    managers_of([r.facility_id]), "gmp/mail/plan_due", resource=r, status=s
                ),
            )
    return sent


JOBS: dict[str, tuple[Callable[[datetime], int], int]] = {
    "mail_due_plans": (mail_due_plans, 3600),
}
