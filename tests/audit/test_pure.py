"""The pure parts of the audit trail: the canonical hash, the chain walk, the signature check."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from facility.audit import chain, signatures

AT = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)


def event(seq: int, **changes) -> dict:
    return {
        "id": seq + 100, "seq": seq, "at": AT + timedelta(minutes=seq), "actor_id": 1,
        "action": "booking.requested", "entity": "bookings", "entity_id": 7, "facility_id": 2,
        "before": None, "after": {"status": "pending", "purpose": "lot 7"}, "reason": "",
        "signature_meaning": None, "signer_name": None, "signed_content_hash": None, **changes,
    }  # fmt: skip


def chained(count: int) -> list[dict]:
    rows, prev = [], chain.GENESIS
    for seq in range(1, count + 1):
        row = event(seq, prev_hash=prev)
        row["hash"] = prev = chain.event_hash(row, prev)
        rows.append(row)
    return rows


def test_the_hash_is_canonical_and_covers_every_field():
    row = event(1)
    assert chain.event_hash(row, chain.GENESIS) == chain.event_hash(dict(reversed(row.items())), chain.GENESIS)
    naive = {**row, "at": row["at"].replace(tzinfo=None)}  # SQLite hands back naive UTC
    assert chain.event_hash(naive, chain.GENESIS) == chain.event_hash(row, chain.GENESIS)
    assert chain.event_hash(row, chain.GENESIS) != chain.event_hash(row, "1" * 64)
    for name, other in [("reason", "x"), ("after", {"status": "confirmed"}), ("actor_id", 2), ("seq", 2),
                        ("at", AT + timedelta(microseconds=1)), ("signer_name", "Eve")]:  # fmt: skip
        assert chain.event_hash({**row, name: other}, chain.GENESIS) != chain.event_hash(row, chain.GENESIS), name


def test_the_walk_names_the_first_break():
    rows = chained(4)
    assert chain.first_break(rows) == (4, None)
    altered = [*rows[:2], {**rows[2], "reason": "tampered"}, rows[3]]
    assert chain.first_break(altered) == (2, "event 3 (id 103, booking.requested) was altered after it was written")
    verified, problem = chain.first_break([rows[0], rows[2], rows[3]])
    assert verified == 1 and problem.startswith("event 2 missing")
    rehashed = {**rows[1], "reason": "x"}
    rehashed["hash"] = chain.event_hash(rehashed, rows[0]["hash"])  # altered and hashed again
    verified, problem = chain.first_break([rows[0], rehashed, rows[2]])
    assert verified == 2 and "does not follow event 2" in problem


def test_a_signature_matches_only_the_content_it_signed():
    signed = {"booking": 7, "purpose": "lot 7", "status": "confirmed"}
    digest = chain.content_hash(signed)
    same = signatures.check(signer_name="A", at=AT, meaning="approval", signed_hash=digest, signed=signed,
                            current=dict(signed))  # fmt: skip
    assert same.matches and same.changed == ()
    moved = signatures.check(signer_name="A", at=AT, meaning="approval", signed_hash=digest, signed=signed,
                             current={**signed, "purpose": "lot 8"})  # fmt: skip
    assert not moved.matches and moved.changed == ("purpose",)
    assert same.meaning_words == "approval: I approve this record"


def test_the_meanings_are_a_fixed_vocabulary():
    assert set(signatures.MEANINGS) == {"approval", "review", "responsibility", "authorship"}
    with pytest.raises(ValueError, match="unknown signature meaning"):
        signatures.check_meaning("approved for GMP manufacturing")
