"""The hash chain of the audit trail: pure functions over plain values (no Flask, no database).

Each event's ``hash`` is SHA-256 over the canonical JSON of its content and the previous
event's hash, so that changing, inserting or removing an event breaks the chain from there on.
Migration 0008 hashes the events that existed before it with these same functions.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Optional

GENESIS = "0" * 64  # the "previous hash" of the first event

CONTENT_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "action",
    "entity",
    "entity_id",
    "facility_id",
    "before",
    "after",
    "reason",
    "signature_meaning",
    "signer_name",
    "signed_content_hash",
)


def canonical(value: Any) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 kept, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def utc_text(at: datetime) -> str:
    """An instant as UTC ISO 8601 with microseconds, the same whatever the database returned."""
    if at.tzinfo is None:  # SQLite hands back naive UTC
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def content_of(fields: dict) -> dict:
    """The hashed content of an event given as a mapping of its columns."""
    content = {name: fields.get(name) for name in CONTENT_FIELDS}
    content["at"] = utc_text(fields["at"])
    content["reason"] = fields.get("reason") or ""
    return content


def event_hash(fields: dict, prev_hash: str) -> str:
    payload = canonical({"prev_hash": prev_hash, "event": content_of(fields)})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def content_hash(content: dict) -> str:
    """The hash of what a signature signs (a plain dict of the signed fields)."""
    return hashlib.sha256(canonical(content).encode("utf-8")).hexdigest()


def first_break(rows) -> tuple[int, Optional[str]]:
    """Walk ``rows`` (mappings with the content fields, ``id``, ``prev_hash`` and ``hash``, in
    ``seq`` order); return (events verified, None) or (events verified before the break, why)."""
    expected_prev, expected_seq, count = GENESIS, 1, 0
    for row in rows:
        seq, ident = row["seq"], row["id"]
        if seq is None or row["hash"] is None:
            return count, f"event id {ident} carries no hash: it was inserted behind the application's back"
        if seq > expected_seq:
            missing = f"event {expected_seq}" if seq == expected_seq + 1 else f"events {expected_seq} to {seq - 1}"
            return (
                count,
                f"{missing} missing: the chain jumps from event {expected_seq - 1} to event {seq} (id {ident})",
            )
        if seq < expected_seq:
            return count, f"event {seq} (id {ident}) appears twice: an event was inserted"
        if row["prev_hash"] != expected_prev:
            return count, (
                f"event {seq} (id {ident}) does not follow event {seq - 1}: an event was inserted or removed before it"
            )
        if event_hash(row, expected_prev) != row["hash"]:
            return count, f"event {seq} (id {ident}, {row['action']}) was altered after it was written"
        expected_prev, expected_seq, count = row["hash"], expected_seq + 1, count + 1
    return count, None
