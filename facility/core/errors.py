"""Errors the service layer raises, and how they reach HTTP clients.

A service function raises ``ServiceError`` with a list of ``Violation``s; the API turns it
into ``{"errors": [{"code", "message", "field"}]}`` with the status of API.md, the pages
show the messages next to the fields (in the page's language where they were ``worded``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterable, Optional

from facility.core.words import Words


@dataclass(frozen=True)
class Violation:
    """One broken rule: a code of API.md, a message for people, and the field it concerns."""

    code: str
    message: str
    field: Optional[str] = None
    # The message as made, to be said in the page's language (``Violation.worded``); not compared.
    words: Optional[Words] = dataclasses.field(default=None, compare=False)

    @classmethod
    def worded(cls, code: str, text: str, field: Optional[str] = None, /, **values) -> Violation:
        """A violation whose message is ``text`` (marked with ``N_``) filled with ``values``: said
        in English as its ``message``, and in the page's language by the pages."""
        words = Words(text, values)
        return cls(code, str(words), field, words)

    @property
    def wording(self) -> Words | str:
        """What another violation's text nests to name this one: its words where it was worded."""
        return self.words if self.words is not None else self.message

    @property
    def http_status(self) -> int:
        return 409 if self.code == "overlap" else 422


class ServiceError(Exception):
    def __init__(self, status: int, violations: Iterable[Violation]):
        self.status = status
        self.violations = list(violations)
        super().__init__("; ".join(v.message for v in self.violations))

    def as_json(self) -> dict:
        return {"errors": [violation_json(v) for v in self.violations]}


def violation_json(v: Violation) -> dict:
    item = {"code": v.code, "message": v.message}
    if v.field:
        item["field"] = v.field
    return item


def rule_violations(violations: list[Violation]) -> ServiceError:
    """409 when the only problem is that the slot is taken, otherwise 422 with every rule."""
    status = 409 if all(v.code == "overlap" for v in violations) else 422
    return ServiceError(status, violations)


def invalid(code: str, message: str, field: Optional[str] = None, /, **values) -> ServiceError:
    """422 with one violation: ``message`` (marked with ``N_`` where the pages say it in their
    language) filled with ``values``."""
    return ServiceError(422, [Violation.worded(code, message, field, **values)])


def not_found(what: str, field: Optional[str] = None) -> ServiceError:
    return ServiceError(404, [Violation("not_found", f"No such {what}.", field)])


def forbidden(message: str) -> ServiceError:
    return ServiceError(403, [Violation("forbidden", message)])
