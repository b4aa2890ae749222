"""Organisations as the funder knows them: the Swedish organisation number (the key that counts
an enterprise once) and the size class of a company with the day it holds from and its source.

The size class history is append-only (``OrganisationSize``); ``Organisation.size_class`` keeps
the latest for the pages that show it. Each write is one transaction with its audit event.
"""

from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from stdnum.exceptions import ValidationError as NumberError
from stdnum.se import orgnr

from facility import audit
from facility.accounts.models import Organisation, OrganisationSize, User
from facility.core.access import require_admin
from facility.core.database import write_transaction
from facility.core.errors import Violation, invalid, not_found, rule_violations
from facility.core.extensions import db
from facility.core.vocabulary import SIZE_CLASSES

MAX_SOURCE_LENGTH = 2000


def org_number(text: str, field: str = "org_number") -> str:
    """The organisation number in its compact form (10 digits), or a 422 ``invalid_org_number``
    saying what is wrong (python-stdnum's ``se.orgnr``: format, length or check digit)."""
    try:
        return orgnr.validate(text)
    except NumberError as error:
        raise invalid(
            "invalid_org_number",
            f"'{text}' is not a Swedish organisation number (like 556036-0793): {error.message}",
            field,
        ) from None


def formatted(number: Optional[str]) -> Optional[str]:
    """``5560360793`` -> ``556036-0793``."""
    return orgnr.format(number) if number else None


def list_organisations(actor: User) -> list[Organisation]:
    require_admin(actor, "Only the project office (an administrator) can see the organisations' details.")
    return list(db.session.scalars(select(Organisation).order_by(Organisation.key)))


def get_organisation(key: str, field: Optional[str] = None) -> Organisation:
    organisation = db.session.scalar(select(Organisation).where(Organisation.key == key))
    if organisation is None:
        raise not_found(f"organisation '{key}'", field)
    return organisation


def set_org_number(actor: User, key: str, number: str, reason: str = "") -> Organisation:
    """Give an organisation its organisation number; no two organisations share one."""
    require_admin(actor, "Only the project office (an administrator) can change organisations.")
    compact = org_number(number)
    try:
        return _set_org_number(actor, key, compact, reason)
    except IntegrityError:  # given to another organisation at the same moment (the unique column)
        raise _taken(compact, "another organisation") from None


def _taken(compact: str, holder: str):
    return invalid(
        "duplicate_org_number",
        f"Organisation number {formatted(compact)} belongs to {holder} already: an enterprise is one organisation.",
        "org_number",
    )


def _set_org_number(actor: User, key: str, compact: str, reason: str) -> Organisation:
    with write_transaction():
        organisation = get_organisation(key)
        holder = db.session.scalar(select(Organisation).where(Organisation.org_number == compact))
        if holder is not None and holder.id != organisation.id:
            raise _taken(compact, f"'{holder.key}'")
        before = organisation.org_number
        if before != compact:
            organisation.org_number = compact
            audit.record(
                actor,
                "organisation.org_number",
                organisation,
                before={"org_number": before},
                after={"org_number": compact},
                reason=reason,
            )
    return organisation


def record_size_class(actor: User, key: str, size_class: str, valid_from: date, source: str) -> OrganisationSize:
    """Record a company's size class from ``valid_from`` on, with its source (an annual report,
    the company's own declaration, ...). Earlier rows stay: support before ``valid_from`` counts
    with the size class the company had then."""
    require_admin(actor, "Only the project office (an administrator) can change organisations.")
    problems = []
    if size_class not in SIZE_CLASSES:
        problems.append(Violation("invalid", f"Size class must be one of {', '.join(SIZE_CLASSES)}.", "size_class"))
    if not source.strip():
        problems.append(Violation("required", "Say where the size class comes from (the source).", "source"))
    if problems:
        raise rule_violations(problems)
    with write_transaction():
        organisation = get_organisation(key)
        if organisation.kind != "company":
            raise invalid("not_a_company", f"'{key}' is a {organisation.kind}; only a company has a size class.")
        row = OrganisationSize(
            organisation=organisation,
            size_class=size_class,
            valid_from=valid_from,
            source=source.strip(),
            recorded_by_id=actor.id,
        )
        db.session.add(row)
        latest = db.session.scalar(
            select(OrganisationSize.valid_from)
            .where(OrganisationSize.organisation_id == organisation.id)
            .order_by(OrganisationSize.valid_from.desc())
            .limit(1)
        )
        before = organisation.size_class
        if latest is None or valid_from >= latest:
            organisation.size_class = size_class
        audit.record(
            actor,
            "organisation.size_class",
            row,
            before={"size_class": before},
            after={"size_class": size_class, "valid_from": valid_from.isoformat(), "source": row.source},
            reason=row.source,
        )
    return row


def size_history(organisation: Organisation) -> list[OrganisationSize]:
    return list(
        db.session.scalars(
            select(OrganisationSize)
            .where(OrganisationSize.organisation_id == organisation.id)
            .order_by(OrganisationSize.valid_from, OrganisationSize.id)
        )
    )
