"""The rules of a bundle (a suite with its equipment, booked all or nothing), as plain functions.

No Flask, no database. A bundle of [start, end) is allowed when each member passes
``rules.check_booking`` on its own facts (its own policy, opening hours, taken time with its
own changeover, the requester's qualifications) and the bundle as a whole keeps the bundle
rules: at least two resources, each named once, none retired or out of service
(``bundle_retired``), and every resource a member ``requires`` is in the bundle
(``requires_resource``). ``check_bundle`` returns every violation of every member at once.

A member's violation names the member: its message starts with the resource's name and its
field is ``<resource key>.<field>`` (``sus-isolator.start``). A violation that every member
has alike (the end before the start, a start in the past) is said once, as for one booking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Sequence

from facility.bookings import rules
from facility.core.errors import Violation
from facility.core.words import N_

MIN_MEMBERS = 2


@dataclass(frozen=True)
class Member:
    """One resource of a bundle request, with the facts the rules need of it."""

    key: str
    name: str
    requires: tuple[str, ...]
    ctx: rules.BookingContext
    extra: tuple[Violation, ...] = ()  # further checks of the request (REQUEST_CHECKS: GMP product and batch)

    @property
    def retired(self) -> bool:
        return self.ctx.policy.retired

    @property
    def unavailable(self) -> bool:
        return self.retired or self.ctx.policy.status != "available"


def bundle_violations(keys: Sequence[str], members: Sequence[Member]) -> list[Violation]:
    """The rules of the bundle as a whole: ``keys`` as the request named them, ``members`` the
    resources found for them (each once)."""
    problems = []
    repeated = sorted({k for k in keys if list(keys).count(k) > 1})
    if repeated:
        problems.append(
            Violation.worded(
                "bundle_duplicate",
                N_("Name each resource once (%(repeated)s more than once)."),
                "resources",
                repeated=", ".join(repeated),
            )
        )
    if len(members) < MIN_MEMBERS:
        problems.append(
            Violation.worded("bundle_too_small", N_("A bundle holds at least two different resources."), "resources")
        )
    for member in members:
        if member.unavailable:
            problems.append(
                Violation.worded(
                    "bundle_retired", _unavailable_text(member), f"{member.key}.resource", resource=member.name
                )
            )
    named = {m.key for m in members}
    for member in members:
        missing = [k for k in member.requires if k not in named]
        if missing:
            problems.append(requires_violation(member.key, member.name, missing))
    return problems


def requires_violation(key: str, name: str, missing: Sequence[str]) -> Violation:
    return Violation.worded(
        "requires_resource",
        N_("%(resource)s can only be booked together with %(missing)s, in one booking for the same time."),
        f"{key}.resource",
        resource=name,
        missing=", ".join(missing),
    )


def _unavailable_text(member: Member) -> str:
    if member.retired:
        return N_("%(resource)s has been retired: the bundle cannot be booked without it.")
    if member.ctx.policy.status == "maintenance":
        return N_("%(resource)s is under maintenance: the bundle cannot be booked without it.")
    return N_("%(resource)s is out of service: the bundle cannot be booked without it.")


def check_bundle(start: datetime, end: datetime, keys: Sequence[str], members: Sequence[Member]) -> list[Violation]:
    """Every rule that a bundle of ``members`` for [start, end) breaks; empty if it may be booked."""
    per_member = [(m, _member_checks(start, end, m)) for m in members]
    shared = _shared(per_member)
    violations = bundle_violations(keys, members) + list(shared)
    for member, found in per_member:
        violations.extend(_named(member, v) for v in found if v not in shared)
    return violations


def _member_checks(start: datetime, end: datetime, member: Member) -> list[Violation]:
    found = rules.check_booking(start, end, member.ctx) + list(member.extra)
    if member.unavailable:  # said once for the bundle, as bundle_retired
        found = [v for v in found if v.code != "resource_unavailable"]
    return found


def _shared(per_member: list[tuple[Member, list[Violation]]]) -> list[Violation]:
    """The violations every member has alike (same code, message and field), in order."""
    if len(per_member) < 2:
        return []
    first, *rest = (found for _, found in per_member)
    return [v for v in first if all(v in found for found in rest)]


def _named(member: Member, violation: Violation) -> Violation:
    field: Optional[str] = f"{member.key}.{violation.field}" if violation.field else member.key
    return Violation.worded(
        violation.code, N_("%(member)s: %(problem)s"), field, member=member.name, problem=violation.wording
    )


def initial_status(members: Sequence[Member]) -> str:
    """Pending for every member where any member needs approval: the bundle is decided once."""
    return "pending" if any(m.ctx.policy.requires_approval for m in members) else "confirmed"
