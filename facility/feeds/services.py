"""Calendar feeds: subscribe, revoke, regenerate; and what a feed holds.

A feed's URL carries a secret of 256 bits, derived from a random per-feed nonce and the
app's secret key, so the owner can be shown the URL again while the database holds only
the nonce and the secret's SHA-256 (a copy of the database alone opens no feed). Rotating
the secret key therefore changes every feed URL.

A feed covers a window, whole UTC days from ``WINDOW_BACK`` ago to the booking horizon of
what it follows. Its ETag names the newest change, noted by the database, to the bookings and
blackouts it follows, so a conditional GET is answered by a few index seeks.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import NamedTuple, Optional
from urllib.parse import urlparse

from sqlalchemy import ScalarSelect, Select, String, and_, bindparam, case, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from facility import audit
from facility.accounts.models import Organisation, User
from facility.bookings import states
from facility.bookings.models import Blackout, Booking
from facility.bookings.services import get_booking
from facility.catalog.models import Facility, Resource
from facility.catalog.services import get_facility, get_resource
from facility.core.access import may_see_details
from facility.core.database import write_transaction
from facility.core.errors import invalid, not_found
from facility.core.extensions import db
from facility.core.time import utcnow
from facility.feeds import ical
from facility.feeds.models import FEED_SCOPES, CalendarFeed, FeedChange, StoredEvent

WINDOW_BACK = timedelta(days=90)
CANCELLED_KEPT = timedelta(days=30)  # a cancelled booking stays (as CANCELLED) so clients remove it
POLLED_EVERY = timedelta(hours=1)  # how often a feed's last poll time is written down
FORMAT_VERSION = "2"  # part of every ETag: change it when the document's layout changes
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
SHOWN_STATUSES = states.values(states.SHOWN)
WITHDRAWN_STATUSES = states.values(states.WITHDRAWN)
# What a feed's owner sees of a booking (the variants of its stored event): everything, or
# "Booked" as a facility feed or a resource feed writes it.
DETAILED, ANONYMOUS, ANONYMOUS_RESOURCE = "detailed", "anonymous", "anonymous-resource"


# --- subscriptions ---------------------------------------------------------------------


def create_feed(actor: User, scope: str, target: Optional[str], key: bytes) -> tuple[CalendarFeed, str]:
    """A new feed of ``actor``'s: their own bookings (scope user), a resource's or a facility's."""
    with write_transaction():
        feed = CalendarFeed(user=actor, scope=scope, **_target_of(scope, target))
        secret = _new_secret(feed, key)
        db.session.add(feed)
        audit.record(actor, "calendar_feed.created", feed, after={"scope": scope, "target": feed.target})
        return feed, secret


def list_feeds(actor: User) -> list[CalendarFeed]:
    """The caller's live feeds, oldest first."""
    return list(
        db.session.scalars(
            select(CalendarFeed)
            .where(CalendarFeed.user_id == actor.id, CalendarFeed.revoked_at.is_(None))
            .order_by(CalendarFeed.id)
        )
    )


def revoke_feed(actor: User, feed_id: int) -> CalendarFeed:
    """From now on the feed's URL answers 404."""
    with write_transaction():
        feed = _own_live_feed(actor, feed_id)
        feed.revoked_at = utcnow()
        audit.record(actor, "calendar_feed.revoked", feed, before={"scope": feed.scope, "target": feed.target})
        return feed


def regenerate_feed(actor: User, feed_id: int, key: bytes) -> tuple[CalendarFeed, str]:
    """A new URL for the same feed (say, after it was shared by mistake); the old one answers 404."""
    with write_transaction():
        feed = _own_live_feed(actor, feed_id)
        secret = _new_secret(feed, key)
        audit.record(actor, "calendar_feed.regenerated", feed, after={"scope": feed.scope, "target": feed.target})
        return feed, secret


def feed_secret(feed: CalendarFeed, key: bytes) -> str:
    digest = hmac.new(key, b"calendar-feed:" + feed.nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def feed_for_secret(secret: str) -> Optional[CalendarFeed]:
    """The live feed of a live user that ``secret`` opens; None for anything else, alike."""
    if not SECRET_PATTERN.fullmatch(secret):
        return None
    # With its owner and the facilities they manage (the feed's ETag names them): one query.
    feed = (
        db.session.scalars(
            select(CalendarFeed)
            .where(CalendarFeed.secret_hash == _hash(secret))
            .options(joinedload(CalendarFeed.user).joinedload(User.facilities))
        )
        .unique()
        .first()
    )
    if feed is None or feed.revoked_at is not None or not feed.user.is_active:
        return None
    return feed


def note_poll(feed: CalendarFeed, now: datetime) -> None:
    """Remember that a calendar fetched the feed (shown on the subscribe page), at most hourly."""
    if feed.last_polled_at is not None and now - feed.last_polled_at < POLLED_EVERY:
        return
    with write_transaction():
        db.session.execute(update(CalendarFeed).where(CalendarFeed.id == feed.id).values(last_polled_at=now))


def _target_of(scope: str, target: Optional[str]) -> dict:
    if scope not in FEED_SCOPES:
        raise invalid("invalid", f"Scope must be one of {', '.join(FEED_SCOPES)}.", "scope")
    if scope == "user":
        if target:
            raise invalid("invalid", "A feed of your own bookings has no target; leave it out.", "target")
        return {}
    if not target:
        raise invalid("invalid", f"Say which {scope} to follow: give its key as the target.", "target")
    if scope == "resource":
        resource = get_resource(target, "target")
        if resource.is_retired:
            raise not_found("resource", "target")
        return {"resource": resource}
    return {"facility": get_facility(target, "target")}


def _own_live_feed(actor: User, feed_id: int) -> CalendarFeed:
    feed = db.session.get(CalendarFeed, feed_id)
    if feed is None or feed.user_id != actor.id or feed.revoked_at is not None:
        raise not_found("calendar feed")
    return feed


def _new_secret(feed: CalendarFeed, key: bytes) -> str:
    feed.nonce = secrets.token_hex(32)
    secret = feed_secret(feed, key)
    feed.secret_hash = _hash(secret)
    return secret


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- what a feed holds -------------------------------------------------------------------


@dataclass(frozen=True)
class FeedWindow:
    start: datetime
    end: datetime
    withdrawn_since: datetime  # cancelled and rejected bookings changed since then are kept
    today: datetime  # UTC midnight: the window moves once a day


@dataclass(frozen=True)
class FeedVersion:
    etag: str
    last_modified: datetime


def window_for(feed: CalendarFeed, now: datetime) -> FeedWindow:
    today = datetime.combine(now.astimezone(timezone.utc).date(), time(), timezone.utc)
    return FeedWindow(
        start=today - WINDOW_BACK,
        end=today + timedelta(days=_horizon_days(feed) + 1),
        withdrawn_since=today - CANCELLED_KEPT,
        today=today,
    )


def feed_version(feed: CalendarFeed, window: FeedWindow) -> FeedVersion:
    """ETag and Last-Modified of the feed's document, without building it: the newest change
    (``FeedChange``, noted by the database) of the bookings and blackouts the feed follows,
    beside what else decides the document (the owner's standing, the window's day)."""
    followed = {
        "user_id": feed.user_id,
        "resource_id": feed.resource_id,
        "facility_id": feed.resource.facility_id if feed.scope == "resource" else feed.facility_id,
    }
    latest = db.session.execute(_latest_change(feed.scope), followed).one()
    summary = repr(
        (
            FORMAT_VERSION,
            feed.id,
            feed.user_id,
            viewer_standing(feed.user),  # what the owner may see of others' bookings
            feed.scope,
            feed.facility_id,
            feed.resource_id,
            window.today.date().isoformat(),
            tuple(latest),
        )
    )
    changes = [moment for moment in (latest.changed_at, feed.created_at) if moment is not None]
    return FeedVersion(
        etag=hashlib.sha256(summary.encode()).hexdigest()[:32], last_modified=max([window.today, *changes])
    )


@functools.cache
def _latest_change(scope: str) -> Select:
    """One row for a feed of ``scope``: the id and time of the newest change to what it follows,
    and how many things it follows (a facility's resources and its blackouts); one index seek
    each. Built once per scope (parameters: user_id, resource_id, facility_id)."""

    def newest(kind: str, target) -> ScalarSelect:
        return (
            select(FeedChange.id)
            .where(FeedChange.kind == kind, FeedChange.target_id == target)
            .order_by(FeedChange.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    facility_id = bindparam("facility_id")
    followed = {
        "user": select(newest("user", bindparam("user_id")).label("id")),
        "resource": select(newest("resource", bindparam("resource_id")).label("id")).union_all(
            select(newest("blackouts", facility_id))
        ),
        "facility": select(newest("resource", Resource.id).label("id"))
        .where(Resource.facility_id == facility_id)
        .union_all(select(newest("blackouts", facility_id))),
    }[scope].subquery()
    newest_of_all = select(func.max(followed.c.id).label("id"), func.count().label("followed")).subquery()
    return select(newest_of_all.c.id, newest_of_all.c.followed, FeedChange.changed_at).select_from(
        newest_of_all.outerjoin(FeedChange, FeedChange.id == newest_of_all.c.id)
    )


def viewer_standing(user: User) -> tuple:
    """What decides, beside the bookings, how much of them the user's feeds show."""
    return (user.role, tuple(sorted(f.id for f in user.facilities)))


def feed_document(feed: CalendarFeed, window: FeedWindow, base_url: str, refresh: timedelta) -> bytes:
    """The feed's iCalendar document: its bookings' stored VEVENTs (table ``feed_events``, shared by
    every worker and host) joined in order, then its blackouts. Only a booking whose stored event
    is missing or out of date (its ``updated_at`` or ``sequence`` moved, or the base URL or the
    catalogue's names changed) is serialised again, and stored for every worker after."""
    name = feed_name(feed)
    context = _event_context(base_url)
    variant = _variant_of(feed)
    # Through the Core connection: ten thousand plain rows, no ORM row handling.
    rows = (
        db.session.connection()
        .execute(
            select(Booking.id, variant, StoredEvent.body)
            .join(Booking.resource)
            .outerjoin(
                StoredEvent,
                and_(
                    StoredEvent.booking_id == Booking.id,
                    StoredEvent.variant == variant,
                    StoredEvent.updated_at == Booking.updated_at,
                    StoredEvent.sequence == Booking.sequence,
                    StoredEvent.context == context,
                ),
            )
            .where(*_booking_filter(feed, window))
            .order_by(Booking.start_at, Booking.id)
        )
        .all()
    )
    blackouts = []
    if feed.scope != "user":
        blackouts = [
            ical.vevent_text(_blackout_event(b, base_url)).encode()
            for b in db.session.scalars(
                select(Blackout).where(*_blackout_filter(feed, window)).order_by(Blackout.start_at, Blackout.id)
            )
        ]
    missing = {booking_id: kind for booking_id, kind, body in rows if body is None}
    fresh = _serialise_and_store(missing, base_url, context) if missing else {}
    return ical.calendar_document(
        name,
        [body if body is not None else fresh[booking_id] for booking_id, _kind, body in rows] + blackouts,
        refresh=refresh,
        description="Bookings from facility, the ATMP lab booking service.",
    )


def _variant_of(feed: CalendarFeed):
    """What the feed's owner sees of each booking, as an SQL expression: the privacy rule
    (core.access.may_see_details) over the feed's facility, for each booking's owner."""
    if feed.scope == "user":  # only the owner's own bookings
        return literal(DETAILED, String).label("variant")
    facility = feed.resource.facility if feed.scope == "resource" else feed.facility
    anonymous = ANONYMOUS_RESOURCE if feed.scope == "resource" else ANONYMOUS
    viewer = feed.user
    if may_see_details(viewer, None, facility):  # a manager of the facility: every booking's details
        return literal(DETAILED, String).label("variant")
    assert may_see_details(viewer, viewer.id, facility) and not may_see_details(viewer, -1, facility)
    return case((Booking.user_id == viewer.id, DETAILED), else_=anonymous).label("variant")


def _event_context(base_url: str) -> str:
    """What a stored event depends on beside its booking: the base URL, the document format and the
    names and locations of the catalogue (one small query). A change of any makes every stored
    event out of date."""
    catalogue = db.session.execute(
        select(Resource.id, Resource.key, Resource.name, Resource.location, Facility.name, Facility.location)
        .join(Resource.facility)
        .order_by(Resource.id)
    ).all()
    summary = repr((FORMAT_VERSION, base_url, [tuple(row) for row in catalogue]))
    return hashlib.sha256(summary.encode()).hexdigest()[:32]


def _serialise_and_store(missing: dict[int, str], base_url: str, context: str) -> dict[int, bytes]:
    """Serialise the bookings ``missing`` names (id -> variant) and store their events."""
    ids = sorted(missing)
    fresh: dict[int, bytes] = {}
    stored: list[dict] = []
    for chunk in range(0, len(ids), 500):
        for facts in _booking_facts(ids[chunk : chunk + 500]):
            kind = missing[facts.id]
            body = ical.vevent_text(_event_of(facts, kind, base_url)).encode()
            fresh[facts.id] = body
            stored.append(
                dict(
                    booking_id=facts.id,
                    variant=kind,
                    updated_at=facts.updated_at,
                    sequence=facts.sequence,
                    context=context,
                    body=body,
                )
            )
    with write_transaction():
        insert = (postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert)(
            StoredEvent
        )
        db.session.connection().execute(
            insert.on_conflict_do_update(
                index_elements=["booking_id", "variant"],
                set_={column: insert.excluded[column] for column in ("updated_at", "sequence", "context", "body")},
            ),
            stored,
        )
    return fresh


class BookingFacts(NamedTuple):
    """What a booking's event is written from, read in one query (no object per row; a named
    tuple, made ten thousand times for a feed built cold)."""

    id: int
    user_id: int
    start_at: datetime
    end_at: datetime
    status: str
    sequence: int
    updated_at: datetime
    purpose: str
    project: Optional[str]
    decision_reason: str
    user_name: str
    organisation_name: str
    resource_key: str
    resource_name: str
    location: str
    series_id: Optional[int] = None  # the recurring series it is an occurrence of


@functools.cache
def _booking_facts_statement() -> Select:
    return (
        select(
            Booking.id,
            Booking.user_id,
            Booking.start_at,
            Booking.end_at,
            Booking.status,
            Booking.sequence,
            Booking.updated_at,
            Booking.purpose,
            Booking.project,
            Booking.decision_reason,
            User.name,
            Organisation.name,
            Resource.key,
            Resource.name,
            Booking.series_id,
            Resource.location,
            Facility.name,
            Facility.location,
        )
        .join(Booking.user)
        .join(User.organisation)
        .join(Booking.resource)
        .join(Resource.facility)
        .where(Booking.id.in_(bindparam("ids", expanding=True)))
    )


def _booking_facts(ids: list[int]) -> list[BookingFacts]:
    rows = db.session.connection().execute(_booking_facts_statement(), {"ids": ids}).all()
    return [
        BookingFacts(*row[:14], series_id=row[14], location=", ".join(part for part in row[15:] if part))
        for row in rows
    ]


def _facts_of(booking: Booking) -> BookingFacts:
    return BookingFacts(
        id=booking.id,
        user_id=booking.user_id,
        start_at=booking.start_at,
        end_at=booking.end_at,
        status=booking.status,
        sequence=booking.sequence,
        updated_at=booking.updated_at,
        purpose=booking.purpose,
        project=booking.project,
        decision_reason=booking.decision_reason,
        user_name=booking.user.name,
        organisation_name=booking.user.organisation.name,
        resource_key=booking.resource.key,
        resource_name=booking.resource.name,
        location=_location(booking.resource),
        series_id=booking.series_id,
    )


def booking_document(actor: User, booking_id: int, base_url: str) -> tuple[bytes, str]:
    """One booking as an .ics file (METHOD:PUBLISH) for its owner or a manager; and a file name."""
    booking = get_booking(actor, booking_id)
    event = _event_of(_facts_of(booking), DETAILED, base_url)
    return ical.build_calendar(booking.resource.name, [event]), f"booking-{booking.id}.ics"


def feed_name(feed: CalendarFeed) -> str:
    if feed.scope == "resource":
        return f"{feed.resource.name} · facility"
    if feed.scope == "facility":
        return f"{feed.facility.name} · facility"
    return "My bookings · facility"


def _horizon_days(feed: CalendarFeed) -> int:
    if feed.scope == "resource":
        return feed.resource.horizon_days
    query = select(func.max(Resource.horizon_days))
    if feed.scope == "facility":
        query = query.where(Resource.facility_id == feed.facility_id)
    return db.session.scalar(query) or 0


def _booking_filter(feed: CalendarFeed, window: FeedWindow) -> list:
    in_scope = {
        "user": Booking.user_id == feed.user_id,
        "resource": Booking.resource_id == feed.resource_id,
        "facility": Resource.facility_id == feed.facility_id,
    }[feed.scope]
    return [
        in_scope,
        Booking.start_at < window.end,
        Booking.end_at > window.start,
        or_(
            Booking.status.in_(SHOWN_STATUSES),
            and_(Booking.status.in_(WITHDRAWN_STATUSES), Booking.updated_at >= window.withdrawn_since),
        ),
    ]


def _blackout_filter(feed: CalendarFeed, window: FeedWindow) -> list:
    if feed.scope == "resource":
        return list(Blackout.covering(feed.resource.facility_id, feed.resource_id, window.start, window.end))
    return [Blackout.facility_id == feed.facility_id, Blackout.start_at < window.end, Blackout.end_at > window.start]


def _event_of(booking: BookingFacts, variant: str, base_url: str) -> ical.FeedEvent:
    """The booking as an event. ``variant`` says what the feed's owner may see of it (see
    ``_variant_of``): its details, or just "Booked" (in a facility feed, with the resource's name)."""
    common = dict(
        uid=f"booking-{booking.id}@{_host(base_url)}",
        start=booking.start_at,
        end=booking.end_at,
        status=ical.ICAL_STATUS[booking.status],
        sequence=booking.sequence,
        modified=booking.updated_at,
        location=booking.location,
    )
    if variant != DETAILED:
        summary = "Booked" if variant == ANONYMOUS_RESOURCE else f"Booked: {booking.resource_name}"
        return ical.FeedEvent(summary=summary, url=f"{base_url}/resources/{booking.resource_key}/week", **common)
    return ical.FeedEvent(
        summary=_own_summary(booking),
        description=_own_description(booking, base_url),
        url=f"{base_url}/bookings/{booking.id}",
        # Each occurrence stays its own event (own UID and SEQUENCE); the series only groups
        # them, for those who may see whose bookings they are.
        related_to=f"series-{booking.series_id}@{_host(base_url)}" if booking.series_id else None,
        **common,
    )


def _own_summary(booking: BookingFacts) -> str:
    name = booking.resource_name
    if booking.status == "pending":
        return f"{name} (awaiting approval)"
    if booking.status == "held":
        return f"{name} (held for you: accept or decline)"
    if booking.status in WITHDRAWN_STATUSES:
        return f"{name} ({booking.status})"
    return name


def _own_description(booking: BookingFacts, base_url: str) -> str:
    lines = [f"Booked by {booking.user_name} ({booking.organisation_name})."]
    if booking.purpose:
        lines.append(f"Purpose: {booking.purpose}")
    if booking.project:
        lines.append(f"Project: {booking.project}")
    if booking.status == "pending":
        lines.append("Waiting for a manager of the facility to approve it.")
    if booking.decision_reason and booking.status in WITHDRAWN_STATUSES:
        lines.append(f"Reason: {booking.decision_reason}")
    lines.append(f"{base_url}/bookings/{booking.id}")
    return "\n".join(lines)


def _blackout_event(blackout: Blackout, base_url: str) -> ical.FeedEvent:
    what = blackout.resource.name if blackout.resource else blackout.facility.name
    reason = f": {blackout.reason}" if blackout.reason else ""
    return ical.FeedEvent(
        uid=f"blackout-{blackout.id}@{_host(base_url)}",
        start=blackout.start_at,
        end=blackout.end_at,
        summary=f"Unavailable: {what} ({blackout.kind}){reason}",
        status="CONFIRMED",
        sequence=0,
        modified=blackout.created_at,
        location=_location(blackout.resource) if blackout.resource else blackout.facility.name,
    )


def _location(resource: Resource) -> str:
    facility = resource.facility
    return ", ".join(part for part in (resource.location, facility.name, facility.location) if part)


@functools.lru_cache(maxsize=16)  # a pure function of the configured URL, asked once per event
def _host(base_url: str) -> str:
    return urlparse(base_url).hostname or "facility"
