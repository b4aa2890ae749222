"""Server-rendered calendar columns: the busy and free time of a resource on one local day,
laid out by wall-clock minutes (so 07:00 sits at 07:00 on a DST day too)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable, Optional
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import gettext as _

from facility.bookings import rules
from facility.bookings.calendar import CalendarBooking, CalendarData
from facility.bookings.models import ACTIVE_STATUSES
from facility.bookings.pages.words import BLACKOUT_KIND_WORDS, words_for
from facility.catalog.models import Resource
from facility.core import time as clock_time
from facility.http.localtime import form_values

MINUTES_PER_DAY = 24 * 60


@dataclass
class Block:
    kind: str  # free | booking | pending | own | blackout | changeover
    label: str
    time_text: str
    first_minute: int  # wall-clock minutes after local midnight, clipped to the day
    last_minute: int
    href: Optional[str] = None
    link_text: str = ""
    top: float = 0.0
    height: float = 0.0


@dataclass
class Column:
    title: str
    day: date
    blocks: list[Block] = field(default_factory=list)
    href: Optional[str] = None


@dataclass
class Grid:
    columns: list[Column]
    first_hour: int
    last_hour: int

    @property
    def hours(self) -> list[int]:
        return list(range(self.first_hour, self.last_hour))

    @property
    def height_hours(self) -> int:
        return self.last_hour - self.first_hour

    def top_of_hour(self, hour: int) -> float:
        return 100.0 * (hour - self.first_hour) / self.height_hours


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return clock_time.local_instant(day, 0, tz), clock_time.local_instant(day + timedelta(days=1), 0, tz)


def _minute(instant: datetime, tz: ZoneInfo, day: date) -> int:
    local = instant.astimezone(tz)
    if local.date() > day:
        return MINUTES_PER_DAY
    return local.hour * 60 + local.minute


@dataclass
class Item:
    start: datetime
    end: datetime
    kind: str
    label: str
    href: Optional[str] = None
    link_text: str = ""
    link_for: Optional[Callable[[datetime, datetime], str]] = None  # a link for the part shown on one day


def items_by_resource(data: CalendarData) -> dict[str, list[Item]]:
    """The busy and free time of each resource of ``data`` (by key) as its viewer may see it:
    bookings that hold time, with who and why only where the viewer may see them, changeover,
    blackouts, and free time with a link to the booking form."""
    items: dict[str, list[Item]] = {resource.key: [] for resource in data.resources}
    for booking in data.bookings:
        if booking.status in ACTIVE_STATUSES:
            items[booking.resource].append(_booking_item(booking))
    for key, start, end in data.changeovers:
        items[key].append(Item(start, end, "changeover", _("Changeover (cleaning)")))
    for blackout in data.blackouts:
        label = _("Closed: %(kind)s", kind=words_for(BLACKOUT_KIND_WORDS, blackout.kind))
        label += f" — {blackout.reason}" if blackout.reason else ""
        for key in [blackout.resource] if blackout.resource is not None else items:
            items[key].append(Item(blackout.start, blackout.end, "blackout", label))
    tz = ZoneInfo(data.facility.timezone)
    for key, spans in data.free.items():
        offer = _offer_link(data, key, tz)
        items[key] += [Item(start, end, "free", _("Free"), link_text=_("Book"), link_for=offer) for start, end in spans]
    return items


def _offer_link(data: CalendarData, resource_key: str, tz: ZoneInfo) -> Callable[[datetime, datetime], Optional[str]]:
    """The "Book" link of a part of the resource's free time that a column shows."""
    return lambda start, end: _booking_link(resource_key, data.first_booking(resource_key, (start, end)), tz)


def _booking_item(booking: CalendarBooking) -> Item:
    kind = "booking" if booking.status == "confirmed" else "pending"
    if not booking.details:
        return Item(booking.start, booking.end, kind, _("Booked") if kind == "booking" else _("Pending"))
    who = _("Your booking") if booking.own else booking.owner
    status = _("waiting for approval") if booking.status == "pending" else _("confirmed")
    label = f"{who} ({status})" + (f": {booking.purpose}" if booking.purpose else "")
    return Item(
        booking.start,
        booking.end,
        "own" if booking.own else kind,
        label,
        url_for("bookings_pages.booking_detail", booking_id=booking.id),
        _("Details"),
    )


def _booking_link(resource_key: str, offer: Optional[rules.Interval], tz: ZoneInfo) -> Optional[str]:
    """The booking form, filled with the first booking the free time offers (shortest length)."""
    if offer is None:
        return None
    start_date, start_time = form_values(offer[0], tz)
    end_date, end_time = form_values(offer[1], tz)
    query = {
        "resource": resource_key,
        "start_date": start_date,
        "start_time": start_time,
        "end_date": end_date,
        "end_time": end_time,
    }
    return url_for("bookings_pages.new_booking") + "?" + urlencode(query)


def column(title: str, day: date, tz: ZoneInfo, items: list[Item], href: Optional[str] = None) -> Column:
    """The items' parts that fall on local ``day``."""
    lo, hi = day_bounds(day, tz)
    col = Column(title, day, href=href)
    for item in sorted(items, key=lambda i: (i.start, i.end)):
        start, end = max(item.start, lo), min(item.end, hi)
        if start >= end:
            continue
        a, b = start.astimezone(tz), end.astimezone(tz)
        time_text = f"{a:%H:%M}–{b:%H:%M}" if end < hi else f"{a:%H:%M}–24:00"
        href = item.link_for(start, end) if item.link_for else item.href
        col.blocks.append(
            Block(
                item.kind,
                item.label,
                time_text,
                _minute(start, tz, day),
                max(_minute(end, tz, day), _minute(start, tz, day) + 1),
                href,
                item.link_text,
            )
        )
    return col


def grid(columns: list[Column], opening: list[tuple[int, int]]) -> Grid:
    """Place the blocks: the visible hours cover the opening hours and every block."""
    minutes = [m for pair in opening for m in pair] + [
        m for c in columns for b in c.blocks for m in (b.first_minute, b.last_minute)
    ]
    first = min(minutes, default=7 * 60) // 60
    last = min(24, -(-max(minutes, default=19 * 60) // 60))
    if last <= first:
        first, last = 0, 24
    g = Grid(columns, first, last)
    span = (last - first) * 60
    for c in columns:
        for b in c.blocks:
            b.top = 100.0 * (b.first_minute - first * 60) / span
            b.height = 100.0 * (b.last_minute - b.first_minute) / span
    return g


def opening_minutes(resource_or_facility) -> list[tuple[int, int]]:
    facility = getattr(resource_or_facility, "facility", resource_or_facility)
    spans = []
    for day_spans in facility.opening_hours.values():
        for text in day_spans:
            open_minute, close_minute = clock_time.parse_hours(text)
            spans.append((open_minute, close_minute if close_minute > open_minute else MINUTES_PER_DAY))
    return spans


def interactive(view: str, day: date, facility, grid: Grid, resource: Optional[Resource] = None, resources=()) -> dict:
    """What the interactive calendar (static/calendar.js) needs to start, for the page's
    ``data-`` attributes: its view, the day shown, the server's now (the clock the pages use, so
    that "now" is the server's, not the browser's), the facility's zone and the visible hours."""
    tz = ZoneInfo(facility.timezone)
    return {
        "view": view,
        "date": day.isoformat(),
        "now": clock_time.utcnow().astimezone(tz).replace(tzinfo=None).isoformat(timespec="seconds"),
        "timezone": facility.timezone,
        "facility": facility.key,
        "resource": resource.key if resource else "",
        "resources": [{"key": r.key, "name": r.name} for r in resources],
        "first_hour": grid.first_hour,
        "last_hour": grid.last_hour,
    }
