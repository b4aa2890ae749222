"""The funder's indicator table, as the ERDF application "ATMP Path2Patient" (Tillväxtverket,
section 1.7) defines it: each indicator once, with its code, unit, target, definition in words
and source. Plain values (no database); the figures are computed in ``indicators.py``.

The Commission's metadata sets the rules the definitions follow: an enterprise counts once
(by its organisation number) whatever number of times it is supported, with its size class
(Recommendation 2003/361/EC) on the day of support; RCO06 is annual full-time equivalents
(hours worked / a conventional full-time year, the setting ``FACILITY_FTE_HOURS``); RCO10
counts active joint work with a research organisation only, never bought instrument time.

The project period and the reporting periods are settings (``FACILITY_PROJECT_PERIOD``,
``FACILITY_REPORTING_PERIODS``), read here from their text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

from flask_babel import lazy_gettext as _l

PARTICIPATION = ("activity_3_2", "activity_3_4")  # the coaching and programmes of activities 3.2 and 3.4
SUPPORT = (*PARTICIPATION, "grant")
FTE_ACTIVITIES = ("4.2", "4.3")  # LU-ATMP pre-GMP facility, SUS GMP unit
EQUIPMENT_ACTIVITIES = ("4.2", "4.3", "4.4")  # and SmiLe cell lab
SME_CLASSES = ("micro", "small", "medium")
DEFAULT_FTE_HOURS = 1720
DEFAULT_PROJECT_PERIOD = "2025-03-01/2028-06-30"

UNITS = {
    "enterprises": _l("enterprises"),
    "organisations": _l("organisations"),
    "fte": _l("full-time equivalents"),
    "sek": _l("SEK"),
    "users": _l("users"),
}
SOURCES = {"usage": _l("recorded use"), "catalogue": _l("the catalogue"), "register": _l("the register")}


@dataclass(frozen=True)
class Indicator:
    key: str  # the name in the API and the URLs
    code: Optional[str]  # the Commission's code (RCO.., RCR..); None: the programme's own indicator
    result: bool  # a result indicator (else an output)
    unit: str  # a key of UNITS
    target: float
    title: str
    definition: str
    source: str  # a key of SOURCES
    register_kinds: tuple[str, ...] = ()  # the register entries it counts

    @property
    def whole(self) -> bool:
        """Whether the figure is a whole number (not FTE)."""
        return self.unit != "fte"


TABLE = (
    Indicator(
        "enterprises_supported",
        "RCO01",
        False,
        "enterprises",
        30,
        _l("Enterprises supported (of which micro, small, medium, large)"),
        _l(
            "Enterprises taking part in activity 3.2 (about 10) or 3.4 (about 20), or given a grant; each "
            "counted once, by its organisation number, with its size class on the day of its first support."
        ),
        "register",
        SUPPORT,
    ),
    Indicator(
        "enterprises_grants",
        "RCO02",
        False,
        "enterprises",
        0,
        _l("Enterprises supported by grants"),
        _l("Enterprises given a grant by the project; each counted once."),
        "register",
        ("grant",),
    ),
    Indicator(
        "enterprises_non_financial",
        "RCO04",
        False,
        "enterprises",
        30,
        _l("Enterprises receiving non-financial support"),
        _l("As the first row: enterprises taking part in activity 3.2 or 3.4; each counted once."),
        "register",
        PARTICIPATION,
    ),
    Indicator(
        "researcher_fte",
        "RCO06",
        False,
        "fte",
        3.0,
        _l("Researchers working in supported research facilities"),
        _l(
            "Annual full-time equivalents of researchers who use the equipment of activities 4.2 (LU-ATMP "
            "pre-GMP facility) and 4.3 (SUS GMP unit): their recorded hours divided by a full-time year "
            "(the FTE hours setting) and by the years of the period."
        ),
        "usage",
    ),
    Indicator(
        "equipment_nominal_value_sek",
        "RCO08",
        False,
        "sek",
        4_000_000,
        _l("Nominal value of research and innovation equipment"),
        _l(
            "The acquisition value of the equipment of activities 4.2-4.4 (LU-ATMP, SUS GMP unit, SmiLe) "
            "that came into service in the project period, up to the end of the period."
        ),
        "catalogue",
    ),
    Indicator(
        "enterprises_cooperating",
        "RCO10",
        False,
        "enterprises",
        20,
        _l("Enterprises cooperating with research organisations"),
        _l(
            "Of the enterprises in activity 3.2 or 3.4, those in active joint work with a research "
            "organisation in the period; buying instrument time alone does not count. Each counted once."
        ),
        "register",
        ("research_cooperation",),
    ),
    Indicator(
        "organisations_supported",
        None,
        False,
        "organisations",
        40,
        _l("Organisations supported"),
        _l("The project's partners and the organisations they support; each counted once."),
        "register",
        ("partner",),
    ),
    Indicator(
        "smes_developing",
        None,
        True,
        "enterprises",
        30,
        _l("SMEs developing products, processes and business models"),
        _l(
            "Enterprises that were micro, small or medium-sized on the day and developed a product, "
            "process or business model with the project's support; each counted once."
        ),
        "register",
        ("development",),
    ),
    Indicator(
        "smes_innovating",
        "RCR03",
        True,
        "enterprises",
        560,
        _l("SMEs introducing product or process innovations"),
        _l(
            "Enterprises that were micro, small or medium-sized on the day and introduced a product or "
            "process innovation; each counted once."
        ),
        "register",
        ("innovation",),
    ),
    Indicator(
        "users_of_support_structures",
        None,
        True,
        "users",
        60,
        _l("Users of implemented support structures"),
        _l("Organisations using the support structures of activities 3.2 and 3.4; each counted once."),
        "register",
        PARTICIPATION,
    ),
    Indicator(
        "users_of_infrastructure",
        None,
        True,
        "users",
        60,
        _l("Users of completed environment/infrastructure"),
        _l("People with recorded use of the equipment of activities 4.2-4.4 in the period; each counted once."),
        "usage",
    ),
    Indicator(
        "private_investment_sek",
        "RCR02",
        True,
        "sek",
        0,
        _l("Private investment matching public support"),
        _l("The private investment registered as matching the project's support, in SEK."),
        "register",
        ("private_investment",),
    ),
)
BY_KEY = {indicator.key: indicator for indicator in TABLE}


def share(value: float, target: float) -> Optional[float]:
    """The share of the target reached (1.0 = reached), or None when the target is 0."""
    return round(value / target, 4) if target else None


# --- the periods ------------------------------------------------------------------------------


def parse_span(text: str) -> tuple[date, date]:
    """``2025-03-01/2028-06-30`` -> the first and last day (inclusive); ValueError if not."""
    first, sep, last = text.strip().partition("/")
    if not sep:
        raise ValueError(f"{text!r} is not a period like 2025-03-01/2028-06-30")
    start, end = date.fromisoformat(first.strip()), date.fromisoformat(last.strip())
    if end < start:
        raise ValueError(f"{text!r} ends before it starts")
    return start, end


def parse_spans(text: str) -> list[tuple[date, date]]:
    """Reporting periods, ``first/last`` separated by commas, in order and not overlapping."""
    spans = [parse_span(part) for part in text.split(",") if part.strip()]
    for (_a, end), (start, _b) in zip(spans, spans[1:]):
        if start <= end:
            raise ValueError(f"the reporting periods must be in order and apart: {start} is not after {end}")
    return spans


def half_years(start: date, end: date) -> list[tuple[date, date]]:
    """Calendar half-years (January-June, July-December) clipped to ``start``-``end``: the
    default reporting periods."""
    spans, first = [], start
    while first <= end:
        half_end = date(first.year, 6, 30) if first.month <= 6 else date(first.year, 12, 31)
        last = min(half_end, end)
        spans.append((first, last))
        first = last + timedelta(days=1)
    return spans
