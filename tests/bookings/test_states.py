"""One booking state machine: the states and their changes (pure), the API's refusal, and a
scan of the source proving that only the booking service writes a booking's status."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest
from sqlalchemy import func, select

from facility.audit.models import AuditEvent
from facility.bookings import models, states
from facility.bookings.models import Booking
from facility.bookings.states import BookingStatus
from facility.core.errors import ServiceError
from facility.core.extensions import db
from tests.support.clients import error_codes
from tests.support.factory import local_slot

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "facility"
NAMES = ("pending", "confirmed", "rejected", "cancelled", "completed", "no_show", "held")

# Written out here, not read from ``states``, so that the table is checked against the design.
ALLOWED = {
    ("pending", "confirmed"),
    ("pending", "rejected"),
    ("pending", "cancelled"),
    ("confirmed", "cancelled"),
    ("confirmed", "completed"),
    ("confirmed", "no_show"),
    ("confirmed", "pending"),  # a reschedule that needs approval again
    ("held", "confirmed"),  # a waiting-list offer accepted (no approval needed)
    ("held", "pending"),  # accepted where the resource needs approval
    ("held", "cancelled"),  # declined, or the hold ran out
}
PAIRS = list(itertools.product(NAMES, NAMES))


# --- the states, pure -----------------------------------------------------------------------


def test_the_values_are_the_strings_the_database_api_and_feeds_use():
    assert [s.value for s in BookingStatus] == list(NAMES)
    assert BookingStatus("no_show") is BookingStatus.NO_SHOW
    assert BookingStatus.CONFIRMED == "confirmed" and str(BookingStatus.CONFIRMED) == "confirmed"
    assert f"{BookingStatus.NO_SHOW}" == "no_show"
    assert models.BOOKING_STATUSES == NAMES
    assert models.ACTIVE_STATUSES == ("pending", "confirmed", "held")
    assert all(type(s) is str for s in models.BOOKING_STATUSES + models.ACTIVE_STATUSES)


def test_the_named_sets():
    assert set(states.values(states.ACTIVE)) == {"pending", "confirmed", "held"}
    assert set(states.values(states.FINISHED)) == {"completed", "no_show"}
    assert set(states.values(states.WITHDRAWN)) == {"rejected", "cancelled"}
    assert set(states.TERMINAL) == set(BookingStatus) - set(states.ACTIVE)
    assert set(states.SHOWN) | set(states.WITHDRAWN) == set(BookingStatus)
    # Only active bookings change; the others are final.
    assert {source for source, _ in ALLOWED} == set(states.values(states.ACTIVE))


@pytest.mark.parametrize(("source", "target"), [p for p in PAIRS if p in ALLOWED], ids="->".join)
def test_an_allowed_change_passes(source, target):
    assert states.can_change(source, target)
    assert states.check_transition(source, target) is BookingStatus(target)
    assert states.check_transition(BookingStatus(source), BookingStatus(target)) is BookingStatus(target)


@pytest.mark.parametrize(("source", "target"), [p for p in PAIRS if p not in ALLOWED], ids="->".join)
def test_a_refused_change_names_the_current_state(source, target):
    assert not states.can_change(source, target)
    with pytest.raises(ServiceError) as refused:
        states.check_transition(source, target)
    assert refused.value.status == 422
    [violation] = refused.value.violations
    assert violation.code == "invalid_state" and violation.field == "status"
    assert violation.message.startswith(f"A {source} booking cannot be ")


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("cancelled", "confirmed", "A cancelled booking cannot be approved."),
        ("confirmed", "confirmed", "A confirmed booking cannot be approved."),
        ("confirmed", "rejected", "A confirmed booking cannot be rejected."),
        ("rejected", "cancelled", "A rejected booking cannot be cancelled."),
        ("no_show", "cancelled", "A no_show booking cannot be cancelled."),
        ("cancelled", "completed", "A cancelled booking cannot be completed."),
    ],
)
def test_the_wording_of_the_refusals(source, target, message):
    with pytest.raises(ServiceError, match=f"^{message}$"):
        states.check_transition(source, target)


def test_an_action_that_needs_an_active_booking():
    states.require("confirmed", states.ACTIVE, "changed")
    with pytest.raises(ServiceError, match="^A completed booking cannot be changed.$"):
        states.require("completed", states.ACTIVE, "changed")
    with pytest.raises(ServiceError, match="^A bogus booking cannot be approved.$"):
        states.check_transition("bogus", "confirmed")
    with pytest.raises(ValueError):
        states.check_transition("pending", "bogus")


# --- through the API ----------------------------------------------------------------------------


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Booking)),
            db.session.scalar(select(func.count()).select_from(AuditEvent)),
        )


def test_approving_a_cancelled_booking_is_refused_naming_its_state(people, app):
    alice = people.make(qualifications=["gowning-grade-b"])
    manager = people.make("manager", facilities=["gmp"])
    start, end = local_slot(10, 8)
    booking = alice.post("/bookings", {"resource": "gmp-suite", "start": start, "end": end}).get_json()
    assert booking["status"] == "pending"
    assert alice.post(f"/bookings/{booking['id']}/cancel", {}).get_json()["status"] == "cancelled"
    before = _counts(app)
    refused = manager.post(f"/bookings/{booking['id']}/approve", {"reason": "Batch record checked"})
    assert refused.status_code == 422
    assert refused.get_json() == {
        "errors": [{"code": "invalid_state", "field": "status", "message": "A cancelled booking cannot be approved."}]
    }
    assert error_codes(manager.post(f"/bookings/{booking['id']}/reject", {"reason": "late"})) == ["invalid_state"]
    assert alice.get(f"/bookings/{booking['id']}").get_json()["status"] == "cancelled"
    assert _counts(app) == before


def test_a_change_of_state_bumps_the_sequence_once_and_writes_one_audit_event(people, app):
    alice = people.make(qualifications=["gowning-grade-b"])
    manager = people.make("manager", facilities=["gmp"])
    start, end = local_slot(10, 8)
    booking = alice.post("/bookings", {"resource": "gmp-suite", "start": start, "end": end}).get_json()
    manager.post(f"/bookings/{booking['id']}/approve", {"reason": "ok"})
    moved = alice.patch(f"/bookings/{booking['id']}", dict(zip(("start", "end"), local_slot(10, 9))))
    assert moved.get_json()["status"] == "pending"
    manager.post(f"/bookings/{booking['id']}/cancel", {"reason": "HVAC failure"})
    with app.app_context():
        row = db.session.get(Booking, booking["id"])
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity == "bookings", AuditEvent.entity_id == row.id)
            .order_by(AuditEvent.id)
        ).all()
        assert [(e.action, e.before and e.before["status"], e.after["status"]) for e in events] == [
            ("booking.requested", None, "pending"),
            ("booking.approved", "pending", "confirmed"),
            ("booking.rescheduled", "confirmed", "pending"),
            ("booking.cancelled", "pending", "cancelled"),
        ]
        assert row.sequence == 3
        assert row.decided_by.email == manager.email and row.decision_reason == "HVAC failure"


# --- nobody else writes a booking's status --------------------------------------------------------

# Objects named so are not bookings (``resource.status``, ``self.status`` of an error, ...).
NOT_BOOKINGS = {"self", "cls", "resource", "feed", "source", "response", "error", "record", "form"}


def _targets(node: ast.AST):
    if isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            yield from _targets(element)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)
    else:
        yield node


def _owner(node: ast.expr) -> str:
    """The name of what an attribute belongs to: ``booking`` of ``record.booking.status``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""  # a call, a subscript: it may be a booking


class StatusWrites(ast.NodeVisitor):
    """Every write of ``.status`` on something that may be a booking: assignments (plain,
    augmented, annotated, unpacking, loop targets), ``setattr(x, "status", ...)`` and
    ``update(Booking).values(status=...)``; as (line, enclosing function, what)."""

    def __init__(self, source: str):
        self.source, self.found, self.functions = source, [], []
        self.visit(ast.parse(source))

    def _function(self, node):
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def _add(self, node: ast.AST) -> None:
        self.found.append(
            (node.lineno, self.functions[-1] if self.functions else "", ast.get_source_segment(self.source, node))
        )

    def _check(self, target: ast.AST) -> None:
        for t in _targets(target):
            if isinstance(t, ast.Attribute) and t.attr == "status" and _owner(t.value) not in NOT_BOOKINGS:
                self._add(t)

    def visit_Assign(self, node):
        for target in node.targets:
            self._check(target)
        self.generic_visit(node)

    def _single(self, node):
        self._check(node.target)
        self.generic_visit(node)

    visit_AugAssign = visit_AnnAssign = visit_For = visit_AsyncFor = visit_comprehension = _single

    def visit_Call(self, node):
        func = node.func
        if (
            isinstance(func, ast.Name)
            and func.id == "setattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == "status"
            and _owner(node.args[0]) not in NOT_BOOKINGS
        ):
            self._add(node)
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "values"
            and "Booking" in (ast.get_source_segment(self.source, func.value) or "")
            and (
                any(k.arg == "status" for k in node.keywords)
                or any(
                    isinstance(a, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "status" for k in a.keys)
                    for a in node.args
                )
            )
        ):
            self._add(node)
        self.generic_visit(node)


def status_writes() -> dict[str, list[tuple[int, str, str]]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        writes = StatusWrites(path.read_text(encoding="utf-8")).found
        if writes:
            found[path.relative_to(ROOT).as_posix()] = writes
    return found


def test_the_scan_finds_every_kind_of_write():
    source = """
def f(booking, bookings, resource):
    booking.status = "cancelled"
    booking.status, booking.sequence = "completed", 2
    b.x, *rest, b.status = values
    booking.status: str = "pending"
    row.booking.status += ""
    get(1).status = "no_show"
    Booking.status = "x"
    setattr(booking, "status", "rejected")
    db.session.execute(update(Booking).where(Booking.id == 1).values(status="cancelled"))
    db.session.execute(update(Booking).values({"status": "cancelled"}))
    for booking.status in ("a", "b"):
        pass
    resource.status = "maintenance"
    self.status = 422
    self.resource.status = "available"
    setattr(resource, "status", "available")
    update(Resource).values(status="available")
    booking.status == "confirmed"
    x = booking.status
    booking.statuses = {}
"""
    lines = [line for line, function, _ in StatusWrites(source).found]
    assert lines == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    assert {function for _, function, _ in StatusWrites(source).found} == {"f"}


def test_only_the_booking_service_writes_a_booking_status():
    found = status_writes()
    outside = {path: writes for path, writes in found.items() if not path.startswith("facility/bookings/")}
    assert outside == {}, f"a booking's status is written outside facility/bookings/: {outside}"
    # Not vacuous: the scan sees the one place that does it, and only that.
    assert {(path, function) for path, writes in found.items() for _, function, _ in writes} == {
        ("facility/bookings/services.py", "change_status")
    }
