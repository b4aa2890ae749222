"""The GMP records' actions and queries: logbook entries and their corrections, the cleaning
state of a resource and the check-in gate of line clearance. Each action is one write
transaction with its audit event; pages, API, command line and jobs call these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from facility import audit
from facility.accounts.models import User, UserQualification
from facility.accounts.qualifications import valid_on
from facility.audit.models import AuditEvent
from facility.bookings.models import Booking
from facility.catalog.models import Facility, Resource
from facility.catalog.services import get_facility, get_resource, list_resources
from facility.core.access import require_a_manager, require_manager_of
from facility.core.database import write_transaction
from facility.core.errors import Violation, forbidden, invalid, not_found, rule_violations
from facility.core.extensions import db
from facility.core.time import local_instant, utcnow
from facility.core.words import N_
from facility.gmp import rules
from facility.gmp.models import LogbookEntry, QualificationWithdrawal, RoomEntry
from facility.usage.models import UsageRecord

VERIFICATION_MEANING = "review"  # audit.signatures.MEANINGS: "I have reviewed this record"
DEFAULT_PERIOD = timedelta(days=31)
MAX_PERIOD = timedelta(days=400)


def backdate_limit() -> timedelta:
    hours = current_app.config.get("FACILITY_LOGBOOK_BACKDATE_HOURS", rules.DEFAULT_BACKDATE_HOURS)
    return timedelta(hours=int(hours))


# Who reads the records from the command line (`flask facility logbook`): the server's operator.
COMMAND_LINE = object()


def records_resource(actor, resource_key: str) -> Resource:
    """The resource whose records ``actor`` asks for: 404 if there is none, 403 unless they
    manage its facility (a manager of another facility does not read this one's logbook)."""
    resource = get_resource(resource_key)
    if actor is not COMMAND_LINE:
        require_manager_of(actor, resource.facility, "read this logbook")
    return resource


def entry_content(entry: LogbookEntry) -> dict:
    """What an entry says, as plain values: its audit snapshot, and what a verification signs."""
    return {
        "number": entry.number,
        "resource": entry.resource.key,
        "kind": entry.kind,
        "occurred_at": entry.occurred_at.isoformat(),
        "recorded_by": entry.recorded_by.email,
        "procedure": entry.procedure,
        "text": entry.text,
        "outcome": entry.outcome,
        "product": entry.product,
        "batch": entry.batch,
        "verifies": entry.verifies_id,
        "corrects": entry.corrects_id,
        "reason": entry.reason,
        **({"plan": entry.plan_key} if entry.plan_key else {}),
    }


def qualified_at(user: User, resource: Resource, now: datetime) -> bool:
    """A manager of the resource's facility, or a person holding the resource's qualification today."""
    if user.manages(resource.facility):
        return True
    if resource.qualification_id is None:
        return False
    row = db.session.scalar(
        select(UserQualification).where(
            UserQualification.user_id == user.id, UserQualification.qualification_id == resource.qualification_id
        )
    )
    today = now.astimezone(ZoneInfo(resource.facility.timezone)).date()
    return row is not None and valid_on(row.valid_until, today)


def _entry(resource: Resource, entry_id: Optional[int], field_name: str) -> Optional[LogbookEntry]:
    if entry_id is None:
        return None
    entry = db.session.get(LogbookEntry, entry_id) if 0 < entry_id < 2**31 else None
    if entry is None or entry.resource_id != resource.id:
        raise not_found("logbook entry of this resource", field_name)
    return entry


def check_writer(actor: User, resource_key: str, kind: str, corrects: Optional[int] = None) -> None:
    """Refuse (403) whoever may not write this kind of entry at this resource: asked before a
    verifier signs, so that someone who may not verify is told so, not asked for a password."""
    _check_writer(actor, get_resource(resource_key, "resource"), kind, corrects, utcnow())


def _check_writer(actor: User, resource, kind: str, corrects: Optional[int], now: datetime) -> None:
    if actor is None:
        raise forbidden("Sign in to write into a logbook.")
    if actor.manages(resource.facility):
        return
    if not (kind in rules.OPERATOR_KINDS and corrects is None and qualified_at(actor, resource, now)):
        raise forbidden("Only a manager of this facility, or a person qualified for the resource, can write this.")


def record_entry(
    actor: User,
    resource_key: str,
    *,
    kind: str,
    occurred_at: Optional[datetime] = None,
    procedure: str = "",
    text: str = "",
    outcome: Optional[str] = None,
    product: Optional[str] = None,
    batch: Optional[str] = None,
    verifies: Optional[int] = None,
    corrects: Optional[int] = None,
    reason: str = "",
    plan: Optional[str] = None,
    signed: bool = False,
    now: Optional[datetime] = None,
) -> LogbookEntry:
    """Write one entry into a resource's logbook, with its audit event (a verification signed:
    ``signed`` says the verifier re-entered their password, ``accounts.check_signer``).

    Cleanings, line clearances and verifications: a manager of the facility or a person
    qualified for the resource; everything else, and every correction: a manager."""
    now = now or utcnow()
    with write_transaction():
        resource = get_resource(resource_key, "resource")
        _check_writer(actor, resource, kind, corrects, now)
        corrected = _entry(resource, corrects, "corrects")
        verified = _entry(resource, verifies, "verifies")
        occurred_at = occurred_at or now
        problems = rules.check_entry(
            kind=kind,
            occurred_at=occurred_at,
            now=now,
            backdate_limit=backdate_limit(),
            procedure=procedure,
            text=text,
            outcome=outcome,
            verifies=verified is not None,
            corrects_kind=corrected.kind if corrected is not None else None,
            reason=reason,
        )
        if corrected is not None and plan is None:
            plan = corrected.plan_key  # a correction carries out the same plan
        if plan is not None:
            task = next((p["task"] for p in plans_of(resource) if p["key"] == plan), None)
            if task is None:
                problems.append(Violation.worded("unknown_plan", N_("This resource has no such plan."), "plan"))
            elif rules.entry_kind_for(task) != kind:
                problems.append(
                    Violation("plan_kind_mismatch", f"This plan is recorded as a {rules.entry_kind_for(task)}.", "kind")
                )
        if corrected is not None and corrected_by(corrected.id) is not None:
            problems.append(
                Violation.worded(
                    "already_corrected",
                    N_("That entry has been corrected already; correct the correction."),
                    "corrects",
                )
            )
        if kind == "verification" and not signed:
            problems.append(
                Violation.worded(
                    "password_required", N_("A verification is signed: the verifier enters their password."), "password"
                )
            )
        if verified is not None:
            if kind != "verification":
                problems.append(
                    Violation.worded("invalid", N_("Only a verification names a cleaning it verifies."), "verifies")
                )
            elif verified.kind not in rules.CLEANING_KINDS:
                problems.append(
                    Violation.worded("invalid", N_("A verification verifies a cleaning or line clearance."), "verifies")
                )
            else:
                problems += rules.check_verifier(
                    verifier_id=actor.id,
                    cleaner_id=verified.recorded_by_id,
                    qualified=qualified_at(actor, resource, now),
                )
                if corrected_by(verified.id) is not None:
                    problems.append(
                        Violation.worded(
                            "already_corrected",
                            N_("That cleaning has been corrected; verify the correction."),
                            "verifies",
                        )
                    )
        if problems:
            raise rule_violations(problems)
        entry = LogbookEntry(
            resource=resource,
            kind=kind,
            occurred_at=occurred_at,
            recorded_at=now,
            recorded_by=actor,
            procedure=procedure.strip(),
            text=text.strip(),
            outcome=outcome,
            product=(product or "").strip() or None,
            batch=(batch or "").strip() or None,
            verifies=verified,
            corrects=corrected,
            reason=reason.strip(),
            plan_key=plan,
        )
        signed = None
        if kind == "verification" and verified is not None:
            entry.signer_name, entry.signature_meaning = actor.name, VERIFICATION_MEANING
            signed = entry_content(verified)
        db.session.add(entry)
        db.session.flush()
        audit.record(
            actor,
            "logbook.corrected" if corrected is not None else f"logbook.{kind}",
            entry,
            before=entry_content(corrected) if corrected is not None else None,
            after=entry_content(entry),
            reason=entry.reason,
            facility=resource.facility,
            signature_meaning=entry.signature_meaning,
            signer_name=entry.signer_name,
            signed_content=signed,
        )
    if kind == "calibration" and outcome == "failed":
        tell_managers_of_failed_calibration(entry)
    return entry


def corrected_by(entry_id: int) -> Optional[LogbookEntry]:
    return db.session.scalar(select(LogbookEntry).where(LogbookEntry.corrects_id == entry_id))


# --- the logbook ---------------------------------------------------------------------------


@dataclass
class Line:
    """One line of the logbook, whatever it comes from: an entry (E), a use (U) or a status change (S)."""

    at: datetime
    number: str
    kind: str  # use, status or one of rules.ENTRY_KINDS
    who: str
    what: str = ""
    procedure: str = ""
    outcome: Optional[str] = None
    product: Optional[str] = None
    batch: Optional[str] = None
    until: Optional[datetime] = None
    corrects: Optional[str] = None
    corrected_by: Optional[str] = None
    reason: str = ""
    recorded_at: Optional[datetime] = None
    signer: Optional[str] = None
    supervised_by: Optional[str] = None  # an entry to the room under supervision (Annex 1 7.5)


@dataclass
class Logbook:
    resource: Resource
    start: datetime
    end: datetime
    lines: list[Line] = field(default_factory=list)

    @property
    def zone(self) -> str:
        return self.resource.facility.timezone


def period(resource: Resource, start: Optional[datetime], end: Optional[datetime], now: datetime):
    """[start, end) of a logbook: by default the last 31 days up to now; at most 400 days."""
    end = end or now
    start = start or end - DEFAULT_PERIOD
    if end <= start:
        raise invalid("end_before_start", N_("The period ends before it starts."), "to")
    if end - start > MAX_PERIOD:
        raise invalid("too_long", "A logbook covers at most 400 days at a time.", "to")
    return start, end


def logbook(
    actor: User, resource_key: str, start: Optional[datetime] = None, end: Optional[datetime] = None
) -> Logbook:
    """The logbook of one resource for [start, end), in order of time (Part I 4.31)."""
    resource = records_resource(actor, resource_key)
    start, end = period(resource, start, end, utcnow())
    book = Logbook(resource, start, end)
    entries = list(
        db.session.scalars(
            select(LogbookEntry)
            .options(selectinload(LogbookEntry.recorded_by))
            .where(
                LogbookEntry.resource_id == resource.id,
                LogbookEntry.occurred_at >= start,
                LogbookEntry.occurred_at < end,
            )
        )
    )
    corrections = dict(
        db.session.execute(
            select(LogbookEntry.corrects_id, LogbookEntry.id).where(
                LogbookEntry.resource_id == resource.id, LogbookEntry.corrects_id.is_not(None)
            )
        ).all()
    )
    for e in entries:
        book.lines.append(
            Line(
                at=e.occurred_at,
                number=e.number,
                kind=e.kind,
                who=e.recorded_by.name,
                what=e.text,
                procedure=e.procedure,
                outcome=e.outcome,
                product=e.product,
                batch=e.batch,
                corrects=f"E{e.corrects_id}" if e.corrects_id else None,
                corrected_by=f"E{corrections[e.id]}" if e.id in corrections else None,
                reason=e.reason,
                recorded_at=e.recorded_at,
                signer=e.signer_name,
            )
        )
        if e.verifies_id:
            book.lines[-1].what = (f"E{e.verifies_id} " + e.text).strip()
    uses = db.session.scalars(
        select(UsageRecord)
        .options(selectinload(UsageRecord.user), selectinload(UsageRecord.booking))
        .where(
            UsageRecord.resource_id == resource.id,
            UsageRecord.start_at < end,
            or_(UsageRecord.end_at.is_(None), UsageRecord.end_at >= start),
        )
    )
    uses = list(uses)
    superseded = [u.id for u in uses if u.superseded]
    # The record that replaced each superseded one, also where it lies outside the period.
    replaced = dict(
        db.session.execute(
            select(UsageRecord.corrects_id, UsageRecord.id).where(UsageRecord.corrects_id.in_(superseded))
        ).all()
        if superseded
        else []
    )
    for u in uses:
        booking = u.booking
        book.lines.append(
            Line(
                at=u.start_at,
                until=u.end_at,
                number=f"U{u.id}",
                kind="use",
                who=u.user.name,
                what=u.reason,
                product=use_product(u),
                batch=use_batch(u),
                corrects=f"U{u.corrects_id}" if u.corrects_id else None,
                corrected_by=f"U{replaced[u.id]}" if u.id in replaced else None,
                reason=u.reason if u.corrects_id else "",
                recorded_at=u.created_at,
            )
        )
        if booking is not None and not u.corrects_id:
            book.lines[-1].what = booking.purpose or ""
    statuses = db.session.scalars(
        select(AuditEvent)
        .options(selectinload(AuditEvent.actor))
        .where(
            AuditEvent.entity == Resource.__tablename__,
            AuditEvent.entity_id == resource.id,
            AuditEvent.action == "resource.status_changed",
            AuditEvent.at >= start,
            AuditEvent.at < end,
        )
    )
    for event in statuses:
        after = event.after or {}
        book.lines.append(
            Line(
                at=event.at,
                number=f"S{event.seq or event.id}",
                kind="status",
                who=event.actor.name if event.actor else "",
                what=str(after.get("status", "")),
                reason=event.reason,
                recorded_at=event.at,
            )
        )
    for entry in db.session.scalars(
        select(RoomEntry)
        .options(selectinload(RoomEntry.user), selectinload(RoomEntry.supervised_by))
        .where(RoomEntry.resource_id == resource.id, RoomEntry.entered_at >= start, RoomEntry.entered_at < end)
    ):
        book.lines.append(
            Line(
                at=entry.entered_at,
                until=entry.left_at,
                number=f"P{entry.id}",
                kind="entry",
                who=entry.user.name,
                recorded_at=entry.entered_at,
                supervised_by=entry.supervised_by.name if entry.supervised_by else None,
            )
        )
    book.lines.sort(key=lambda line: (line.at, line.number))
    return book


def use_product(record: UsageRecord) -> Optional[str]:
    if record.product:
        return record.product
    return record.booking.project if record.booking is not None else None


def use_batch(record: UsageRecord) -> Optional[str]:
    if record.batch:
        return record.batch
    return record.booking.batch if record.booking is not None else None


# --- cleaning, verification and release (Part I 5.35) ---------------------------------------


@dataclass
class CleaningStatus:
    resource: Resource
    state: str
    cleaning: Optional[LogbookEntry]
    last_use_end: Optional[datetime]
    gated: bool  # check-in waits for release


def cleaning_status(resource: Resource) -> CleaningStatus:
    """Where ``resource`` stands: in use, to be cleaned, to be verified or released."""
    open_use = db.session.scalar(
        select(UsageRecord.id).where(
            UsageRecord.resource_id == resource.id, UsageRecord.end_at.is_(None), UsageRecord.superseded.is_(False)
        )
    )
    last_use_end = db.session.scalar(
        select(UsageRecord.end_at)
        .where(
            UsageRecord.resource_id == resource.id,
            UsageRecord.superseded.is_(False),
            UsageRecord.end_at.is_not(None),
        )
        .order_by(UsageRecord.end_at.desc())
        .limit(1)
    )
    cleaning_rows = list(
        db.session.scalars(
            select(LogbookEntry).where(
                LogbookEntry.resource_id == resource.id,
                LogbookEntry.kind.in_(rules.CLEANING_KINDS + ("verification",)),
                *([LogbookEntry.occurred_at >= last_use_end] if last_use_end else []),
            )
        )
    )
    corrected = set(
        db.session.scalars(
            select(LogbookEntry.corrects_id).where(
                LogbookEntry.resource_id == resource.id, LogbookEntry.corrects_id.is_not(None)
            )
        )
    )
    effective = [e for e in cleaning_rows if e.id not in corrected]
    verdicts: dict[int, bool] = {}
    for e in sorted(effective, key=lambda e: (e.occurred_at, e.id)):
        if e.kind == "verification" and e.verifies_id:
            verdicts[e.verifies_id] = e.outcome == "passed"
    cleanings = [
        rules.Cleaning(e.id, e.occurred_at, e.recorded_by_id, verdicts.get(e.id))
        for e in effective
        if e.kind in rules.CLEANING_KINDS
    ]
    state, counted = rules.cleaning_state(
        in_use=open_use is not None,
        last_use_end=last_use_end,
        cleanings=cleanings,
        needs_verification=rules.requires_line_clearance(resource.gmp_settings),
    )
    entry = db.session.get(LogbookEntry, counted.entry_id) if counted else None
    return CleaningStatus(resource, state, entry, last_use_end, rules.requires_line_clearance(resource.gmp_settings))


def resource_cleaning_status(actor: User, resource_key: str) -> CleaningStatus:
    """Any signed-in user may see whether a room is released (the display shows it too)."""
    if actor is None:
        raise forbidden("Sign in first.")
    return cleaning_status(get_resource(resource_key))


def waiting_for_cleaning(actor: User, facility_key: Optional[str] = None) -> list[CleaningStatus]:
    """The managers' list: rooms and instruments of the facilities they manage that wait for
    cleaning or for its verification (pre-GMP and GMP facilities)."""
    require_a_manager(actor, "Only lab managers can see what waits for cleaning.")
    facility = None
    if facility_key:
        facility = get_facility(facility_key, "facility")
        require_manager_of(actor, facility, "see what waits for cleaning")
    result = []
    for resource in list_resources(facility):
        if not actor.manages(resource.facility) or not rules.tracks_cleaning(
            resource.facility.gmp_level, resource.gmp_settings
        ):
            continue
        status = cleaning_status(resource)
        if status.state in (rules.TO_BE_CLEANED, rules.TO_BE_VERIFIED):
            result.append(status)
    return result


def release_violations(resource: Resource) -> list[Violation]:
    """The line-clearance gate of a check-in: a resource that asks for it must be released."""
    if not rules.requires_line_clearance(resource.gmp_settings):
        return []
    status = cleaning_status(resource)
    if status.state in (rules.RELEASED, rules.IN_USE):
        return []
    text = {
        rules.TO_BE_CLEANED: N_("This resource is not released for use: it has not been cleaned since its last use."),
        rules.TO_BE_VERIFIED: N_(
            "This resource is not released for use: its cleaning waits for a second person's verification."
        ),
    }[status.state]
    return [Violation.worded("not_released", text, "resource")]


def request_check(what: str, user: User, resource: Resource, start, end, project, batch) -> list[Violation]:
    """What the GMP records ask of a booking or a walk-up use (bookings.services.REQUEST_CHECKS)."""
    facility = resource.facility
    mode = rules.batch_records(facility.gmp_level, facility.gmp_settings)
    problems = rules.check_labels(mode, project, batch, "project" if what == "booking" else "product")
    if what == "booking":
        problems += calibration_violations(resource)
        # Only where the GMP records are kept: a booking elsewhere reads nothing more (issue 12's budget).
        keeps_records = resource.gmp_settings or resource.facility.gmp_settings
        if keeps_records and resource.qualification_id is not None and withdrawn_at(user, resource.qualification_id):
            problems += _qualification_violations(user, resource, utcnow(), "resource")
    return problems


def check_in_guard(booking, now: datetime) -> list[Violation]:
    """What the GMP records ask of a check-in: the room released, its calibration in date, room
    for one more person, and the owner's gowning valid today."""
    resource = booking.resource
    problems = release_violations(resource) + calibration_violations(resource, now)
    if counts_people(resource):
        problems += rules.occupancy_violations(present=occupancy(resource), max_occupancy=max_occupancy(resource))
        problems += _qualification_violations(booking.user, resource, now, "user")
    return problems


def display_status(resource: Resource) -> Optional[CleaningStatus]:
    """The cleaning state for the instrument display, where the facility keeps one."""
    if not rules.tracks_cleaning(resource.facility.gmp_level, resource.gmp_settings):
        return None
    return cleaning_status(resource)


def facilities_of(actor: User) -> list[Facility]:
    return [f for f in db.session.scalars(select(Facility).order_by(Facility.id)) if actor.manages(f)]


def logbook_for_days(actor: User, resource_key: str, first: Optional[date], last: Optional[date]) -> Logbook:
    """The logbook from the start of local day ``first`` to the end of local day ``last``
    (the facility's calendar, right across daylight-saving changes)."""
    resource = records_resource(actor, resource_key)
    zone = ZoneInfo(resource.facility.timezone)
    start = local_instant(first, 0, zone) if first else None
    end = local_instant(last + timedelta(days=1), 0, zone) if last else None
    if start is not None and end is None:
        end = min(start + DEFAULT_PERIOD, utcnow()) if start < utcnow() else start + timedelta(days=1)
    return logbook(actor, resource_key, start, end)


def resources_with_records(actor: User) -> list[Resource]:
    """The resources whose logbooks ``actor`` may open (those of the facilities they manage)."""
    return [r for r in list_resources() if actor.manages(r.facility)]


# --- the impact query: which batches used a resource (21 CFR 211.182, Part I 4.31) --------------


@dataclass
class BatchUse:
    product: Optional[str]
    batch: Optional[str]
    first_use: datetime
    last_use: Optional[datetime]
    uses: int
    users: list[str]


@dataclass
class Impact:
    resource: Resource
    start: datetime
    end: datetime
    since: Optional[LogbookEntry]  # the last passed calibration, when asked for the time since it
    batches: list[BatchUse]
    uses: list[UsageRecord]

    @property
    def zone(self) -> str:
        return self.resource.facility.timezone


def last_passed_calibration(resource: Resource, before: Optional[datetime] = None) -> Optional[LogbookEntry]:
    """The latest calibration of ``resource`` that passed and stands (not corrected)."""
    corrected = select(LogbookEntry.corrects_id).where(LogbookEntry.corrects_id.is_not(None)).scalar_subquery()
    query = select(LogbookEntry).where(
        LogbookEntry.resource_id == resource.id,
        LogbookEntry.kind == "calibration",
        LogbookEntry.outcome == "passed",
        LogbookEntry.id.not_in(corrected),
    )
    if before is not None:
        query = query.where(LogbookEntry.occurred_at <= before)
    return db.session.scalar(query.order_by(LogbookEntry.occurred_at.desc(), LogbookEntry.id.desc()).limit(1))


EVER = datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC"))


def batches_using(
    actor: User,
    resource_key: str,
    first: Optional[date] = None,
    last: Optional[date] = None,
    *,
    since_calibration: bool = False,
) -> Impact:
    """Which products and batches used ``resource_key`` in the local days ``first``..``last``
    (included), or since its last passed calibration (to ``last``, or now): the impact
    assessment when a calibration fails. From the usage records that stand (corrections
    applied), their product and batch or their booking's; one SQL aggregation per batch."""
    resource = records_resource(actor, resource_key)
    zone = ZoneInfo(resource.facility.timezone)
    now = utcnow()
    end = local_instant(last + timedelta(days=1), 0, zone) if last else now
    since = None
    if since_calibration:
        since = last_passed_calibration(resource, end)
        start = since.occurred_at if since is not None else EVER
    else:
        start = local_instant(first, 0, zone) if first else end - DEFAULT_PERIOD
    if end <= start:
        raise invalid("end_before_start", N_("The period ends before it starts."), "to")
    return _impact_of(resource, start, end, since)


def _impact_of(resource: Resource, start: datetime, end: datetime, since: Optional[LogbookEntry]) -> Impact:
    product = func.coalesce(UsageRecord.product, Booking.project)
    batch = func.coalesce(UsageRecord.batch, Booking.batch)
    standing = (
        UsageRecord.resource_id == resource.id,
        UsageRecord.superseded.is_(False),
        UsageRecord.start_at < end,
        or_(UsageRecord.end_at.is_(None), UsageRecord.end_at > start),
    )
    rows = db.session.execute(
        select(
            product.label("product"),
            batch.label("batch"),
            func.min(UsageRecord.start_at).label("first_use"),
            func.max(UsageRecord.end_at).label("last_use"),
            func.count(UsageRecord.id).label("uses"),
        )
        .select_from(UsageRecord)
        .outerjoin(Booking, Booking.id == UsageRecord.booking_id)
        .where(*standing)
        .group_by(product, batch)
        .order_by(func.min(UsageRecord.start_at))
    ).all()
    users = db.session.execute(
        select(product, batch, User.email)
        .select_from(UsageRecord)
        .join(User, User.id == UsageRecord.user_id)
        .outerjoin(Booking, Booking.id == UsageRecord.booking_id)
        .where(*standing)
        .distinct()
        .order_by(User.email)
    ).all()
    people: dict = {}
    for row in users:
        people.setdefault((row[0], row[1]), []).append(row[2])
    batches = [
        BatchUse(
            row.product,
            row.batch,
            _aware(row.first_use),
            _aware(row.last_use),
            row.uses,
            people.get((row.product, row.batch), []),
        )
        for row in rows
    ]
    uses = list(
        db.session.scalars(
            select(UsageRecord)
            .options(selectinload(UsageRecord.user), selectinload(UsageRecord.booking))
            .where(*standing)
            .order_by(UsageRecord.start_at, UsageRecord.id)
        )
    )
    return Impact(resource, start, end, since, batches, uses)


def _aware(value: Optional[datetime]) -> Optional[datetime]:
    """An aggregate (min, max) of a UTC column comes back without the column's type on SQLite."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))


# --- maintenance and calibration plans -----------------------------------------------------------


def plans_of(resource: Resource) -> list[dict]:
    return list((resource.gmp_settings or {}).get("plans") or [])


def plan_statuses(resource: Resource, now: Optional[datetime] = None) -> list[rules.PlanStatus]:
    """Each plan of ``resource`` with its last record (the entries that stand) and what is due."""
    plans = plans_of(resource)
    if not plans:
        return []
    now = now or utcnow()
    corrected = select(LogbookEntry.corrects_id).where(LogbookEntry.corrects_id.is_not(None)).scalar_subquery()
    entries = db.session.execute(
        select(LogbookEntry.plan_key, LogbookEntry.occurred_at, LogbookEntry.outcome)
        .where(
            LogbookEntry.resource_id == resource.id,
            LogbookEntry.plan_key.in_([p["key"] for p in plans]),
            LogbookEntry.id.not_in(corrected),
            LogbookEntry.occurred_at <= now,
        )
        .order_by(LogbookEntry.occurred_at, LogbookEntry.id)
    ).all()
    last = {}
    for plan_key, at, outcome in entries:
        last[plan_key] = (at, outcome)
    statuses = []
    for plan in plans:
        done, outcome = last.get(plan["key"], (None, None))
        hours = hours_of_use(resource, done, now) if plan.get("every_hours_of_use") else None
        statuses.append(rules.plan_status(plan, now=now, last_done=done, last_outcome=outcome, hours_used=hours))
    return statuses


def hours_of_use(resource: Resource, since: Optional[datetime], now: datetime) -> float:
    """Hours the resource was in use (usage records that stand) since ``since`` (or ever), up to now."""
    query = select(UsageRecord.start_at, UsageRecord.end_at).where(
        UsageRecord.resource_id == resource.id, UsageRecord.superseded.is_(False), UsageRecord.start_at < now
    )
    if since is not None:
        query = query.where(or_(UsageRecord.end_at.is_(None), UsageRecord.end_at > since))
    total = 0.0
    for start, end in db.session.execute(query):
        start, end = max(start, since) if since else start, min(end or now, now)
        total += max((end - start).total_seconds(), 0) / 3600
    return round(total, 2)


def calibration_violations(resource: Resource, now: Optional[datetime] = None) -> list[Violation]:
    return rules.calibration_violations(plan_statuses(resource, now))


@dataclass
class ResourcePlans:
    resource: Resource
    statuses: list[rules.PlanStatus]


def resource_plans(actor: User, resource_key: str) -> ResourcePlans:
    resource = records_resource(actor, resource_key)
    return ResourcePlans(resource, plan_statuses(resource))


def plans_needing_attention(actor: Optional[User], now: Optional[datetime] = None) -> list[ResourcePlans]:
    """Resources with a plan due soon, overdue or failed: of the facilities ``actor`` manages
    (None: all, for the scheduled job)."""
    now = now or utcnow()
    result = []
    for resource in list_resources():
        if not plans_of(resource) or (actor is not None and not actor.manages(resource.facility)):
            continue
        due = [s for s in plan_statuses(resource, now) if s.needs_attention]
        if due:
            result.append(ResourcePlans(resource, due))
    return result


def block_time_for_plan(
    actor: User,
    resource_key: str,
    plan_key: str,
    start: Optional[datetime] = None,
    end: Optional[datetime] = None,
    reason: str = "",
):
    """Take up the blackout a due task proposes (or the time the manager chose): a blackout of
    the resource through the booking service, with the plan named in its reason."""
    resource = records_resource(actor, resource_key)
    status = next((s for s in plan_statuses(resource) if s.key == plan_key), None)
    if status is None:
        raise not_found("plan of this resource", "plan")
    proposal = rules.proposed_blackout(status, utcnow())
    if (start is None or end is None) and proposal is None:
        raise invalid("not_due", N_("This task is not due: give the time to block."), "start")
    kind = proposal[2] if proposal else ("requalification" if status.task == "requalification" else "maintenance")
    start, end = start or proposal[0], end or proposal[1]
    from facility.bookings.services import add_blackout

    return add_blackout(
        actor,
        resource.facility.key,
        start,
        end,
        resource_key=resource.key,
        kind=kind,
        reason=(reason.strip() or status.name),
    )


def tell_managers_of_failed_calibration(entry: LogbookEntry) -> None:
    """A failed calibration: mail the facility's managers the batches since the last pass."""
    from facility.accounts.services import managers_of
    from facility.core.mail import send_template

    resource = entry.resource
    since = last_passed_calibration(resource, entry.occurred_at)
    impact = _impact_of(resource, since.occurred_at if since else EVER, entry.occurred_at, since)
    send_template(managers_of([resource.facility_id]), "gmp/mail/calibration_failed", entry=entry, impact=impact)


# --- people in the room (Annex 1 ch. 7) ---------------------------------------------------------


def max_occupancy(resource: Resource) -> Optional[int]:
    return (resource.gmp_settings or {}).get("max_occupancy")


def counts_people(resource: Resource) -> bool:
    """Cleanrooms, and rooms with a maximum occupancy: who is in them is recorded."""
    return resource.kind == "cleanroom" or max_occupancy(resource) is not None


def _open_uses(resource: Resource):
    return select(UsageRecord.booking_id).where(
        UsageRecord.resource_id == resource.id, UsageRecord.end_at.is_(None), UsageRecord.superseded.is_(False)
    )


def occupancy(resource: Resource) -> int:
    """People in the room now: the owners of the bookings checked in, and those who entered
    with them and have not left (a booking checked out takes its people with it)."""
    owners = db.session.scalar(select(func.count()).select_from(_open_uses(resource).subquery()))
    others = db.session.scalar(
        select(func.count(RoomEntry.id)).where(
            RoomEntry.resource_id == resource.id,
            RoomEntry.left_at.is_(None),
            RoomEntry.booking_id.in_(_open_uses(resource)),
        )
    )
    return int(owners or 0) + int(others or 0)


def withdrawn_at(user: User, qualification_id: int) -> Optional[datetime]:
    return db.session.scalar(
        select(func.max(QualificationWithdrawal.withdrawn_at)).where(
            QualificationWithdrawal.user_id == user.id, QualificationWithdrawal.qualification_id == qualification_id
        )
    )


def qualification_problem(user: User, resource: Resource, now: datetime) -> Optional[str]:
    """Why ``user`` may not enter ``resource`` on their own qualification today, or None."""
    if resource.qualification_id is None:
        return None
    held = db.session.scalar(
        select(UserQualification).where(
            UserQualification.user_id == user.id, UserQualification.qualification_id == resource.qualification_id
        )
    )
    withdrawn = _aware(withdrawn_at(user, resource.qualification_id))
    return rules.qualification_problem(
        valid_until=held.valid_until if held else None,
        granted_at=held.granted_at if held else None,
        withdrawn_at=withdrawn,
        today=now.astimezone(ZoneInfo(resource.facility.timezone)).date(),
        gowning=resource.kind == "cleanroom",
    )


def _qualification_violations(user: User, resource: Resource, now: datetime, field_name: str) -> list[Violation]:
    problem = qualification_problem(user, resource, now)
    if problem is None:
        return []
    return [
        Violation.worded(problem, N_("%(problem)s."), field_name, problem=rules.qualification_words(problem, user.name))
    ]


def _person(email: Optional[str], field_name: str) -> User:
    from facility.accounts.services import get_user_by_email

    user = get_user_by_email((email or "").strip()) if email else None
    if user is None:
        raise not_found("user", field_name)
    return user


def _checked_in_booking(actor: User, booking_id: int):
    from facility.bookings.services import get_booking

    booking = get_booking(actor, booking_id)
    if actor.id != booking.user_id and not actor.manages(booking.facility):
        raise forbidden("Only the booking's owner or a manager of its facility can record who enters.")
    return booking


def enter_room(
    actor: User,
    booking_id: int,
    person_email: str,
    supervisor_email: Optional[str] = None,
    *,
    now: Optional[datetime] = None,
) -> RoomEntry:
    """Record that a person entered the room of a checked-in booking: room for one more, and a
    valid gowning qualification or a qualified supervisor in the room (then a supervised entry)."""
    now = now or utcnow()
    with write_transaction():
        booking = _checked_in_booking(actor, booking_id)
        resource = booking.resource
        person = _person(person_email, "user")
        supervisor = _person(supervisor_email, "supervisor") if supervisor_email else None
        in_room = people_in(booking)
        if db.session.scalar(_open_uses(resource).where(UsageRecord.booking_id == booking.id)) is None:
            raise invalid("not_checked_in", N_("Check the booking in first; then others may enter with it."))
        if person.id in in_room:
            raise invalid("already_in_room", N_("This person is in the room already."), "user")
        problems = rules.occupancy_violations(present=occupancy(resource), max_occupancy=max_occupancy(resource))
        problems += rules.entry_violations(
            person_problem=qualification_problem(person, resource, now),
            supervisor_given=supervisor is not None,
            supervisor_present=supervisor is not None and supervisor.id in in_room,
            supervisor_problem=qualification_problem(supervisor, resource, now) if supervisor else None,
            supervisor_is_person=supervisor is not None and supervisor.id == person.id,
        )
        if problems:
            raise rule_violations(problems)
        supervised = qualification_problem(person, resource, now) is not None
        entry = RoomEntry(
            resource=resource,
            booking_id=booking.id,
            user=person,
            entered_at=now,
            supervised_by=supervisor if supervised else None,
            recorded_by=actor,
        )
        db.session.add(entry)
        audit.record(
            actor,
            "room.entered_supervised" if supervised else "room.entered",
            entry,
            after={
                "resource": resource.key,
                "booking": booking.id,
                "user": person.email,
                "supervised_by": supervisor.email if supervised else None,
                "at": now.isoformat(),
            },
            facility=resource.facility,
        )
    return entry


def people_in(booking) -> dict[int, User]:
    """Who is in the room with ``booking``: its owner while it is checked in, and those who
    entered with it and have not left."""
    resource = booking.resource
    if db.session.scalar(_open_uses(resource).where(UsageRecord.booking_id == booking.id)) is None:
        return {}
    people = {booking.user_id: booking.user}
    for entry in db.session.scalars(
        select(RoomEntry).where(RoomEntry.booking_id == booking.id, RoomEntry.left_at.is_(None))
    ):
        people[entry.user_id] = entry.user
    return people


def leave_room(actor: User, entry_id: int, *, now: Optional[datetime] = None) -> RoomEntry:
    now = now or utcnow()
    with write_transaction():
        entry = db.session.get(RoomEntry, entry_id) if 0 < entry_id < 2**31 else None
        if entry is None:
            raise not_found("room entry")
        _checked_in_booking(actor, entry.booking_id)
        if entry.left_at is not None:
            raise invalid("already_left", N_("This person has left the room already."))
        entry.left_at = max(now, entry.entered_at)
        audit.record(
            actor,
            "room.left",
            entry,
            before={"left_at": None},
            after={"left_at": entry.left_at.isoformat(), "user": entry.user.email},
            facility=entry.resource.facility,
        )
    return entry


def room_entries(actor: User, booking_id: int) -> list[RoomEntry]:
    booking = _checked_in_booking(actor, booking_id)
    return list(
        db.session.scalars(select(RoomEntry).where(RoomEntry.booking_id == booking.id).order_by(RoomEntry.entered_at))
    )


def withdraw_qualification(
    actor: User, user_email: str, qualification_key: str, reason: str, *, now: Optional[datetime] = None
) -> QualificationWithdrawal:
    """A manager withdraws a person's qualification (a gowning qualification, say), with the
    reason, in the audit trail; granting it again lifts the withdrawal."""
    from facility.catalog.models import Qualification

    now = now or utcnow()
    with write_transaction():
        require_a_manager(actor, "Only lab managers can withdraw a qualification.")
        person = _person(user_email, "user")
        qualification = db.session.scalar(select(Qualification).where(Qualification.key == qualification_key))
        if qualification is None:
            raise not_found("qualification", "qualification")
        if not actor.is_admin and not any(
            r.qualification_id == qualification.id for f in actor.facilities for r in f.resources
        ):
            raise forbidden("Only a manager of a facility that requires this qualification can withdraw it.")
        held = db.session.scalar(
            select(UserQualification).where(
                UserQualification.user_id == person.id, UserQualification.qualification_id == qualification.id
            )
        )
        if held is None:
            raise invalid("not_held", N_("This person does not hold that qualification."), "qualification")
        if not (reason or "").strip():
            raise invalid("reason_required", N_("Say why the qualification is withdrawn."), "reason")
        withdrawal = QualificationWithdrawal(
            user=person, qualification=qualification, withdrawn_at=now, withdrawn_by=actor, reason=reason.strip()
        )
        db.session.add(withdrawal)
        audit.record(
            actor,
            "qualification.withdrawn",
            withdrawal,
            before={"valid_until": held.valid_until.isoformat()},
            after={"user": person.email, "qualification": qualification.key, "withdrawn_at": now.isoformat()},
            reason=withdrawal.reason,
        )
    return withdrawal


def recent_withdrawals(actor: User, limit: int = 100) -> list[QualificationWithdrawal]:
    require_a_manager(actor, "Only lab managers can see withdrawn qualifications.")
    return list(
        db.session.scalars(
            select(QualificationWithdrawal).order_by(QualificationWithdrawal.withdrawn_at.desc()).limit(limit)
        )
    )
