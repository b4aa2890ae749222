"""The audit-trail review (EU GMP Annex 11 §9): events as rows of plain values, for the page,
the API and the CSV download. Facilities are given as values by the caller (the audit trail
imports no domain)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Optional
from zoneinfo import ZoneInfo

from facility.audit.signatures import MEANINGS


@dataclass(frozen=True)
class Place:
    """What the review needs to know of a facility: its key, name and time zone."""

    key: str
    name: str
    timezone: str


COLUMNS = (
    "seq",
    "at",
    "facility",
    "actor",
    "actor_email",
    "action",
    "entity",
    "entity_id",
    "before",
    "after",
    "reason",
    "signature_meaning",
    "signer_name",
    "signed_content_hash",
    "hash",
)


def row(event, places: dict[int, Place], default_zone: str) -> dict:
    """One event as shown: its time in its facility's zone (RFC 3339 with the offset)."""
    place: Optional[Place] = places.get(event.facility_id) if event.facility_id is not None else None
    zone = ZoneInfo(place.timezone if place else default_zone)
    actor = event.actor
    signature = None
    if event.signature_meaning:
        signature = {
            "meaning": event.signature_meaning,
            "meaning_words": MEANINGS.get(event.signature_meaning, event.signature_meaning),
            "signer_name": event.signer_name or "",
            "signed_content_hash": event.signed_content_hash,
        }
    return {
        "seq": event.seq,
        "at": event.at.astimezone(zone).isoformat(timespec="seconds"),
        "facility": place.key if place else None,
        "actor": actor.name if actor is not None else "system",
        "actor_email": actor.email if actor is not None else None,
        "action": event.action,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "before": event.before,
        "after": event.after,
        "reason": event.reason or "",
        "signature": signature,
        "hash": event.hash,
    }


def csv_text(rows: list[dict]) -> str:
    """The rows as CSV (RFC 4180), before and after as JSON, one column per signature field."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        signature = r["signature"] or {}
        flat = {
            **r,
            "actor_email": r["actor_email"] or "",
            "facility": r["facility"] or "",
            "before": change_text(r["before"]),
            "after": change_text(r["after"]),
            "signature_meaning": signature.get("meaning", ""),
            "signer_name": signature.get("signer_name", ""),
            "signed_content_hash": signature.get("signed_content_hash") or "",
        }
        writer.writerow([_safe(flat[column]) for column in COLUMNS])
    return out.getvalue()


def change_text(value) -> str:
    """A before/after value as people read it: JSON with its letters as they are (å, not \\u00e5)."""
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _safe(value) -> str:
    """No spreadsheet formulas from user text (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
