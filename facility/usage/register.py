"""The project office's register for the funder's indicators: participations of organisations
in activities 3.2 and 3.4, grants, cooperation with research organisations, developments and
innovations, private investment, partners (``models.REGISTER_KINDS``).

Append-only for auditability: an entry is never changed or deleted. A correction is a new
entry that replaces the old one (an entry is replaced at most once), a withdrawal a new entry
that replaces it with ``withdrawn`` set; both keep the old entry and say why (the evidence).
Each write is one transaction with its audit event.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from typing import Optional

from sqlalchemy import and_, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from facility import audit
from facility.accounts.models import Organisation, User
from facility.accounts.organisations import formatted, get_organisation
from facility.core.access import require_admin
from facility.core.database import write_transaction
from facility.core.errors import Violation, invalid, not_found, rule_violations
from facility.core.extensions import db
from facility.core.time import FIRST_YEAR, LAST_YEAR
from facility.usage.models import REGISTER_KINDS, RegisterEntry

MAX_EVIDENCE = 2000
MONEY_KINDS = ("private_investment",)  # the kinds that carry an amount in SEK
ONLY_ADMIN = "Only the project office (an administrator) keeps the indicator register."


def active(entry=RegisterEntry):
    """SQL: the entry (``RegisterEntry`` or an alias of it) counts: neither replaced nor a withdrawal."""
    later = aliased(RegisterEntry)
    return and_(entry.withdrawn.is_(False), ~exists().where(later.replaces_id == entry.id))


def add_entry(
    actor: User,
    kind: str,
    organisation_key: str,
    day: date,
    evidence: str,
    *,
    amount_sek: Optional[int] = None,
    replaces: Optional[int] = None,
) -> RegisterEntry:
    """Register that ``organisation_key`` did ``kind`` on ``day``, with its evidence; with
    ``replaces``, as the correction of that entry."""
    require_admin(actor, ONLY_ADMIN)
    _check(kind, day, evidence, amount_sek)
    with write_transaction(), _replaced_meanwhile(replaces):
        organisation = get_organisation(organisation_key, "organisation")
        if organisation.kind == "company" and not organisation.org_number:
            raise invalid(
                "org_number_required",
                f"'{organisation.key}' is a company without an organisation number; give it one first "
                "(it is what counts an enterprise once).",
                "organisation",
            )
        old = _replaceable(replaces) if replaces is not None else None
        entry = RegisterEntry(
            kind=kind,
            organisation=organisation,
            day=day,
            evidence=evidence.strip(),
            amount_sek=amount_sek,
            replaces_id=old.id if old else None,
            recorded_by_id=actor.id,
        )
        db.session.add(entry)
        audit.record(
            actor,
            "register.corrected" if old else "register.added",
            entry,
            before=describe(old) if old else None,
            after=describe(entry),
            reason=entry.evidence,
        )
    return entry


def withdraw_entry(actor: User, entry_id: int, evidence: str) -> RegisterEntry:
    """Withdraw an entry (it no longer counts) by a new entry that says why."""
    require_admin(actor, ONLY_ADMIN)
    if not evidence.strip():
        raise invalid("required", "Say why the entry is withdrawn (the evidence).", "evidence")
    if len(evidence) > MAX_EVIDENCE:
        raise invalid("too_long", f"The evidence may be at most {MAX_EVIDENCE} characters.", "evidence")
    with write_transaction(), _replaced_meanwhile(entry_id, field=None):
        old = _replaceable(entry_id, field=None)
        entry = RegisterEntry(
            kind=old.kind,
            organisation_id=old.organisation_id,
            day=old.day,
            evidence=evidence.strip(),
            amount_sek=old.amount_sek,
            replaces_id=old.id,
            withdrawn=True,
            recorded_by_id=actor.id,
        )
        db.session.add(entry)
        audit.record(actor, "register.withdrawn", entry, before=describe(old), after=None, reason=entry.evidence)
    return entry


def list_entries(actor: User, kind: Optional[str] = None) -> list[RegisterEntry]:
    """Every entry, corrected and withdrawn ones too (``describe`` says which), newest day first."""
    require_admin(actor, ONLY_ADMIN)
    if kind is not None and kind not in REGISTER_KINDS:
        raise invalid("invalid", f"Kind must be one of {', '.join(REGISTER_KINDS)}.", "kind")
    query = select(RegisterEntry).join(Organisation).order_by(RegisterEntry.day.desc(), RegisterEntry.id.desc())
    if kind is not None:
        query = query.where(RegisterEntry.kind == kind)
    return list(db.session.scalars(query))


def replaced_ids() -> set[int]:
    return set(db.session.scalars(select(RegisterEntry.replaces_id).where(RegisterEntry.replaces_id.is_not(None))))


def describe(entry: RegisterEntry, replaced: Optional[set[int]] = None) -> dict:
    """The entry as plain values (the API, the audit trail, the lists behind the figures)."""
    state = "withdrawal" if entry.withdrawn else "replaced" if entry.id in (replaced or ()) else "counts"
    return {
        "id": entry.id,
        "kind": entry.kind,
        "organisation": entry.organisation.key,
        "org_number": formatted(entry.organisation.org_number),
        "day": entry.day.isoformat(),
        "evidence": entry.evidence,
        "amount_sek": int(entry.amount_sek) if entry.amount_sek is not None else None,
        "replaces": entry.replaces_id,
        "state": state,
    }


def _check(kind: str, day: date, evidence: str, amount_sek: Optional[int]) -> None:
    problems = []
    if kind not in REGISTER_KINDS:
        problems.append(Violation("invalid", f"Kind must be one of {', '.join(REGISTER_KINDS)}.", "kind"))
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        problems.append(Violation("invalid", f"Give a day between the years {FIRST_YEAR} and {LAST_YEAR}.", "day"))
    if not evidence.strip():
        problems.append(Violation("required", "Give the evidence: a note or a document reference.", "evidence"))
    elif len(evidence) > MAX_EVIDENCE:
        problems.append(Violation("too_long", f"The evidence may be at most {MAX_EVIDENCE} characters.", "evidence"))
    if kind in MONEY_KINDS and amount_sek is None:
        problems.append(Violation("required", "A private investment needs its amount in SEK.", "amount_sek"))
    if kind not in MONEY_KINDS and amount_sek is not None:
        problems.append(Violation("invalid", "Only a private investment has an amount.", "amount_sek"))
    if amount_sek is not None and amount_sek < 0:
        problems.append(Violation("invalid", "The amount cannot be negative.", "amount_sek"))
    if problems:
        raise rule_violations(problems)


@contextmanager
def _replaced_meanwhile(entry_id: Optional[int], field: Optional[str] = "replaces"):
    """Two corrections of one entry at once (PostgreSQL, several workers): the database's unique
    ``replaces_id`` refuses the second; it gets the same answer as had it come later."""
    try:
        yield
    except IntegrityError:
        if entry_id is None:
            raise
        raise _already_replaced(entry_id, field) from None


def _already_replaced(entry_id: int, field: Optional[str]):
    return invalid(
        "already_replaced",
        f"Register entry {entry_id} was corrected or withdrawn already; correct the entry that replaced it.",
        field,
    )


def _replaceable(entry_id: int, field: Optional[str] = "replaces") -> RegisterEntry:
    old = db.session.get(RegisterEntry, entry_id)
    if old is None:
        raise not_found(f"register entry {entry_id}", field)
    if old.withdrawn or entry_id in replaced_ids():
        raise _already_replaced(entry_id, field)
    return old
