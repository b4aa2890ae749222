"""The shapes of the GMP records' API: what comes in (strict) and what goes out."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, validate

from facility.gmp import rules
from facility.gmp.services import use_batch, use_product
from facility.http.fields import AwareDateTime, LocalDateTime, id_range
from facility.http.schemas import StrictSchema

FORMATS = ("json", "csv", "pdf")


def _zone(obj) -> str:
    return obj.resource.facility.timezone


class LogbookQuerySchema(StrictSchema):
    from_ = fields.Date(data_key="from", metadata={"description": "first local day, YYYY-MM-DD (default: 31 days ago)"})
    to = fields.Date(metadata={"description": "last local day, YYYY-MM-DD, included (default: today)"})
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class EntryCreateSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(rules.ENTRY_KINDS))
    occurred_at = AwareDateTime(
        load_default=None, allow_none=True, metadata={"description": "when it was done (default: now)"}
    )
    procedure = fields.String(load_default="", validate=validate.Length(max=200), metadata={"description": "SOP"})
    text = fields.String(load_default="", validate=validate.Length(max=4000))
    outcome = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(rules.OUTCOMES))
    product = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    batch = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    verifies = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=id_range(),
        metadata={"description": "a verification: the id of the cleaning or line clearance it verifies"},
    )
    corrects = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=id_range(),
        metadata={"description": "a correction: the id of the entry it corrects (which stays)"},
    )
    reason = fields.String(load_default="", validate=validate.Length(max=2000))
    password = fields.String(
        load_default="",
        load_only=True,
        validate=validate.Length(max=1000),
        metadata={"description": "a verification: the verifier's password, which signs it (21 CFR 11.200)"},
    )
    plan = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the key of the resource's maintenance or calibration plan this carries out"},
    )


class EntrySchema(Schema):
    id = fields.Integer()
    number = fields.String()
    resource = fields.Function(lambda e: e.resource.key, metadata={"type": "string"})
    kind = fields.String(metadata={"enum": list(rules.ENTRY_KINDS)})
    occurred_at = LocalDateTime(_zone)
    recorded_at = LocalDateTime(_zone)
    recorded_by = fields.Function(lambda e: e.recorded_by.email, metadata={"type": "string"})
    procedure = fields.String()
    text = fields.String()
    outcome = fields.String(allow_none=True)
    product = fields.String(allow_none=True)
    batch = fields.String(allow_none=True)
    verifies = fields.Integer(attribute="verifies_id", allow_none=True)
    corrects = fields.Integer(attribute="corrects_id", allow_none=True)
    reason = fields.String()
    signed_by = fields.String(attribute="signer_name", allow_none=True)
    signature_meaning = fields.String(allow_none=True)
    plan = fields.String(attribute="plan_key", allow_none=True)


class LineSchema(Schema):
    number = fields.String(metadata={"description": "E: an entry, U: a usage record, S: a status change"})
    at = fields.String(metadata={"format": "date-time"})
    until = fields.String(allow_none=True, metadata={"format": "date-time"})
    kind = fields.String(metadata={"enum": ["use", "entry", "status", *rules.ENTRY_KINDS]})
    who = fields.String()
    what = fields.String()
    procedure = fields.String()
    outcome = fields.String(allow_none=True)
    product = fields.String(allow_none=True)
    batch = fields.String(allow_none=True)
    corrects = fields.String(allow_none=True)
    corrected_by = fields.String(allow_none=True)
    reason = fields.String()
    signed_by = fields.String(allow_none=True)
    supervised_by = fields.String(allow_none=True, metadata={"description": "an entry under supervision: by whom"})


class LogbookSchema(Schema):
    resource = fields.String()
    facility = fields.String()
    timezone = fields.String()
    start = fields.String(metadata={"format": "date-time"})
    end = fields.String(metadata={"format": "date-time"})
    lines = fields.List(fields.Nested(LineSchema))


def logbook_json(book) -> dict:
    """The logbook as plain values, times with the facility's offset."""
    zone = ZoneInfo(book.zone)

    def when(instant):
        return instant.astimezone(zone).isoformat() if instant else None

    return {
        "resource": book.resource.key,
        "facility": book.resource.facility.key,
        "timezone": book.zone,
        "start": when(book.start),
        "end": when(book.end),
        "lines": [
            {
                "number": line.number,
                "at": when(line.at),
                "until": when(line.until),
                "kind": line.kind,
                "who": line.who,
                "what": line.what,
                "procedure": line.procedure,
                "outcome": line.outcome,
                "product": line.product,
                "batch": line.batch,
                "corrects": line.corrects,
                "corrected_by": line.corrected_by,
                "reason": line.reason,
                "signed_by": line.signer,
                "supervised_by": line.supervised_by,
            }
            for line in book.lines
        ],
    }


class CleaningStatusSchema(Schema):
    resource = fields.Function(lambda s: s.resource.key, metadata={"type": "string"})
    state = fields.String(metadata={"enum": list(rules.CLEANING_STATES)})
    gated = fields.Boolean(metadata={"description": "check-in waits until the resource is released"})
    cleaning = fields.Integer(attribute="cleaning.id", allow_none=True)
    last_use_end = LocalDateTime(_zone, allow_none=True)


class FacilityQuerySchema(StrictSchema):
    facility = fields.String(metadata={"description": "one facility's key (default: all the caller manages)"})


class ImpactQuerySchema(StrictSchema):
    from_ = fields.Date(data_key="from", metadata={"description": "first local day, YYYY-MM-DD (default: 31 days ago)"})
    to = fields.Date(metadata={"description": "last local day, YYYY-MM-DD, included (default: now)"})
    since = fields.String(
        validate=validate.OneOf(["last-passed-calibration"]),
        metadata={"description": "last-passed-calibration: from the last calibration that passed (from is ignored)"},
    )
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class BatchUseSchema(Schema):
    product = fields.String(allow_none=True)
    batch = fields.String(allow_none=True)
    first_use = fields.String(metadata={"format": "date-time"})
    last_use = fields.String(allow_none=True, metadata={"format": "date-time"})
    uses = fields.Integer()
    users = fields.List(fields.String())


class ImpactUseSchema(Schema):
    id = fields.Integer()
    product = fields.String(allow_none=True)
    batch = fields.String(allow_none=True)
    start = fields.String(metadata={"format": "date-time"})
    end = fields.String(allow_none=True, metadata={"format": "date-time"})
    user = fields.String()
    booking = fields.Integer(allow_none=True)


class ImpactSchema(Schema):
    resource = fields.String()
    start = fields.String(metadata={"format": "date-time"})
    end = fields.String(metadata={"format": "date-time"})
    since_calibration = fields.String(
        allow_none=True, metadata={"description": "the number of the last passed calibration (E...), if asked"}
    )
    batches = fields.List(fields.Nested(BatchUseSchema))
    uses = fields.List(fields.Nested(ImpactUseSchema))


def impact_json(impact) -> dict:
    zone = ZoneInfo(impact.zone)

    def when(instant):
        return instant.astimezone(zone).isoformat() if instant else None

    return {
        "resource": impact.resource.key,
        "start": when(impact.start),
        "end": when(impact.end),
        "since_calibration": impact.since.number if impact.since is not None else None,
        "batches": [
            {
                "product": b.product,
                "batch": b.batch,
                "first_use": when(b.first_use),
                "last_use": when(b.last_use),
                "uses": b.uses,
                "users": b.users,
            }
            for b in impact.batches
        ],
        "uses": [
            {
                "id": u.id,
                "product": use_product(u),
                "batch": use_batch(u),
                "start": when(u.start_at),
                "end": when(u.end_at),
                "user": u.user.email,
                "booking": u.booking_id,
            }
            for u in impact.uses
        ],
    }


class BlackoutProposalSchema(Schema):
    start = fields.String(metadata={"format": "date-time"})
    end = fields.String(metadata={"format": "date-time"})
    kind = fields.String()


class PlanStatusSchema(Schema):
    key = fields.String()
    task = fields.String(
        metadata={"enum": ["calibration", "maintenance", "service", "filter_change", "requalification"]}
    )
    name = fields.String()
    every_days = fields.Integer(allow_none=True)
    every_hours_of_use = fields.Integer(allow_none=True)
    lead_days = fields.Integer()
    last_done = fields.String(allow_none=True, metadata={"format": "date-time"})
    last_outcome = fields.String(allow_none=True)
    due_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    hours_used = fields.Float(allow_none=True)
    state = fields.String(metadata={"enum": list(rules.PLAN_STATES)})
    lapsed = fields.Boolean(metadata={"description": "a calibration overdue or failed: no booking, no check-in"})
    proposed_blackout = fields.Nested(BlackoutProposalSchema, allow_none=True)


def plans_json(plans, now) -> list[dict]:
    zone = ZoneInfo(plans.resource.facility.timezone)

    def when(instant):
        return instant.astimezone(zone).isoformat() if instant else None

    result = []
    for s in plans.statuses:
        proposal = rules.proposed_blackout(s, now)
        result.append(
            {
                "key": s.key,
                "task": s.task,
                "name": s.name,
                "every_days": s.every_days,
                "every_hours_of_use": s.every_hours_of_use,
                "lead_days": s.lead_days,
                "last_done": when(s.last_done),
                "last_outcome": s.last_outcome,
                "due_at": when(s.due_at),
                "hours_used": s.hours_used,
                "state": s.state,
                "lapsed": s.lapsed,
                "proposed_blackout": {"start": when(proposal[0]), "end": when(proposal[1]), "kind": proposal[2]}
                if proposal
                else None,
            }
        )
    return result


class RoomEntryCreateSchema(StrictSchema):
    user = fields.String(required=True, validate=validate.Length(min=1, max=254), metadata={"description": "e-mail"})
    supervisor = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=254),
        metadata={"description": "e-mail of a qualified person in the room, for someone without valid gowning"},
    )


class RoomEntrySchema(Schema):
    id = fields.Integer()
    booking = fields.Integer(attribute="booking_id")
    resource = fields.Function(lambda e: e.resource.key, metadata={"type": "string"})
    user = fields.Function(lambda e: e.user.email, metadata={"type": "string"})
    entered_at = LocalDateTime(_zone)
    left_at = LocalDateTime(_zone, allow_none=True)
    supervised_by = fields.Function(
        lambda e: e.supervised_by.email if e.supervised_by else None, metadata={"type": "string", "nullable": True}
    )


class WithdrawalCreateSchema(StrictSchema):
    user = fields.String(required=True, validate=validate.Length(min=1, max=254))
    qualification = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(required=True, validate=validate.Length(max=2000))


class WithdrawalSchema(Schema):
    id = fields.Integer()
    user = fields.Function(lambda w: w.user.email, metadata={"type": "string"})
    qualification = fields.Function(lambda w: w.qualification.key, metadata={"type": "string"})
    withdrawn_at = fields.AwareDateTime()
    withdrawn_by = fields.Function(lambda w: w.withdrawn_by.email, metadata={"type": "string"})
    reason = fields.String()
