"""The one-facility catalogues the benchmarks load: a research facility in Stockholm's zone with
no approval, quota or qualification, so that every request measured is one the rules accept."""

from __future__ import annotations

import yaml

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN = {day: ["00:00-24:00"] for day in DAYS}


def one_facility(key: str, name: str, opening_hours: dict, resources: list[tuple[str, str, str]], **defaults) -> str:
    """instruments.yaml text: facility ``key`` with ``resources`` (key, name, kind) and the
    booking ``defaults`` (slot_minutes, min_minutes, ...); ``public_holidays`` among them is the
    facility's, not a default (no closed days without it)."""
    holidays = defaults.pop("public_holidays", None)
    facility = {
        "key": key,
        "name": name,
        "organisation": "Benchmarks",
        "gmp_level": "research",
        "timezone": "Europe/Stockholm",
        "opening_hours": opening_hours,
        **({"public_holidays": holidays} if holidays else {"closed_days": []}),
        "defaults": {"lead_minutes": 0, "requires_approval": False, **defaults},
        "resources": [{"key": k, "name": n, "kind": kind} for k, n, kind in resources],
    }
    return yaml.safe_dump({"facilities": [facility]}, sort_keys=False, allow_unicode=True)
