"""The rules of the GMP records, as plain functions over plain values (no Flask, no database).

Where a rule comes from a regulation, it says which:
- EudraLex Vol. 4, Part I, ch. 4 (4.31-4.32): a chronological logbook of use, cleaning,
  maintenance, calibration and repairs, with dates and the people who did them; a change
  leaves the original legible and records the reason (4.9). Part IV (ATMP) 6.8-6.10 likewise.
- Part I ch. 5 (5.35-5.36, line clearance): before processing starts, the room and equipment
  are clean and free of earlier materials; rooms are labelled with the product and batch.
- 21 CFR 211.182 and 1271.200(e): records of cleaning and use name the batch or lot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Optional

from facility.core.errors import Violation
from facility.core.words import N_, Words

CLEANING_KINDS = ("cleaning", "line_clearance")
ENTRY_KINDS = (*CLEANING_KINDS, "verification", "maintenance", "calibration", "repair", "deviation", "note")
# Entries anyone qualified at the resource may write; the others are the managers'.
OPERATOR_KINDS = (*CLEANING_KINDS, "verification")
OUTCOMES = ("passed", "failed")
# The cleaning state of a resource (Part I 5.35): what must happen before its next use.
IN_USE, TO_BE_CLEANED, TO_BE_VERIFIED, RELEASED = "in_use", "to_be_cleaned", "to_be_verified", "released"
CLEANING_STATES = (IN_USE, TO_BE_CLEANED, TO_BE_VERIFIED, RELEASED)
DEFAULT_BACKDATE_HOURS = 48


def requires_line_clearance(settings: Optional[dict]) -> bool:
    """A resource that asks for line clearance (instruments.yaml ``gmp: {line_clearance: true}``,
    every GMP room) is cleaned, verified by a second person and released before each use."""
    return bool((settings or {}).get("line_clearance"))


def tracks_cleaning(gmp_level: str, settings: Optional[dict] = None) -> bool:
    """Pre-GMP and GMP facilities keep the cleaning state of every room and instrument."""
    return gmp_level in ("pre-gmp", "gmp") or requires_line_clearance(settings)


def batch_records(gmp_level: str, settings: Optional[dict]) -> str:
    """Whether bookings and uses name the product and batch: 'required', 'asked' or 'none'.
    instruments.yaml says it per facility (``gmp: {batch_records: ...}``); left out, pre-GMP and
    GMP facilities ask for them and a research lab does not."""
    declared = (settings or {}).get("batch_records")
    if declared:
        return declared
    return "none" if gmp_level == "research" else "asked"


def check_labels(mode: str, product: Optional[str], batch: Optional[str], product_field: str) -> list[Violation]:
    """Where batch records are required (the GMP unit), a booking or use names the product (or
    project) and the batch or lot in process (Part I 5.36 labelling, 21 CFR 211.182, 1271.200(e))."""
    if mode != "required":
        return []
    problems = []
    if not (product or "").strip():
        problems.append(
            Violation.worded("product_required", N_("At a GMP facility, name the product (or project)."), product_field)
        )
    if not (batch or "").strip():
        problems.append(
            Violation.worded("batch_required", N_("At a GMP facility, give the batch or lot number."), "batch")
        )
    return problems


def check_entry(
    *,
    kind: str,
    occurred_at: datetime,
    now: datetime,
    backdate_limit: timedelta,
    procedure: str,
    text: str,
    outcome: Optional[str],
    verifies: bool,
    corrects_kind: Optional[str],
    reason: str,
) -> list[Violation]:
    """Every problem of a new entry at once (nothing is written if there is one)."""
    problems: list[Violation] = []
    if kind not in ENTRY_KINDS:
        problems.append(Violation("invalid_kind", f"The kind must be one of {', '.join(ENTRY_KINDS)}.", "kind"))
    if occurred_at > now + timedelta(minutes=1):
        problems.append(
            Violation.worded("in_future", N_("An entry records what has happened, not what will."), "occurred_at")
        )
    elif occurred_at < now - backdate_limit:
        hours = int(backdate_limit.total_seconds() // 3600)
        problems.append(
            Violation.worded(
                "backdated_too_far",
                N_(
                    "An entry may be dated at most %(hours)s hours back; record it with today's date and say when"
                    " it happened."
                ),
                "occurred_at",
                hours=hours,
            )
        )
    if kind in CLEANING_KINDS and not procedure.strip():
        problems.append(
            Violation.worded("procedure_required", N_("Name the procedure (SOP) that was followed."), "procedure")
        )
    if kind in ("calibration", "verification") and outcome not in OUTCOMES:
        problems.append(Violation.worded("outcome_required", N_("Say whether it passed or failed."), "outcome"))
    elif outcome is not None and outcome not in OUTCOMES:
        problems.append(Violation.worded("invalid", N_("The outcome is passed or failed."), "outcome"))
    if kind == "verification" and not verifies and corrects_kind is None:
        problems.append(Violation.worded("verifies_required", N_("Name the cleaning this verifies."), "verifies"))
    if kind not in ("verification",) and kind in ENTRY_KINDS and kind not in CLEANING_KINDS and not text.strip():
        problems.append(Violation.worded("text_required", N_("Describe what was done or found."), "text"))
    if corrects_kind is not None:
        if corrects_kind != kind:
            problems.append(
                Violation.worded(
                    "kind_mismatch", N_("A correction of a %(kind)s entry is one too."), "kind", kind=corrects_kind
                )
            )
        if not reason.strip():
            problems.append(Violation.worded("reason_required", N_("A correction says why."), "reason"))
    return problems


@dataclass(frozen=True)
class Cleaning:
    """An effective (not corrected) cleaning or line clearance, with its verification if any."""

    entry_id: int
    at: datetime
    by_id: int
    verified: Optional[bool]  # None: not verified yet; False: verification failed


def cleaning_state(
    *, in_use: bool, last_use_end: Optional[datetime], cleanings: Iterable[Cleaning], needs_verification: bool
) -> tuple[str, Optional[Cleaning]]:
    """Where a resource stands after its last use: in use, to be cleaned, to be verified (a
    second person, Part I 5.35 and Annex 1 ch. 7) or released; with the cleaning that counts."""
    if in_use:
        return IN_USE, None
    after = [c for c in cleanings if last_use_end is None or c.at >= last_use_end]
    if not after:
        return (TO_BE_CLEANED if last_use_end is not None else RELEASED), None
    last = max(after, key=lambda c: (c.at, c.entry_id))
    if not needs_verification or last.verified:
        return RELEASED, last
    if last.verified is False:
        return TO_BE_CLEANED, last
    return TO_BE_VERIFIED, last


def check_verifier(*, verifier_id: int, cleaner_id: int, qualified: bool) -> list[Violation]:
    problems = []
    if verifier_id == cleaner_id:
        problems.append(
            Violation.worded(
                "verifier_is_cleaner", N_("A second person verifies a cleaning, not the one who did it."), "verifies"
            )
        )
    if not qualified:
        problems.append(
            Violation.worded(
                "not_qualified", N_("Only a manager or a person qualified for this resource can verify."), "verifies"
            )
        )
    return problems


# --- maintenance and calibration plans (Part I 3.41-3.44, Annex 15) ----------------------------

PLAN_STATES = ("not_recorded", "ok", "due_soon", "overdue", "failed")
DUE_SOON_SHARE = 0.9  # an hours-of-use plan is due soon at 90 % of its interval


def entry_kind_for(task: str) -> str:
    """The logbook entry that records a plan's task: a calibration, or a maintenance."""
    return "calibration" if task == "calibration" else "maintenance"


@dataclass(frozen=True)
class PlanStatus:
    key: str
    task: str
    name: str
    every_days: Optional[int]
    every_hours_of_use: Optional[int]
    lead_days: int
    last_done: Optional[datetime]
    last_outcome: Optional[str]
    due_at: Optional[datetime]
    hours_used: Optional[float]
    state: str

    @property
    def lapsed(self) -> bool:
        """A calibration that is overdue or failed: the resource is not to be used."""
        return self.task == "calibration" and self.state in ("overdue", "failed")

    @property
    def needs_attention(self) -> bool:
        return self.state in ("due_soon", "overdue", "failed")


def plan_status(
    plan: dict,
    *,
    now: datetime,
    last_done: Optional[datetime],
    last_outcome: Optional[str],
    hours_used: Optional[float],
) -> PlanStatus:
    """Where a recurring task stands: never recorded, in order, due soon, overdue, or failed
    at its last record. ``last_done`` is the last record's time, ``hours_used`` the resource's
    hours of use since it (for a plan by hours of use)."""
    every_days, every_hours = plan.get("every_days"), plan.get("every_hours_of_use")
    lead = timedelta(days=plan.get("lead_days", 14))
    due_at = last_done + timedelta(days=every_days) if every_days and last_done is not None else None
    if last_done is None:
        state = "not_recorded"
    elif last_outcome == "failed":
        state = "failed"
    elif due_at is not None:
        state = "overdue" if now >= due_at else "due_soon" if now >= due_at - lead else "ok"
    elif every_hours:
        used = hours_used or 0.0
        state = "overdue" if used >= every_hours else "due_soon" if used >= DUE_SOON_SHARE * every_hours else "ok"
    else:
        state = "ok"
    return PlanStatus(
        key=plan["key"],
        task=plan["task"],
        name=plan["name"],
        every_days=every_days,
        every_hours_of_use=every_hours,
        lead_days=plan.get("lead_days", 14),
        last_done=last_done,
        last_outcome=last_outcome,
        due_at=due_at,
        hours_used=hours_used if every_hours else None,
        state=state,
    )


def calibration_violations(statuses: Iterable[PlanStatus]) -> list[Violation]:
    """A resource whose calibration has lapsed (overdue, or failed at its last record) is neither
    booked nor checked in to until a calibration is recorded as passed."""
    lapsed = [s for s in statuses if s.lapsed]
    if not lapsed:
        return []
    names = ", ".join(s.name for s in lapsed)
    return [
        Violation.worded(
            "calibration_lapsed",
            N_(
                "The calibration of this resource has lapsed (%(plans)s); it can be used again once a passed"
                " calibration is recorded."
            ),
            "resource",
            plans=names,
        )
    ]


def proposed_blackout(status: PlanStatus, now: datetime) -> Optional[tuple[datetime, datetime, str]]:
    """The blackout a task that falls due proposes: a day from its due time (or from now, when
    it is overdue or due by hours of use), as maintenance or requalification."""
    if not status.needs_attention:
        return None
    start = max(status.due_at, now) if status.due_at is not None else now
    return start, start + timedelta(days=1), "requalification" if status.task == "requalification" else "maintenance"


# --- people in the room (EU GMP Annex 1 (2022) ch. 7: 7.4, 7.5, 7.13) ---------------------------

GOWNING_VALIDITY = timedelta(days=365)  # gowning is requalified at least once a year (7.13)


def qualification_problem(
    *,
    valid_until: Optional[date],
    granted_at: Optional[datetime],
    withdrawn_at: Optional[datetime],
    today: date,
    gowning: bool,
) -> Optional[str]:
    """Why a person does not hold a resource's qualification today (a code), or None. A
    withdrawal counts until the qualification is granted again; a gowning qualification lasts
    at most a year from its grant, whatever its recorded end."""
    if valid_until is None:
        return "not_qualified"
    if withdrawn_at is not None and (granted_at is None or withdrawn_at >= granted_at):
        return "qualification_withdrawn"
    if today > valid_until:
        return "qualification_expired"
    if gowning and granted_at is not None and today > (granted_at + GOWNING_VALIDITY).date():
        return "qualification_expired"
    return None


# Why someone may not enter a room on their own, said of ``%(person)s`` (a name, "This person",
# "The supervisor").
QUALIFICATION_TEXTS = {
    "not_qualified": N_("%(person)s does not hold the qualification this room needs"),
    "qualification_withdrawn": N_("%(person)s had the qualification this room needs withdrawn"),
    "qualification_expired": N_(
        "%(person)s holds an expired qualification for this room (gowning is requalified every year)"
    ),
}


def qualification_words(problem: str, person) -> Words:
    """``problem`` (a key of ``QUALIFICATION_TEXTS``) said of ``person`` (a name, or ``Words``)."""
    return Words(QUALIFICATION_TEXTS[problem], {"person": person})


def occupancy_violations(*, present: int, max_occupancy: Optional[int]) -> list[Violation]:
    """A cleanroom holds at most ``max_occupancy`` people (Annex 1 7.4)."""
    if max_occupancy is not None and present + 1 > max_occupancy:
        return [
            Violation.worded(
                "occupancy_full",
                N_("The room holds at most %(most)s people, and %(present)s are in it."),
                "user",
                most=max_occupancy,
                present=present,
            )
        ]
    return []


def entry_violations(
    *,
    person_problem: Optional[str],
    supervisor_given: bool,
    supervisor_present: bool,
    supervisor_problem: Optional[str],
    supervisor_is_person: bool,
) -> list[Violation]:
    """Someone without a valid qualification enters only with a qualified supervisor who is in
    the room (Annex 1 7.5); the entry is then recorded as supervised."""
    if person_problem is None:
        return []
    if not supervisor_given:
        return [
            Violation.worded(
                "supervisor_required",
                N_("%(problem)s: they may enter only with a qualified supervisor."),
                "supervisor",
                problem=qualification_words(person_problem, Words(N_("This person"))),
            )
        ]
    problems = []
    if supervisor_is_person:
        problems.append(
            Violation.worded("supervisor_required", N_("A person does not supervise themselves."), "supervisor")
        )
    if not supervisor_present:
        problems.append(
            Violation.worded("supervisor_not_present", N_("The supervisor must be in the room."), "supervisor")
        )
    if supervisor_problem is not None:
        problems.append(
            Violation.worded(
                "supervisor_not_qualified",
                N_("%(problem)s."),
                "supervisor",
                problem=qualification_words(supervisor_problem, Words(N_("The supervisor"))),
            )
        )
    return problems
