"""The words shown for the GMP records' codes (kinds, outcomes, cleaning states), in the
language of the request: pages, CSV and PDF show words, never raw codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from facility.core.vocabulary import words_for

KIND_WORDS = {
    "use": _l("use"),
    "entry": _l("entry to the room"),
    "status": _l("status change"),
    "cleaning": _l("cleaning"),
    "line_clearance": _l("line clearance"),
    "verification": _l("verification of cleaning"),
    "maintenance": _l("maintenance"),
    "calibration": _l("calibration"),
    "repair": _l("repair"),
    "deviation": _l("deviation"),
    "note": _l("note"),
}
OUTCOME_WORDS = {"passed": _l("passed"), "failed": _l("failed")}
STATE_WORDS = {
    "in_use": _l("in use"),
    "to_be_cleaned": _l("to be cleaned"),
    "to_be_verified": _l("cleaned, waiting for verification"),
    "released": _l("released"),
}
PLAN_STATE_WORDS = {
    "not_recorded": _l("not recorded yet"),
    "ok": _l("in order"),
    "due_soon": _l("due soon"),
    "overdue": _l("overdue"),
    "failed": _l("failed at its last record"),
}
STATUS_WORDS = {
    "available": _l("available"),
    "maintenance": _l("maintenance"),
    "out_of_service": _l("out of service"),
}


def kind_words(kind: str) -> str:
    return words_for(KIND_WORDS, kind)


def outcome_words(outcome) -> str:
    return str(OUTCOME_WORDS.get(outcome, outcome or ""))


def state_words(state: str) -> str:
    return str(STATE_WORDS.get(state, state))


def line_what(line) -> str:
    """What a logbook line says, in words (a status change names the new status)."""
    if line.kind == "status":
        return str(STATUS_WORDS.get(line.what, line.what))
    if line.supervised_by:
        return str(_l("supervised by %(name)s", name=line.supervised_by))
    return line.what


def plan_state_words(state: str) -> str:
    return str(PLAN_STATE_WORDS.get(state, state))
