"""The catalogue (resources and their rules in words) and the calendars (week and day views)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _

from facility.accounts.qualifications import valid_on as qualification_valid_on
from facility.bookings import services as bookings
from facility.bookings.calendar import calendar_data
from facility.bookings.pages import bp, calendar
from facility.bookings.pages.words import minutes_in_words as format_minutes
from facility.catalog import services as catalog
from facility.catalog.closures import ClosedDays
from facility.catalog.models import Facility, Resource
from facility.catalog.services import closed_days_for, list_facilities, list_resources
from facility.core import time as clock_time
from facility.http.localtime import FieldProblem, local_today, parse_date
from facility.http.pages import me


def rules_in_words(resource: Resource) -> list[str]:
    words = [_("needs approval") if resource.requires_approval else _("confirmed at once")]
    if resource.cleanroom_grade:
        words.append(_("grade %(grade)s gowning required", grade=resource.cleanroom_grade))
    if resource.qualification:
        words.append(_("qualification required: %(name)s", name=resource.qualification.name))
    words.append(
        _(
            "at least %(min)s, at most %(max)s",
            min=format_minutes(resource.min_minutes),
            max=format_minutes(resource.max_minutes),
        )
    )
    words.append(_("in steps of %(step)s", step=format_minutes(resource.slot_minutes)))
    if resource.lead_minutes:
        words.append(_("book at least %(lead)s ahead", lead=format_minutes(resource.lead_minutes)))
    words.append(_("up to %(days)s days ahead", days=resource.horizon_days))
    if resource.changeover_minutes:
        words.append(_("cleaning takes %(time)s after each booking", time=format_minutes(resource.changeover_minutes)))
    if resource.quota_hours_per_week:
        words.append(_("at most %(hours)s h a week per person", hours=resource.quota_hours_per_week))
    if resource.runs_unattended:
        words.append(_("runs unattended overnight; start and end within opening hours"))
    return words


def qualification_in_words(resource: Resource, held: dict[str, date], today: Optional[date] = None) -> tuple[str, bool]:
    """What the viewer's qualification means for this resource, and whether they may book it
    (on ``today``, by default the facility's local today)."""
    if not resource.qualification:
        return _("no qualification needed"), True
    until = held.get(resource.qualification.key)
    if until is None:
        return _("you are not qualified"), False
    if not qualification_valid_on(until, today or local_today(resource.facility.timezone)):
        return _("your qualification expired on %(day)s", day=until.isoformat()), False
    return _("you are qualified until %(day)s", day=until.isoformat()), True


def opening_hours_in_words(facility: Facility) -> list[str]:
    names = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    lines = []
    for index, key in enumerate(clock_time.WEEKDAYS):
        spans = facility.opening_hours.get(key, [])
        hours = ", ".join(spans) if spans else _("closed")
        lines.append(f"{names[index]} {hours}")
    closed = closed_days_for(facility)
    if closed:
        lines.append(closed_days_in_words(closed))
    return lines


def page_language() -> str:
    return getattr(get_locale(), "language", None) or "en"


def closed_days_in_words(closed: ClosedDays) -> str:
    """ "closed on public holidays (SE) and Julafton, Nyårsafton, Midsommarafton", in the page's language."""
    named = ", ".join(closed.holiday_names(page_language()))
    own = len(closed.closures)
    if closed.public and named:
        text = _("closed on public holidays (%(country)s) and %(days)s", country=closed.region, days=named)
    elif closed.public:
        text = _("closed on public holidays (%(country)s)", country=closed.region)
    elif named:
        text = _("closed on %(days)s", days=named)
    else:
        text = ""
    if own:
        more = ngettext("%(num)d day or period of its own", "%(num)d days or periods of its own", own)
        text = f"{text}; {more}" if text else _("closed on %(days)s", days=more)
    return text


def closed_day_name(closed: ClosedDays, day: date) -> Optional[str]:
    """The holiday's (or closure's) name on ``day`` in the page's language; None when not closed."""
    return closed.name(day, page_language(), unnamed=_("Closed"))


@bp.route("/catalogue")
def catalogue():
    held = bookings.qualifications_of(me())
    facilities = [
        (
            f,
            opening_hours_in_words(f),
            [(r, rules_in_words(r), *qualification_in_words(r, held)) for r in list_resources(f)],
        )
        for f in list_facilities()
    ]
    return render_template("bookings/catalogue.html", facilities=facilities)


def chosen_day(tz: ZoneInfo) -> tuple[date, Optional[str]]:
    """The ``date`` query parameter, or today; a bad date falls back to today with a message."""
    text = request.args.get("date")
    if not text:
        return local_today(tz), None
    try:
        return parse_date(text, "date"), None
    except FieldProblem as problem:
        return local_today(tz), problem.message


def _day_title(day: date, closed: Optional[ClosedDays] = None) -> str:
    """ "Thu 24 Dec", and on a closed day its name: "Thu 24 Dec · Christmas Eve"."""
    title = format_date(day, "EEE d MMM")
    name = closed_day_name(closed, day) if closed is not None else None
    return f"{title} · {name}" if name else title


@bp.route("/resources/<key>/week")
def resource_week(key: str):
    resource = catalog.get_resource(key)
    tz = ZoneInfo(resource.facility.timezone)
    day, problem = chosen_day(tz)
    monday = day - timedelta(days=day.weekday())
    days = [monday + timedelta(days=i) for i in range(7)]
    start, end = calendar.day_bounds(monday, tz)[0], calendar.day_bounds(days[-1], tz)[1]
    data = calendar_data(me(), None, resource.key, start, end, free_reaching=True)
    items = calendar.items_by_resource(data).get(resource.key, [])  # none for a retired resource
    closed = closed_days_for(resource.facility)
    columns = [calendar.column(_day_title(d, closed), d, tz, items) for d in days]
    opening = [(0, 24 * 60)] if resource.runs_unattended else calendar.opening_minutes(resource)
    grid = calendar.grid(columns, opening)
    return render_template(
        "bookings/week.html",
        resource=resource,
        grid=grid,
        day=day,
        monday=monday,
        prev_day=monday - timedelta(days=7),
        next_day=monday + timedelta(days=7),
        today=local_today(tz),
        problem=problem,
        week_number=monday.isocalendar()[1],
        cal=calendar.interactive("week", day, resource.facility, grid, resource=resource),
    )


@bp.route("/facilities/<key>/day")
def facility_day(key: str):
    facility = catalog.get_facility(key)
    tz = ZoneInfo(facility.timezone)
    day, problem = chosen_day(tz)
    start, end = calendar.day_bounds(day, tz)
    data = calendar_data(me(), facility.key, None, start, end, free_reaching=True)
    resources, items = data.resources, calendar.items_by_resource(data)
    columns = [calendar.column(resource.name, day, tz, items[resource.key], href=None) for resource in resources]
    opening = calendar.opening_minutes(facility)
    if any(r.runs_unattended for r in resources):
        opening = [(0, 24 * 60)]
    grid = calendar.grid(columns, opening)
    return render_template(
        "bookings/day.html",
        facility=facility,
        grid=grid,
        day=day,
        resources=resources,
        prev_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        today=local_today(tz),
        problem=problem,
        day_title=format_date(day, "EEEE d MMMM y"),
        closed_text=_closed_text(closed_day_name(closed_days_for(facility), day)),
        cal=calendar.interactive("day", day, facility, grid, resources=resources),
    )


def _closed_text(name: Optional[str]) -> Optional[str]:
    """ "Closed: Julafton" under the day page's title; "Closed" for a closure without a name."""
    if name is None:
        return None
    return _("Closed") if name == _("Closed") else _("Closed: %(name)s", name=name)
