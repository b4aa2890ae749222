"""The audit-trail review page for managers and admins (Annex 11 §9): per facility and period,
with a CSV download of the same rows."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from facility.audit.review import change_text
from facility.bookings import audit_review
from facility.bookings.pages import bp
from facility.core.config import default_zone
from facility.core.errors import ServiceError
from facility.core.vocabulary import words_for
from facility.http.downloads import download
from facility.http.localtime import local_today
from facility.http.pages import Problems, me, require_manager

DEFAULT_DAYS = 30
# What each kind of record an event is about is called on the page (the table's name otherwise).
ENTITY_WORDS = {
    "bookings": _l("booking"),
    "blackouts": _l("blackout"),
    "users": _l("user"),
    "organisations": _l("organisation"),
    "api_tokens": _l("API token"),
    "user_sessions": _l("session"),
    "calendar_feeds": _l("calendar feed"),
    "calendar_sources": _l("calendar source"),
    "facilities": _l("facility"),
    "resources": _l("resource"),
    "qualifications": _l("qualification"),
    "user_qualifications": _l("qualification"),
    "qualification_withdrawals": _l("withdrawn qualification"),
    "usage_records": _l("usage record"),
    "projects": _l("project"),
    "register_entries": _l("register entry"),
    "logbook_entries": _l("logbook entry"),
    "room_entries": _l("room entry"),
}


def entity_words(entity: str) -> str:
    return words_for(ENTITY_WORDS, entity)


def _query(problems: Problems):
    """The facility key and the period [from, to] (local dates, both days included) asked for."""
    facility_key = (request.args.get("facility") or "").strip() or None
    facilities = {f.key: f for f in audit_review.visible_facilities(me())}
    zone = ZoneInfo(facilities[facility_key].timezone) if facility_key in facilities else default_zone()
    today = local_today(zone)
    days = {}
    for name, default in (("from", today - timedelta(days=DEFAULT_DAYS)), ("to", today)):
        text = (request.args.get(name) or "").strip()
        try:
            days[name] = datetime.strptime(text, "%Y-%m-%d").date() if text else default
        except ValueError:
            problems.add(name, _("'%(text)s' is not a date like %(example)s.", text=text, example=today.isoformat()))
            days[name] = default
    start = datetime.combine(days["from"], time(0), zone)
    end = datetime.combine(days["to"] + timedelta(days=1), time(0), zone)
    return facility_key, days, start, end


@bp.route("/manage/audit")
def audit_trail():
    require_manager()
    problems = Problems()
    facility_key, days, start, end = _query(problems)
    rows, status = [], 200
    if problems:
        status = 422
    else:
        try:
            rows = audit_review.audit_events(me(), facility_key, start, end)
        except ServiceError as error:
            if error.status in (403, 404):
                raise
            problems.add_service_error(error, ("facility", "from", "to"))
            status = error.status
    if request.args.get("format") == "csv" and status == 200:
        name = f"audit-trail-{facility_key or 'all'}-{days['from']}-{days['to']}.csv"
        return download(audit_review.audit_csv(rows), "text/csv; charset=utf-8", name)
    return render_template(
        "bookings/audit.html",
        change_text=change_text,
        entity_words=entity_words,
        rows=rows,
        problems=problems,
        facilities=audit_review.visible_facilities(me()),
        facility_key=facility_key,
        days=days,
        chain=audit_review.chain_status(me()),
        csv_args={"facility": facility_key or "", "from": days["from"], "to": days["to"], "format": "csv"},
    ), status
