"""The rules of a bundle as plain functions: no app, no database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from facility.bookings import bundle_rules, rules
from facility.core.errors import Violation

UTC = timezone.utc
STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 11, 25, 8, tzinfo=UTC)
TUESDAY_9 = datetime(2026, 12, 1, 9, tzinfo=STOCKHOLM)


def member(key, *, requires=(), taken=(), extra=(), **policy) -> bundle_rules.Member:
    values = dict(
        slot_minutes=60, min_minutes=60, max_minutes=600, lead_minutes=0, horizon_days=90, changeover_minutes=0
    )
    hours = rules.OpeningHours(STOCKHOLM, {d: ((360, 1320),) for d in range(5)})
    ctx = rules.BookingContext(rules.Policy(**(values | policy)), hours, NOW, taken=list(taken))
    return bundle_rules.Member(key, key.title(), tuple(requires), ctx, tuple(extra))


def check(members, start=TUESDAY_9, hours=4, keys=None):
    keys = keys if keys is not None else [m.key for m in members]
    return bundle_rules.check_bundle(start, start + timedelta(hours=hours), keys, members)


def found(violations) -> list[tuple[str, str]]:
    return [(v.code, v.field) for v in violations]


def test_a_suite_with_its_isolator_breaks_no_rule():
    assert check([member("suite"), member("isolator", requires=["suite"])]) == []


def test_each_member_keeps_its_own_rules_and_the_violation_names_it():
    taken = [(TUESDAY_9 + timedelta(hours=3), TUESDAY_9 + timedelta(hours=6))]
    violations = check([member("suite"), member("isolator", taken=taken, qualification="gmp-basic")])
    assert found(violations) == [("not_qualified", "isolator.resource"), ("overlap", "isolator.start")]
    assert violations[1].message.startswith("Isolator: This time is already booked")


def test_a_rule_every_member_breaks_alike_is_said_once():
    violations = check([member("suite"), member("freezer")], start=datetime(2026, 11, 24, 9, tzinfo=STOCKHOLM))
    assert found(violations) == [("in_past", "start")]


def test_the_changeover_is_each_members_own():
    """The bundle 09-13 is followed by each member's own cleaning: 2 h for the suite (until 15:00),
    none for the freezer; so a booking from 14:00 stops the suite only."""
    later = [(TUESDAY_9 + timedelta(hours=5), TUESDAY_9 + timedelta(hours=7))]  # 14:00-16:00
    assert found(check([member("suite", changeover_minutes=120, taken=later), member("freezer", taken=later)])) == [
        ("overlap", "suite.start")
    ]


def test_bundle_rules_retired_out_of_service_required_duplicate_too_small():
    retired = member("freezer", retired=True)
    broken = member("cabinet", status="out_of_service")
    assert found(check([member("suite"), retired, broken])) == [
        ("bundle_retired", "freezer.resource"),
        ("bundle_retired", "cabinet.resource"),
    ]
    assert found(check([member("isolator", requires=["suite"]), member("freezer")])) == [
        ("requires_resource", "isolator.resource")
    ]
    assert found(check([member("suite")], keys=["suite", "suite"])) == [
        ("bundle_duplicate", "resources"),
        ("bundle_too_small", "resources"),
    ]


def test_further_checks_are_per_member():
    extra = [Violation("batch_required", "At a GMP facility, give the batch or lot number.", "batch")]
    violations = check([member("suite", extra=extra), member("freezer")])
    assert found(violations) == [("batch_required", "suite.batch")]


def test_a_bundle_waits_for_approval_if_any_member_needs_it():
    assert bundle_rules.initial_status([member("suite", requires_approval=True), member("freezer")]) == "pending"
    assert bundle_rules.initial_status([member("suite"), member("freezer")]) == "confirmed"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10), st.integers(1, 6), st.booleans(), st.integers(0, 3)), min_size=2, max_size=4
    ),
    st.integers(0, 12),
    st.integers(1, 6),
)
def test_a_bundle_is_allowed_exactly_when_every_member_alone_is(specs, start_hour, hours):
    """All or nothing, as a property: no violation for the bundle if and only if each member's
    own booking would be accepted (when the bundle rules themselves hold)."""
    members = []
    for index, (taken_hour, taken_hours, qualified, changeover_hours) in enumerate(specs):
        taken_start = TUESDAY_9 + timedelta(hours=taken_hour - 3)
        members.append(
            member(
                f"r{index}",
                taken=[(taken_start, taken_start + timedelta(hours=taken_hours))],
                qualification=None if qualified else "q",
                changeover_minutes=60 * changeover_hours,
            )
        )
    start = TUESDAY_9 + timedelta(hours=start_hour - 3)
    end = start + timedelta(hours=hours)
    alone = [rules.check_booking(start, end, m.ctx) for m in members]
    assert (check(members, start=start, hours=hours) == []) == all(v == [] for v in alone)
