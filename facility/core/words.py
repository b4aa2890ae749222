"""Texts for people that every domain makes: durations in words, and ``Words``, a text made
where the facts are (the domain rules, which know no Flask) and said where it is shown: in
English by default (the API's ``message``), in the page's language by the pages
(``facility.http.words.said``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from facility.core.time import MINUTES_PER_DAY


def format_minutes(total: int) -> str:
    """90 -> '1 h 30 min'; 2880 -> '2 days'."""
    if total and total % MINUTES_PER_DAY == 0:
        days = total // MINUTES_PER_DAY
        return f"{days} day" if days == 1 else f"{days} days"
    hours, mins = divmod(total, 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"


def N_(text: str) -> str:
    """Marks ``text`` for the message catalogue (``make translations`` extracts ``N_``); it stays as it is."""
    return text


@dataclass(frozen=True)
class Duration:
    """A number of minutes in a text, said in words: '1 h 30 min', '2 days'."""

    minutes: int

    def __str__(self) -> str:
        return format_minutes(self.minutes)


@dataclass(frozen=True)
class Words:
    """A text with ``%(name)s`` places (marked with ``N_``) and the values that fill them; a value
    may itself be ``Words`` (a member's problem inside a suite's)."""

    text: str
    values: Mapping[str, object] = field(default_factory=dict)

    def say(self, translate: Callable[[str], str] = str, value: Callable[[object], str] = str) -> str:
        """The text through ``translate``, its values through ``value`` (English as given by default)."""
        filled = {
            name: part.say(translate, value) if isinstance(part, Words) else value(part)
            for name, part in self.values.items()
        }
        return translate(self.text) % filled if filled else translate(self.text)

    def __str__(self) -> str:
        return self.say()
