"""The days a facility is closed: a country's public holidays, named extra days, its own closures.

Plain values only (no Flask, no database). The holidays come from python-holidays, computed for
a year when that year is first asked about, so there is no list of years that runs out:

- ``public_holidays``: a country code (``"SE"``), or a country and one of its subdivisions
  (``"DE-BY"``); every holiday of the country's PUBLIC category closes the facility;
- named extra days: holidays of that country in any category (for Sweden the DE_FACTO
  Midsommarafton, Julafton and Nyårsafton), matched case-insensitively by their name in the
  country's own language, in English or in Swedish (``"julafton"``, ``"Christmas Eve"``);
- the facility's own closures: single days or inclusive periods, with an optional name.

Stored (``Facility.closed_days``), each closed day is one entry::

    {"holiday": "Julafton"}                       # a named holiday, in the country's language
    {"day": "2026-12-23"}                         # one day; "name" is optional
    {"from": "2027-07-12", "to": "2027-07-16", "name": "Summer shutdown"}   # inclusive

and a plain ISO date string (the older form) still means one day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Iterable, Optional

import holidays

PUBLIC = holidays.PUBLIC
# What an own closure without a name is called, by language.
UNNAMED = {"sv": "Stängt", "en": "Closed"}
# The years searched for a holiday's name: used to check and translate names only, never to
# decide whether a day is closed (that is computed for any year).
NAME_YEARS = range(2000, 2051)
# Besides the country's own language, names are recognised in these languages.
MATCHED_LANGUAGES = ("en_US", "sv")


# --- countries and their holidays ---------------------------------------------------------------


def parse_region(code: Any) -> tuple[str, Optional[str]]:
    """``"SE"`` -> ``("SE", None)``, ``"de-by"`` -> ``("DE", "BY")``; a ``ValueError`` in words otherwise."""
    if not isinstance(code, str) or not code.strip():
        raise ValueError(f"{code!r} is not a country code; use one like SE (or a subdivision like DE-BY)")
    country, _, subdivision = code.strip().partition("-")
    known = holidays.list_supported_countries(include_aliases=False)
    found = next((c for c in known if c.upper() == country.upper()), None)
    if found is None:
        raise ValueError(f"'{code}' is not a country whose holidays are known; use a code like SE, NO, DK or DE")
    if not subdivision:
        return found, None
    subdivisions = list(known[found])
    sub = next((s for s in subdivisions if s.upper() == subdivision.upper()), None)
    if sub is None:
        listed = ", ".join(subdivisions) if subdivisions else "none"
        raise ValueError(f"'{subdivision}' is not a subdivision of {found} (those are: {listed})")
    return found, sub


def region_code(country: str, subdivision: Optional[str] = None) -> str:
    return f"{country}-{subdivision}" if subdivision else country


@lru_cache(maxsize=None)
def _country(country: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country)


def _language(country: str, language: Optional[str]) -> str:
    """The python-holidays language nearest to ``language`` ('sv', 'en', 'en_US'), else the country's own."""
    cls = _country(country)
    supported = tuple(cls.supported_languages or ())
    if language:
        for wanted in (language, language.replace("-", "_")):
            if wanted in supported:
                return wanted
        prefix = language.split("_")[0].split("-")[0].lower()
        for candidate in ("en_US",) if prefix == "en" else ():
            if candidate in supported:
                return candidate
        for candidate in supported:
            if candidate.split("_")[0].lower() == prefix:
                return candidate
    return cls.default_language or (supported[0] if supported else "en_US")


def _own_language(country: str) -> Optional[str]:
    return _country(country).default_language


def _calendar(country: str, subdivision: Optional[str], years, categories: tuple, language: Optional[str]):
    return holidays.country_holidays(country, subdiv=subdivision, years=years, categories=categories, language=language)


@lru_cache(maxsize=None)
def _translations(country: str, subdivision: Optional[str], language: str) -> dict[str, tuple[str, str]]:
    """``{name in the country's language: (its name in language, its category)}``."""
    own = _own_language(country)
    found: dict[str, tuple[str, str]] = {}
    for category in _country(country).supported_categories:
        ours = _calendar(country, subdivision, NAME_YEARS, (category,), own)
        theirs = ours if language == own else _calendar(country, subdivision, NAME_YEARS, (category,), language)
        for day in sorted(ours):
            for name, translated in zip(ours.get_list(day), theirs.get_list(day)):
                found.setdefault(name, (translated, category))
    return found


def holiday_names(country: str, subdivision: Optional[str] = None, *, public: bool = False) -> list[str]:
    """The holidays of a country that can be named as closed days (in its own language), sorted;
    those of the PUBLIC category only with ``public``."""
    own = _translations(country, subdivision, _language(country, None))
    return sorted(name for name, (_, category) in own.items() if public or category != PUBLIC)


@lru_cache(maxsize=None)
def _names_index(country: str, subdivision: Optional[str]) -> dict[str, str]:
    """Lower-case name in any matched language -> the name in the country's own language."""
    index: dict[str, str] = {}
    languages = [_language(country, None)]
    languages += [lang for lang in MATCHED_LANGUAGES if lang in (_country(country).supported_languages or ())]
    for language in languages:
        for own, (translated, _category) in _translations(country, subdivision, language).items():
            index.setdefault(translated.casefold(), own)
    for own in _translations(country, subdivision, languages[0]):
        index[own.casefold()] = own
    return index


def find_holiday(country: str, subdivision: Optional[str], name: Any) -> str:
    """The country's own name of the holiday called ``name`` (any case; its own language, English or
    Swedish), or a ``ValueError`` that lists the names there are."""
    if isinstance(name, str):
        found = _names_index(country, subdivision).get(" ".join(name.split()).casefold())
        if found:
            return found
    region = region_code(country, subdivision)
    raise ValueError(
        f"{name!r} is not a holiday of {region}; name one of: "
        f"{', '.join(holiday_names(country, subdivision))} (or a public holiday; English names work too)"
    )


@lru_cache(maxsize=4096)
def _year_of_holidays(
    country: str, subdivision: Optional[str], named: tuple[str, ...], public: bool, year: int
) -> dict[date, tuple[str, ...]]:
    """``{day: names}`` (in the country's language) of the public holidays (with ``public``) and
    of the ``named`` holidays in ``year``."""
    own = _own_language(country)
    found: dict[date, list[str]] = {}
    if public:
        for day, names in _calendar(country, subdivision, year, (PUBLIC,), own).items():
            found.setdefault(day, []).extend(n.strip() for n in names.split(";"))
    if named:
        wanted = set(named)
        every = _calendar(country, subdivision, year, tuple(_country(country).supported_categories), own)
        for day in every:
            for name in every.get_list(day):
                if name in wanted and name not in found.get(day, []):
                    found.setdefault(day, []).append(name)
    return {day: tuple(names) for day, names in sorted(found.items())}


# --- a facility's closed days -------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Closure:
    """A facility's own closure: ``first`` to ``last`` inclusive, with an optional name."""

    first: date
    last: date
    name: Optional[str] = None

    def __post_init__(self):
        if self.last < self.first:
            raise ValueError(f"the period ends ({self.last}) before it starts ({self.first})")

    def entry(self) -> dict:
        """The stored form: ``{"day": ...}`` or ``{"from": ..., "to": ...}``, with ``"name"`` if given."""
        entry = (
            {"day": self.first.isoformat()}
            if self.first == self.last
            else {"from": self.first.isoformat(), "to": self.last.isoformat()}
        )
        if self.name:
            entry["name"] = self.name
        return entry


class ClosedDays:
    """The closed days of one facility. ``day in closed`` is true on a public holiday of the
    country (if given), on a named holiday, and in the facility's own closures; any year works.
    ``name(day, language)`` says why the facility is closed on ``day`` (``None`` when it is open).

    Sundays and other weekdays without opening hours are not closed days of this class (unless
    they are holidays): the weekly opening hours say those.
    """

    def __init__(
        self, public_holidays: Optional[str] = None, named: Iterable[str] = (), closures: Iterable[Closure] = ()
    ):
        """``public_holidays``: the country (``"SE"``, ``"DE-BY"``) whose public holidays close the
        facility, or ``None``. ``named``: names of further holidays of that country (any case, in
        its language, English or Swedish). ``closures``: the facility's own closures."""
        self.country, self.subdivision = parse_region(public_holidays) if public_holidays else (None, None)
        self.public = bool(public_holidays)
        names = list(dict.fromkeys(named))
        if names and self.country is None:
            raise ValueError("named holidays need a country (public_holidays)")
        self.holidays: tuple[str, ...] = tuple(
            dict.fromkeys(find_holiday(self.country, self.subdivision, name) for name in names)
        )
        self.closures: tuple[Closure, ...] = tuple(sorted(set(closures)))
        self._years: dict[int, dict[date, tuple[tuple[str, Optional[str]], ...]]] = {}

    @classmethod
    def from_entries(cls, public_holidays: Optional[str], entries: Iterable[Any]) -> "ClosedDays":
        """From the stored form (see the module's notes); plain ISO dates are single days."""
        named, closures = [], []
        for entry in entries or ():
            if isinstance(entry, str):
                closures.append(Closure(date.fromisoformat(entry), date.fromisoformat(entry)))
            elif "holiday" in entry:
                named.append(entry["holiday"])
            elif "day" in entry:
                day = date.fromisoformat(entry["day"])
                closures.append(Closure(day, day, entry.get("name") or None))
            else:
                closures.append(
                    Closure(
                        date.fromisoformat(entry["from"]), date.fromisoformat(entry["to"]), entry.get("name") or None
                    )
                )
        return cls(public_holidays, named, closures)

    # --- questions ---

    @property
    def region(self) -> Optional[str]:
        return region_code(self.country, self.subdivision) if self.country else None

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and day in self._year(day.year)

    def reasons(self, day: date) -> tuple[tuple[str, Optional[str]], ...]:
        """``(("holiday", name in the country's language) | ("own", name or None), ...)``; empty when open."""
        return self._year(day.year).get(day, ())

    def name(self, day: date, language: str = "en", *, unnamed: Optional[str] = None) -> Optional[str]:
        """Why the facility is closed on ``day``, in ``language`` ('sv' or 'en'): the holiday's
        name, an own closure's name, else ``unnamed`` (by default "Closed" / "Stängt").
        ``None`` when the day is not closed."""
        reasons = self.reasons(day)
        if not reasons:
            return None
        words = []
        for kind, text in reasons:
            if kind == "holiday":
                text = self.holiday_name(text, language)
            elif not text:
                text = unnamed or UNNAMED.get((language or "en")[:2], UNNAMED["en"])
            if text not in words:
                words.append(text)
        return ", ".join(words)

    def holiday_name(self, name: str, language: str = "en") -> str:
        """A holiday's name (as the country's language has it) in ``language``."""
        if self.country is None:
            return name
        found = _translations(self.country, self.subdivision, _language(self.country, language)).get(name)
        return found[0] if found else name

    def holiday_names(self, language: str = "en") -> list[str]:
        """The named holidays, in ``language``."""
        return [self.holiday_name(name, language) for name in self.holidays]

    def entries(self) -> list[dict]:
        """The stored form of the named holidays and own closures (``public_holidays`` apart)."""
        return [{"holiday": name} for name in self.holidays] + [c.entry() for c in self.closures]

    def __bool__(self) -> bool:
        return bool(self.public or self.holidays or self.closures)

    def __repr__(self) -> str:
        return (
            f"ClosedDays({self.region!r}, public={self.public}, holidays={self.holidays!r}, "
            f"closures={len(self.closures)})"
        )

    def _year(self, year: int) -> dict[date, tuple[tuple[str, Optional[str]], ...]]:
        found = self._years.get(year)
        if found is None:
            days: dict[date, list[tuple[str, Optional[str]]]] = {}
            if self.country and (self.public or self.holidays):
                for day, names in _year_of_holidays(
                    self.country, self.subdivision, self.holidays, self.public, year
                ).items():
                    days[day] = [("holiday", name) for name in names]
            start, end = date(year, 1, 1), date(year, 12, 31)
            for closure in self.closures:
                day, last = max(closure.first, start), min(closure.last, end)
                while day <= last:
                    days.setdefault(day, []).append(("own", closure.name))
                    day += timedelta(days=1)
            found = self._years[year] = {day: tuple(reasons) for day, reasons in days.items()}
        return found
