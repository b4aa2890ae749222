"""Electronic signatures (21 CFR 11.50, 11.70; EU GMP Annex 11 §14): a fixed vocabulary of
what a signature means, and how a signature is checked against the content it signed.
Pure: no Flask, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from facility.audit.chain import content_hash

# The meanings a signature may carry, with the words shown next to it.
MEANINGS = {
    "approval": "approval: I approve this record",
    "review": "review: I have reviewed this record",
    "responsibility": "responsibility: I take responsibility for this record",
    "authorship": "authorship: I am the author of this record",
}


def check_meaning(meaning: str) -> str:
    if meaning not in MEANINGS:
        raise ValueError(f"unknown signature meaning {meaning!r}; one of {', '.join(MEANINGS)}")
    return meaning


@dataclass(frozen=True)
class Signature:
    """A signature as shown: who (printed name), when (UTC), what it means, and whether the
    record still holds what was signed (``changed`` names the signed fields that differ)."""

    signer_name: str
    at: datetime
    meaning: str
    content_hash: str
    matches: bool
    changed: tuple[str, ...] = ()

    @property
    def meaning_words(self) -> str:
        return MEANINGS.get(self.meaning, self.meaning)


def check(
    *, signer_name: str, at: datetime, meaning: str, signed_hash: str, signed: Optional[dict], current: dict
) -> Signature:
    """The signature of ``signed`` (the content at signing, as the audit event kept it, or None)
    held against ``current``: it matches only if the current content hashes to ``signed_hash``."""
    matches = content_hash(current) == signed_hash
    changed: tuple[str, ...] = ()
    if not matches and signed is not None:
        changed = tuple(sorted(k for k in set(signed) | set(current) if signed.get(k) != current.get(k)))
    return Signature(signer_name, at, meaning, signed_hash, matches, changed)
