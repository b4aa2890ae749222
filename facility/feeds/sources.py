"""Calendar sources: outside iCalendars (a URL, or an uploaded ``.ics``) whose events become
blackouts of a facility, or of one of its resources.

Reading a calendar (``parse_events``) is a pure function of its bytes, the facility's zone
and a window, with no Flask and no database. The service functions around it fetch first,
then replace the source's blackouts in one write transaction, so the network is never waited
on while the write lock is held, and a source that cannot be read changes no blackout.

How events become blackouts:
- recurring events are expanded over ``WINDOW_BEFORE`` .. ``WINDOW_AFTER`` around now;
- an all-day event (DATE values) blocks whole local days in the facility's zone (a day
  across a daylight-saving change lasts 23 or 25 hours); a floating time is the facility's
  local time; a time with a zone or in UTC is that instant;
- STATUS:CANCELLED events are skipped: they do not happen. TRANSP:TRANSPARENT events are
  kept: public-holiday calendars mark their all-day events "free", and the manager attached
  the calendar to close the facility on exactly those days;
- an event with no duration (a start time only) blocks nothing and is skipped;
- a broken event or recurrence rule makes the whole calendar unreadable (no half import).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from flask import current_app
from sqlalchemy import delete, select

from facility import audit
from facility.accounts.models import User
from facility.bookings.models import BLACKOUT_KINDS, Blackout, Booking
from facility.bookings.services import bookings_under_blackouts
from facility.catalog.models import Facility, Resource
from facility.catalog.services import get_facility, get_resource
from facility.core.access import require_manager_of
from facility.core.database import write_transaction
from facility.core.errors import ServiceError, invalid, not_found
from facility.core.extensions import db
from facility.core.time import utcnow
from facility.feeds.fetch import FetchError, check_url, fetch, format_size
from facility.feeds.models import CalendarSource

log = logging.getLogger("facility.feeds.sources")

WINDOW_BEFORE = timedelta(days=30)
WINDOW_AFTER = timedelta(days=400)
MAX_EVENTS = 5000
# Expanding a rule walks every instance from its DTSTART; this bounds that walk (about a
# second), so a rule like FREQ=SECONDLY cannot hold the refresh job for hours.
MAX_EXPANSION = 50_000
MAX_REASON_CHARS = 500
MAX_NAME_CHARS = 200
MAX_URL_CHARS = 2000


# --- reading a calendar (pure) ---------------------------------------------------------------


class SourceProblem(Exception):
    """Why a calendar could not be used, in words for the manager's page."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True, order=True)
class SourceEvent:
    start: datetime  # UTC
    end: datetime  # UTC
    summary: str


def parse_events(
    data: bytes, zone: ZoneInfo, window: tuple[datetime, datetime], max_events: int = MAX_EVENTS
) -> list[SourceEvent]:
    """The events of an iCalendar file that meet ``window``, recurring ones expanded, in UTC."""
    calendar = _calendar_of(data)
    with _unreadable_is_a_problem():
        bound = expansion_bound(calendar, window[1])
    if bound > MAX_EXPANSION:
        raise SourceProblem(
            "too_many_events",
            "The calendar's repeating events repeat too often to expand "
            f"(about {int(bound)} instances; the limit is {MAX_EXPANSION}).",
        )
    with _unreadable_is_a_problem():
        occurrences = recurring_ical_events.of(calendar).between(*window)
        events = [_event_of(occurrence, zone) for occurrence in occurrences[: max_events + 1]]
    if len(occurrences) > max_events:
        raise SourceProblem(
            "too_many_events",
            f"The calendar has more than {max_events} events between {window[0]:%Y-%m-%d} and {window[1]:%Y-%m-%d}.",
        )
    return sorted(e for e in events if e is not None)


@contextmanager
def _unreadable_is_a_problem():
    """icalendar and recurring-ical-events raise many kinds of error on malformed input (some
    only when a broken property is first used); each means the calendar cannot be read."""
    try:
        yield
    except Exception as error:
        raise SourceProblem("invalid_calendar", f"The calendar cannot be read: {_brief(error)}.") from None


def _calendar_of(data: bytes) -> icalendar.Calendar:
    # Undecodable bytes become U+FFFD; a NUL (no iCalendar text holds one, no database stores one) goes.
    text = data.decode("utf-8-sig", errors="replace").replace("\x00", "").lstrip()
    if not text[:15].upper().startswith("BEGIN:VCALENDAR"):
        looks_like = " (it is a web page)" if text.startswith("<") else ""
        raise SourceProblem(
            "not_icalendar", f"This is not an iCalendar file{looks_like}: it should begin with BEGIN:VCALENDAR."
        )
    with _unreadable_is_a_problem():
        return icalendar.Calendar.from_ical(text)


def _event_of(component, zone: ZoneInfo) -> Optional[SourceEvent]:
    if str(component.get("STATUS", "")).upper() == "CANCELLED":
        return None
    start, end = to_utc(component.start, zone), to_utc(component.end, zone)
    if end <= start:
        return None
    summary = " ".join(str(component.get("SUMMARY", "")).split())
    return SourceEvent(start, end, summary[:MAX_REASON_CHARS])


def to_utc(value: date | datetime, zone: ZoneInfo) -> datetime:
    """A DATE is local midnight at the facility; a floating time is local; an aware time is kept."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(timezone.utc)


def _brief(error: Exception) -> str:
    if isinstance(error, KeyError):  # what the parsers raise for a missing property
        return f"an event has no {error.args[0] if error.args else 'required property'}"
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:199] + "…"


# --- the expansion budget (pure) ---------------------------------------------------------------

_PERIOD_DAYS = {
    "YEARLY": 365,
    "MONTHLY": 28,
    "WEEKLY": 7,
    "DAILY": 1,
    "HOURLY": 1 / 24,
    "MINUTELY": 1 / 1440,
    "SECONDLY": 1 / 86400,
}
_FINER_PARTS = (("BYHOUR", "HOURLY"), ("BYMINUTE", "MINUTELY"), ("BYSECOND", "SECONDLY"))
_ORDER = list(_PERIOD_DAYS)


def expansion_bound(calendar: icalendar.Calendar, window_end: datetime) -> float:
    """An upper bound of the instances that expanding the calendar's rules up to ``window_end`` walks."""
    total = 0.0
    for component in calendar.walk("VEVENT"):
        start, rules = component.get("DTSTART"), component.get("RRULE")
        if start is None or rules is None:
            continue
        for rule in rules if isinstance(rules, list) else [rules]:
            total += rule_instances_bound(rule, _as_date(start.dt), window_end.date())
    return total


def rule_instances_bound(rule, first: date, last: date) -> float:
    """An upper bound of the instances a recurrence rule makes from ``first`` up to ``last``."""
    freq = str((rule.get("FREQ") or ["DAILY"])[0]).upper()
    if freq not in _PERIOD_DAYS:
        return 0.0  # the expansion itself refuses the rule
    interval = int((rule.get("INTERVAL") or [1])[0]) or 1
    until = rule.get("UNTIL")
    if until:
        last = min(last, _as_date(until[0]))
    days = max(0, (last - first).days + 1)
    bound = days / (_PERIOD_DAYS[freq] * interval) * _instances_per_period(rule, freq) + 1
    count = rule.get("COUNT")
    return min(bound, int(count[0])) if count else bound


def _instances_per_period(rule, freq: str) -> int:
    """How many instances one FREQ period can hold: BY parts finer than FREQ multiply (RFC 5545, 3.3.10)."""

    def n(part: str) -> int:
        return len(rule.get(part) or []) or 1

    weekdays = len(rule.get("BYDAY") or [])
    if freq == "YEARLY":
        per_weekday = 1 if "BYWEEKNO" in rule else 5 if "BYMONTH" in rule else 53
        days = n("BYMONTH") * n("BYWEEKNO") * n("BYYEARDAY") * n("BYMONTHDAY") * (weekdays * per_weekday or 1)
        days = days * 7 if "BYWEEKNO" in rule and not weekdays else days
    elif freq == "MONTHLY":
        days = n("BYMONTHDAY") * (weekdays * 5 or 1)
    elif freq == "WEEKLY":
        days = weekdays or 1
    else:
        days = 1
    for part, unit in _FINER_PARTS:
        if _ORDER.index(freq) < _ORDER.index(unit):
            days *= n(part)
    return days


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- the services ----------------------------------------------------------------------------


def add_source(
    actor: User,
    facility_key: str,
    *,
    name: str,
    url: Optional[str] = None,
    upload: Optional[bytes] = None,
    resource_key: Optional[str] = None,
    kind: str = "holiday",
    now: Optional[datetime] = None,
) -> CalendarSource:
    """Attach an outside calendar and import it at once; if it cannot be read, nothing is stored."""
    now = now or utcnow()
    facility, resource = _target(actor, facility_key, resource_key)
    name, url = _checked(name, url, upload, kind)
    events = _events_or_error(facility, url, upload, now)
    with write_transaction():
        source = CalendarSource(
            facility=facility,
            resource=resource,
            name=name,
            url=url,
            upload=upload,
            blackout_kind=kind,
            created_by=actor,
            created_at=now,
        )
        db.session.add(source)
        db.session.flush()  # the blackouts name its id
        _replace_blackouts(source, events, actor)
        _mark_success(source, len(events), now)
        audit.record(actor, "calendar_source.created", source, after=snapshot(source), facility=facility)
    return source


def refresh_source(source_id: int, now: Optional[datetime] = None, *, actor: Optional[User] = None) -> CalendarSource:
    """Read the source again and replace its blackouts. On failure the blackouts stay as they
    were, the problem is kept on the source for the manager's page, and a ServiceError says it.
    ``actor`` is None for the scheduled job."""
    now = now or utcnow()
    source = get_source(source_id, actor)
    try:
        events = parse_events(_load(source.url, source.upload), ZoneInfo(source.facility.timezone), window_at(now))
    except (FetchError, SourceProblem) as problem:
        _record_failure(source_id, problem.message, now, actor)
        raise invalid(problem.code, problem.message, _data_field(source.url)) from None
    with write_transaction():
        source = _locked(source_id)
        before = {"events": source.event_count, "last_error": source.last_error}
        changed = _replace_blackouts(source, events, actor)
        _mark_success(source, len(events), now)
        if changed or before["last_error"]:
            audit.record(
                actor,
                "calendar_source.refreshed",
                source,
                before=before,
                after={"events": len(events), "last_error": ""},
                facility=source.facility,
            )
    return source


def refresh_all_sources(now: Optional[datetime] = None) -> int:
    """Refresh every URL source (an upload does not change); the number refreshed without error."""
    ids = list(
        db.session.scalars(select(CalendarSource.id).where(CalendarSource.url.is_not(None)).order_by(CalendarSource.id))
    )
    refreshed = 0
    for source_id in ids:
        try:
            refresh_source(source_id, now)
            refreshed += 1
        except ServiceError as error:  # recorded on the source; the next one goes on
            log.info("calendar source %s not refreshed: %s", source_id, error)
        except Exception:  # one source's bug must not stop the others
            db.session.rollback()
            log.exception("calendar source %s: unexpected error", source_id)
    return refreshed


def delete_source(actor: User, source_id: int) -> int:
    """Remove a source and every blackout it made; the number of blackouts removed."""
    with write_transaction():
        source = _locked(source_id)
        require_manager_of(actor, source.facility)
        audit.record(actor, "calendar_source.deleted", source, before=snapshot(source), facility=source.facility)
        removed = db.session.execute(delete(Blackout).where(Blackout.source_id == source.id)).rowcount
        db.session.delete(source)
    return removed


def list_sources(actor: User) -> list[CalendarSource]:
    """The sources of the facilities ``actor`` manages."""
    sources = db.session.scalars(
        select(CalendarSource)
        .join(CalendarSource.facility)
        .order_by(Facility.id, CalendarSource.name, CalendarSource.id)
    )
    return [s for s in sources if actor.manages(s.facility)]


def get_source(source_id: int, actor: Optional[User] = None) -> CalendarSource:
    source = db.session.get(CalendarSource, source_id)
    if source is None:
        raise not_found("calendar source")
    if actor is not None:
        require_manager_of(actor, source.facility)
    return source


def colliding_bookings(source: CalendarSource, now: Optional[datetime] = None) -> list[Booking]:
    """Active bookings, not yet over, that the source's blackouts overlap."""
    return bookings_under_blackouts(
        Blackout.source_id == source.id, source.facility_id, source.resource_id, ending_after=now or utcnow()
    )


def window_at(now: datetime) -> tuple[datetime, datetime]:
    return now - WINDOW_BEFORE, now + WINDOW_AFTER


def snapshot(source: CalendarSource) -> dict:
    return {
        "name": source.name,
        "facility": source.facility.key,
        "resource": source.resource.key if source.resource else None,
        "url": source.url,
        "upload_bytes": len(source.upload) if source.upload is not None else None,
        "kind": source.blackout_kind,
        "events": source.event_count,
    }


# --- helpers ---------------------------------------------------------------------------------


def _target(actor: User, facility_key: str, resource_key: Optional[str]) -> tuple[Facility, Optional[Resource]]:
    facility = get_facility(facility_key, "facility")
    require_manager_of(actor, facility)
    resource = get_resource(resource_key, "resource") if resource_key else None
    if resource is not None and resource.facility_id != facility.id:
        raise invalid("invalid", "That resource belongs to another facility.", "resource")
    if resource is not None and resource.is_retired:
        raise invalid("resource_unavailable", "That resource is retired.", "resource")
    return facility, resource


def _checked(name: str, url: Optional[str], upload: Optional[bytes], kind: str) -> tuple[str, Optional[str]]:
    """The cleaned name and URL, or a ServiceError naming the field."""
    name, url = " ".join((name or "").split()), (url or "").strip() or None
    if not name:
        raise invalid("required", "Name the calendar, e.g. “Swedish public holidays”.", "name")
    if len(name) > MAX_NAME_CHARS:
        raise invalid("too_long", f"The name is longer than {MAX_NAME_CHARS} characters.", "name")
    if kind not in BLACKOUT_KINDS:
        raise invalid("invalid", f"Kind must be one of {', '.join(BLACKOUT_KINDS)}.", "kind")
    if url is not None and upload is not None:
        raise invalid("invalid", "Give a URL or a file, not both.", "url")
    if url is None and upload is None:
        raise invalid("required", "Give the calendar's URL or upload an .ics file.", "url")
    if url is not None and len(url) > MAX_URL_CHARS:
        raise invalid("too_long", f"The URL is longer than {MAX_URL_CHARS} characters.", "url")
    try:
        return name, check_url(url) if url is not None else None
    except FetchError as problem:
        raise invalid(problem.code, problem.message, "url") from None


def _events_or_error(
    facility: Facility, url: Optional[str], upload: Optional[bytes], now: datetime
) -> list[SourceEvent]:
    try:
        return parse_events(_load(url, upload), ZoneInfo(facility.timezone), window_at(now))
    except (FetchError, SourceProblem) as problem:
        raise invalid(problem.code, problem.message, _data_field(url)) from None


def _load(url: Optional[str], upload: Optional[bytes]) -> bytes:
    max_bytes = current_app.config["FACILITY_SOURCE_MAX_BYTES"]
    if url is None:
        if len(upload) > max_bytes:
            raise SourceProblem("too_large", f"The file is larger than the limit of {format_size(max_bytes)}.")
        return upload
    return fetch(
        url,
        max_bytes=max_bytes,
        timeout=current_app.config["FACILITY_SOURCE_TIMEOUT_SECONDS"],
        allow_private=current_app.config["FACILITY_SOURCE_ALLOW_PRIVATE"],
    )


def _data_field(url: Optional[str]) -> str:
    return "url" if url is not None else "upload"


def _replace_blackouts(source: CalendarSource, events: list[SourceEvent], actor: Optional[User]) -> bool:
    """Make the source's blackouts exactly ``events``; False if they already were."""
    wanted = sorted((e.start, e.end, e.summary or source.name) for e in events)
    old = db.session.scalars(select(Blackout).where(Blackout.source_id == source.id)).all()
    if sorted((b.start_at, b.end_at, b.reason) for b in old) == wanted:
        return False
    db.session.execute(delete(Blackout).where(Blackout.source_id == source.id))
    db.session.add_all(
        Blackout(
            facility=source.facility,
            resource=source.resource,
            kind=source.blackout_kind,
            reason=reason,
            start_at=start,
            end_at=end,
            created_by=actor,
            source_id=source.id,
        )
        for start, end, reason in wanted
    )
    return True


def _mark_success(source: CalendarSource, event_count: int, now: datetime) -> None:
    source.last_attempt_at = source.last_success_at = now
    source.last_error, source.event_count = "", event_count


def _record_failure(source_id: int, message: str, now: datetime, actor: Optional[User]) -> None:
    """Its own small transaction: the blackouts are not touched. Audited when the problem is new."""
    with write_transaction():
        source = db.session.get(CalendarSource, source_id)
        if source is None:  # deleted meanwhile
            return
        if source.last_error != message:
            audit.record(
                actor,
                "calendar_source.refresh_failed",
                source,
                before={"last_error": source.last_error},
                after={"last_error": message},
                reason=message,
                facility=source.facility,
            )
        source.last_attempt_at, source.last_error = now, message


def _locked(source_id: int) -> CalendarSource:
    """The source, its row locked (PostgreSQL) so that two refreshes replace its blackouts one after the other."""
    source = db.session.get(CalendarSource, source_id, with_for_update=True, populate_existing=True)
    if source is None:
        raise not_found("calendar source")
    return source
