"""Free means bookable: the availability answer and the booking check are one truth.

hypothesis draws a resource of ``instruments.yaml`` (its rules and its facility's opening hours
and closed days), a "now" near a daylight-saving change, a holiday or a leap day, bookings and
blackouts already there, and a window. Then:

- every booking the answer offers (inside a free window, start in ``starts``, end in ``ends``,
  on the grid, of an allowed length) breaks no rule for a qualified requester with quota to
  spare;
- every booking that breaks no rule is one the answer offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from facility.bookings import rules
from facility.bookings.services import hours_for
from facility.catalog.loader import read_catalog
from tests.bookings.offers import ends_for, offered, starts_in

ROOT = Path(__file__).resolve().parents[2]
CATALOG = read_catalog(ROOT / "instruments.yaml")
RESOURCES = [(f, r) for f in CATALOG.facilities for r in f.resources]
UTC = timezone.utc
STOCKHOLM = ZoneInfo("Europe/Stockholm")

# Where calendars break: DST changes (spring forward, fall back), Christmas and the turn of the
# year, midsummer, Easter, a leap day; "now" is drawn within a few days of one of them.
ANCHORS = [
    datetime(*day, 12, tzinfo=STOCKHOLM).astimezone(UTC)
    for day in (
        (2026, 10, 25),
        (2027, 3, 28),
        (2027, 10, 31),
        (2028, 3, 26),
        (2026, 12, 20),
        (2026, 12, 31),
        (2027, 6, 25),
        (2028, 4, 14),
        (2028, 2, 29),
        (2026, 11, 10),
    )
]


def policy_of(spec) -> rules.Policy:
    return rules.Policy(
        slot_minutes=spec.slot_minutes,
        min_minutes=spec.min_minutes,
        max_minutes=spec.max_minutes,
        lead_minutes=spec.lead_minutes,
        horizon_days=spec.horizon_days,
        changeover_minutes=spec.changeover_minutes,
        requires_approval=spec.requires_approval,
        runs_unattended=spec.runs_unattended,
        qualification=spec.qualification,
        quota_hours_per_week=spec.quota_hours_per_week,
    )


@dataclass(frozen=True)
class Situation:
    """A resource of the catalogue, "now", a window to ask about, and what is already there."""

    facility: object  # a FacilitySpec of instruments.yaml
    resource: object  # one of its ResourceSpecs
    now: datetime
    window: rules.Interval
    bookings: tuple[rules.Interval, ...]  # other people's, [start, end)
    blackouts: tuple[rules.Interval, ...]

    @property
    def policy(self) -> rules.Policy:
        return policy_of(self.resource)

    def context(self) -> rules.BookingContext:
        """The rules' facts for a requester who holds the qualification and has quota to spare."""
        policy = self.policy
        qualified = {policy.qualification: date(2100, 1, 1)} if policy.qualification else {}
        taken = [(s, rules.blocked_until(e, policy)) for s, e in self.bookings]
        return rules.BookingContext(
            policy=policy,
            hours=hours_for(self.facility),
            now=self.now,
            blackouts=self.blackouts,
            taken=taken,
            qualifications=qualified,
        )


@st.composite
def situations(draw, among=RESOURCES) -> Situation:
    """Soon or around the horizon, with bookings and blackouts near the window (a resource of ``among``)."""
    facility, resource = draw(st.sampled_from(among))
    policy = policy_of(resource)
    now = draw(st.sampled_from(ANCHORS)) + timedelta(seconds=draw(st.integers(-5 * 86400, 5 * 86400)))
    if draw(st.booleans()):  # soon
        window_start = now + timedelta(minutes=draw(st.integers(-1440, 10 * 1440)))
        window = (window_start, window_start + timedelta(hours=draw(st.integers(6, 14 * 24))))
    else:  # around the horizon
        horizon = now + timedelta(days=policy.horizon_days)
        window_start = horizon - timedelta(hours=draw(st.integers(1, 5 * 24)))
        window = (window_start, horizon + timedelta(hours=draw(st.integers(1, 5 * 24))))
    slot = timedelta(minutes=policy.slot_minutes)

    def near_window():
        steps = draw(st.integers(-2 * 1440 // policy.slot_minutes, 14 * 1440 // policy.slot_minutes))
        return rules.next_slot(
            window_start.replace(second=0, microsecond=0) + steps * slot, policy.slot_minutes, STOCKHOLM
        )

    bookings, held = [], []  # as the database keeps them: apart, changeover included
    for _ in range(draw(st.integers(0, 5))):
        start = near_window()
        end = start + timedelta(
            minutes=draw(
                st.integers(
                    policy.min_minutes // policy.slot_minutes, min(policy.max_minutes, 3 * 1440) // policy.slot_minutes
                )
            )
            * policy.slot_minutes
        )
        span = (start, rules.blocked_until(end, policy))
        if not any(rules.overlaps(span, other) for other in held):
            bookings.append((start, end))
            held.append(span)
    blackouts = []
    for _ in range(draw(st.integers(0, 2))):
        start = near_window() + timedelta(minutes=draw(st.integers(-59, 59)))
        blackouts.append((start, start + timedelta(minutes=draw(st.integers(1, 3 * 1440)))))
    return Situation(facility, resource, now, window, tuple(bookings), tuple(blackouts))


def draw_offer(data, bookable: rules.Bookable, policy) -> Optional[rules.Interval]:
    """A booking the answer offers, drawn by hypothesis (None if the window offers none)."""
    if not bookable.free:
        return None
    free = data.draw(st.sampled_from(bookable.free))
    starts = starts_in(free, bookable, policy.slot_minutes)
    if not starts:
        return None
    start = data.draw(st.sampled_from(starts))
    ends = ends_for(start, free, bookable, policy)
    return (start, data.draw(st.sampled_from(ends))) if ends else None


def draw_candidate(data, situation: Situation) -> Optional[rules.Interval]:
    """Any booking on the grid in the window, often at an edge the rules care about: where
    something taken or a blackout ends, at the earliest start, at the horizon, at an opening;
    and with its changeover ending just where a booking begins."""
    ctx, policy, window = situation.context(), situation.policy, situation.window
    edges = [held for _, held in ctx.taken] + [b for _, b in ctx.blackouts] + [rules.earliest_start(ctx)]
    edges += [s for s, _ in ctx.hours.intervals(window)]
    horizon = rules.latest_end(ctx) - timedelta(minutes=policy.slot_minutes * data.draw(st.integers(0, 24)))
    start = data.draw(st.one_of(st.sampled_from(edges), st.just(horizon), st.just(None)))
    if start is None:
        start = window[0] + (window[1] - window[0]) * data.draw(st.floats(0, 1))
    start += timedelta(minutes=policy.slot_minutes * data.draw(st.integers(0, 6)))
    start = rules.next_slot(start, policy.slot_minutes, STOCKHOLM)
    shortest, longest = policy.min_minutes // policy.slot_minutes, policy.max_minutes // policy.slot_minutes
    steps = data.draw(st.one_of(st.integers(shortest, min(longest, shortest + 8)), st.integers(shortest, longest)))
    end = rules.next_slot(start + timedelta(minutes=steps * policy.slot_minutes), policy.slot_minutes, STOCKHOLM)
    next_taken = [s - timedelta(minutes=policy.changeover_minutes) for s, _ in ctx.taken if s > start]
    if next_taken and data.draw(st.booleans()):
        end = rules.previous_slot(min(next_taken), policy.slot_minutes, STOCKHOLM)
    if not (window[0] <= start < end <= window[1]):
        return None
    return start, end


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Most candidates break some rule; enough examples that about a hundred are accepted.
MANY = settings(SETTINGS, max_examples=1000)


@SETTINGS
@given(situations(), st.data())
def test_every_offered_booking_is_accepted(situation, data):
    ctx, policy = situation.context(), situation.policy
    bookable = rules.bookable_time(situation.window, ctx)
    cut_off = rules.previous_slot(situation.window[1], policy.slot_minutes, STOCKHOLM)
    for free in bookable.free:
        assert rules.minutes(free) >= policy.min_minutes or free[1] == cut_off
        assert all(rules.next_slot(t, policy.slot_minutes, STOCKHOLM) == t for t in free)
    offer = draw_offer(data, bookable, policy)
    if offer is not None:
        event("an offered booking was checked")
        assert rules.check_booking(*offer, ctx) == [], (offer, bookable)


@MANY
@given(situations(), st.data())
def test_every_accepted_booking_is_offered(situation, data):
    ctx = situation.context()
    candidate = draw_candidate(data, situation)
    if candidate is not None and rules.check_booking(*candidate, ctx) == []:
        event("an accepted booking was checked")
        assert offered(candidate, rules.bookable_time(situation.window, ctx)), candidate


def test_the_first_offered_booking_is_accepted_for_every_resource():
    """At each anchor, for every resource of the catalogue, the earliest, shortest booking offered."""
    for facility, resource in RESOURCES:
        policy = policy_of(resource)
        for now in ANCHORS:
            ctx = rules.BookingContext(
                policy=policy,
                hours=hours_for(facility),
                now=now,
                qualifications={policy.qualification: date(2100, 1, 1)},
            )
            bookable = rules.bookable_time((now, now + timedelta(days=14)), ctx)
            first = rules.first_booking(bookable, policy, STOCKHOLM)
            assert first is not None, (resource.key, now)
            assert offered(first, bookable)
            assert rules.check_booking(*first, ctx) == [], (resource.key, now, first)
