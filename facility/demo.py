"""A small, realistic demo data set: organisations, people, three months of history and a
living week of bookings.

Every booking of the coming week is made through the service layer, so the demo obeys the same
rules as real use. The history (bookings of the last three months as they ended: used, not
shown up for, cancelled, with the use recorded) is written as rows, since the service refuses
the past by design; it has no audit events, being made up. Demo accounts share one password (``FACILITY_DEMO_PASSWORD``, default below): demo data
only, never for a real installation.
"""

from __future__ import annotations

import os
import random
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from facility.accounts import services as accounts
from facility.accounts.models import Organisation, User
from facility.bookings import notify, rules
from facility.bookings import services as bookings
from facility.bookings.models import Booking
from facility.catalog.models import Facility, Qualification
from facility.catalog.services import list_resources
from facility.core.cli import group, reports_errors
from facility.core.database import write_transaction
from facility.core.errors import ServiceError
from facility.core.extensions import db
from facility.core.time import local_instant, utcnow
from facility.usage import register
from facility.usage import services as usage
from facility.usage.models import UsageRecord

DEMO_PASSWORD_DEFAULT = "demo-facility-2026"
ADMIN_EMAIL = "admin@facility.demo"

ORGANISATIONS = [
    # key, name, kind, size class, organisation number (the companies' are made up, with valid check digits)
    ("lu", "Lund University", "university", None, "202100-3211"),
    ("region-skane", "Region Skåne", "hospital", None, "232100-0255"),
    ("cellcure", "CellCure Therapeutics AB", "company", "small", "559123-4561"),
    ("nk-vector", "NK Vector AB", "company", "micro", "559012-3450"),
    ("nordic-cro", "Nordic Cell CRO AB", "cro", None, "556677-8899"),
    ("scalecell", "ScaleCell Nordic AB", "company", "medium", "559234-5671"),
    ("nordic-biologics", "Nordic Biologics AB", "company", "large", "556789-0123"),
]
HISTORY_DAYS = 91  # the demo's past: three months, so that a new manager's first report shows use
# The project office's register behind the indicators: kind, organisation, day, evidence (amount)
REGISTER = [
    ("partner", "lu", date(2025, 3, 1), "Partnership agreement, ATMP Path2Patient", None),
    ("partner", "region-skane", date(2025, 3, 1), "Partnership agreement, ATMP Path2Patient", None),
    ("activity_3_4", "cellcure", date(2025, 9, 10), "Accelerator programme, cohort 1: attendance list", None),
    ("activity_3_2", "nk-vector", date(2026, 2, 2), "Coaching agreement, dnr P2P-2026-014", None),
    ("research_cooperation", "nk-vector", date(2026, 3, 16), "Research agreement with Lund University", None),
    ("innovation", "cellcure", date(2026, 6, 1), "Closed-process CAR-T SOP introduced, QA memo 2026-06", None),
    ("private_investment", "cellcure", date(2026, 6, 15), "Seed round, board minutes 2026-06-15", 2_500_000),
]
# Walk-ups recorded by the managers, days ago: who, resource, days ago, hours (researcher FTE and users)
WALK_UPS = [
    ("li@facility.demo", "lu-prodigy", 3, 6),
    ("fatima@facility.demo", "sus-qc-flow", 2, 4),
    ("erik@facility.demo", "smile-cell-counter", 4, 2),
]
PEOPLE = [
    # email, name, organisation, role, managed facilities
    (ADMIN_EMAIL, "Project Office", "lu", "admin", ()),
    ("manager.smile@facility.demo", "Sara Lindqvist", "lu", "manager", ("smile",)),
    ("manager.lu-atmp@facility.demo", "Johan Berg", "lu", "manager", ("lu-atmp",)),
    ("manager.sus-gmp@facility.demo", "Maria Ekström", "region-skane", "manager", ("sus-gmp",)),
    ("anna@facility.demo", "Anna Nilsson", "cellcure", "scientist", ()),
    ("erik@facility.demo", "Erik Holm", "nk-vector", "scientist", ()),
    ("li@facility.demo", "Li Wang", "lu", "scientist", ()),
    ("fatima@facility.demo", "Fatima Aziz", "region-skane", "scientist", ()),
    ("omar@facility.demo", "Omar Haddad", "scalecell", "scientist", ()),
    ("karin@facility.demo", "Karin Sjöberg", "nordic-biologics", "scientist", ()),
]
PURPOSES = [
    "CAR-T expansion, donor 12",
    "CAR-NK transduction",
    "iPSC differentiation, batch 4",
    "Process development run",
    "Assay qualification",
    "Media fill",
    "Cell count and viability",
    "Potency assay",
    "Engineering run",
]
PROJECTS = ["CAR-T for B-ALL (CellCure)", "CAR-NK for AML (NK Vector)", "Ex-vivo gene therapy (LU)"]


def seed_demo(today: date | None = None) -> str:
    """Create the demo data once; a second call changes nothing."""
    if db.session.scalar(select(User).where(User.email == ADMIN_EMAIL)):
        return "demo data is present already; nothing changed"
    if not db.session.scalar(select(Facility)):
        return "load the catalogue first (flask facility load-catalog)"
    password = os.environ.get("FACILITY_DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)
    existing = set(db.session.scalars(select(Organisation.key)))
    for key, name, kind, size, number in ORGANISATIONS:
        if key not in existing:
            accounts.create_organisation(key, name, kind, size, org_number=number)
    known = {f.key for f in db.session.scalars(select(Facility))}
    for email, name, organisation, role, facilities in PEOPLE:
        managed = [f for f in facilities if f in known]
        if accounts.get_user_by_email(email) is None:
            accounts.create_user(
                email,
                name,
                organisation,
                role if managed or role != "manager" else "scientist",
                facilities=managed,
                password=password,
            )
    _qualify_everyone(today or date.today())
    _register_and_record()
    _history(random.Random(91))
    made = _book_a_week()
    notify.nothing_to_mail_so_far()  # made-up people need no mail about made-up bookings
    return (
        f"demo data created: {len(ORGANISATIONS)} organisations, {len(PEOPLE)} people, {made} bookings; "
        f"sign in as {ADMIN_EMAIL} or anna@facility.demo with the demo password"
    )


def _qualify_everyone(today: date) -> None:
    for qualification in db.session.scalars(select(Qualification)).all():
        for email, *_ in PEOPLE:
            accounts.qualify(email, qualification.key, today + timedelta(days=180))


def _register_and_record() -> None:
    """Something behind the indicators: the register's entries, and a few recorded walk-ups."""
    office = accounts.get_user_by_email(ADMIN_EMAIL)
    for kind, organisation, day, evidence, amount in REGISTER:
        register.add_entry(office, kind, organisation, day, evidence, amount_sek=amount)
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    resources = {r.key: r for r in list_resources()}
    for email, key, days_ago, hours in WALK_UPS:
        if key in resources:
            start = now - timedelta(days=days_ago)
            manager = _manager_of(resources[key].facility)
            # the product and batch in process, which the GMP unit requires (instruments.yaml, batch_records)
            gmp = resources[key].facility.gmp_level != "research"
            usage.record_usage(
                manager,
                key,
                email,
                start,
                start + timedelta(hours=hours),
                "Demo: walk-up",
                product="QC release testing" if gmp else None,
                batch=f"{start:%y%m}-QC{days_ago}" if gmp else None,
            )


def _history(rng: random.Random) -> None:
    """Three months of the resources' past, weekdays from 08:00 local: most bookings used as
    booked (a usage record, now and then a little longer or shorter), some not shown up for,
    some cancelled; the GMP unit's with product and batch."""
    scientists = [accounts.get_user_by_email(p[0]) for p in PEOPLE if p[3] == "scientist"]
    today = utcnow().date()
    rows: list = []
    for resource in list_resources():
        zone = ZoneInfo(resource.facility.timezone)
        gmp = resource.facility.gmp_level != "research"
        minutes = max(resource.min_minutes, min(resource.max_minutes, 240))
        for days_ago in range(HISTORY_DAYS, 0, -1):
            day = today - timedelta(days=days_ago)
            if day.weekday() >= 5 or rng.random() < 0.45:
                continue
            start = local_instant(day, 8 * 60, zone)
            end = start + timedelta(minutes=minutes)
            user = rng.choice(scientists)
            status = rng.choices(["completed", "no_show", "cancelled"], weights=[85, 7, 8])[0]
            booking = Booking(
                resource=resource,
                user=user,
                start_at=start,
                end_at=end,
                blocked_until=end + timedelta(minutes=resource.changeover_minutes),
                status=status,
                purpose=rng.choice(PURPOSES),
                project=rng.choice(PROJECTS),
                batch=f"{start:%y%m}-{rng.randint(1, 99):02d}" if gmp else None,
                created_at=start - timedelta(days=7),
                # a cancellation some hours or days ahead (a few too late to count as timely)
                updated_at=start - timedelta(hours=rng.choice([2, 30, 72])) if status == "cancelled" else end,
                sequence=0,
                decision_reason="",
            )
            rows.append(booking)
            if status == "completed":
                rows.append(_use_of(booking, user, rng))
    with write_transaction():
        db.session.add_all(rows)


def _use_of(booking: Booking, user: User, rng: random.Random) -> UsageRecord:
    """What was recorded of a booking that was used: checked in on time, out a little early or late."""
    end = booking.end_at + timedelta(minutes=rng.choice([-30, 0, 0, 0, 15]))
    return UsageRecord(
        booking=booking,
        resource=booking.resource,
        user=user,
        organisation_id=user.organisation_id,
        start_at=booking.start_at,
        end_at=max(end, booking.start_at + timedelta(minutes=15)),
        source="booking",
        product=booking.project if booking.batch else None,
        batch=booking.batch,
        created_at=booking.start_at,
    )


def _book_a_week() -> int:
    """Fill the next seven days: a few bookings per resource, in its free time, by the scientists."""
    rng = random.Random(2026)
    scientists = [p[0] for p in PEOPLE if p[3] == "scientist"]
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    made = 0
    for resource in list_resources():
        free = bookings.availability(resource, now, now + timedelta(days=7)).free
        for start, end in free[: rng.randint(1, 3)]:
            if _book(resource, start, end, rng.choice(scientists), rng):
                made += 1
    return made


def _book(resource, start, end, email, rng) -> bool:
    """Book a plausible stretch at the start of a free period, trying shorter runs where a
    longer one would end on a closed day; a resource that takes none is just skipped."""
    start = rules.next_slot(start, resource.slot_minutes, ZoneInfo(resource.facility.timezone))
    user = accounts.get_user_by_email(email)
    for minutes in _lengths(resource, rng):
        stop = min(end, start + timedelta(minutes=minutes))
        stop -= (stop - start) % timedelta(minutes=resource.slot_minutes)
        try:
            booking = bookings.request_booking(
                user,
                resource.key,
                start,
                stop,
                rng.choice(PURPOSES),
                rng.choice(PROJECTS),
                # the batch in process, which the GMP unit requires (instruments.yaml, batch_records)
                batch=f"{start:%y%m}-{rng.randint(1, 99):02d}" if resource.facility.gmp_level != "research" else None,
            )
        except ServiceError:
            continue
        if booking.status == "pending" and rng.random() < 0.6:
            bookings.approve(
                _manager_of(resource.facility),
                booking.id,
                "Demo: process and gowning records checked",
                signed=True,  # a GMP approval shows its electronic signature
            )
        return True
    return False


def _lengths(resource, rng) -> list[int]:
    """Run lengths to try, longest first: multi-day runs where the resource allows them."""
    candidates = {
        m
        for m in (4320, 2880, 1440, 480, 240, 180, 120, 60, 30)
        if resource.min_minutes <= m <= resource.max_minutes and m % resource.slot_minutes == 0
    }
    candidates.add(resource.min_minutes)
    ordered = sorted(candidates, reverse=True)
    return ordered[rng.randrange(min(3, len(ordered))) :]  # some variety, still longest first


def _manager_of(facility: Facility) -> User:
    manager = db.session.scalar(
        select(User).where(User.role == "manager", User.facilities.any(Facility.id == facility.id))
    )
    return manager or accounts.get_user_by_email(ADMIN_EMAIL)


@group.command("seed-demo")
@reports_errors
def seed_demo_command():
    """Load a small, realistic demo data set (three months of history and a living week)."""
    click.echo(seed_demo())
