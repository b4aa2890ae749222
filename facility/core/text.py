"""Text that can be stored: valid Unicode without NUL, checked once where it comes in.

A lone surrogate (``"\\ud800"`` in JSON, an undecodable byte on the command line) cannot be
encoded as UTF-8 and a NUL character cannot be stored by PostgreSQL: both are refused at the
edges (the HTTP requests, the command line, ``instruments.yaml``) with ``invalid_text``.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

from facility.core.errors import Violation

INVALID_TEXT = "invalid_text"
NUL_MESSAGE = "The text contains a NUL character."
SURROGATE_MESSAGE = "The text is not valid Unicode (it holds a lone surrogate)."


def text_problem(text: str) -> Optional[str]:
    """Why ``text`` cannot be stored, or None when it can."""
    if "\x00" in text:
        return NUL_MESSAGE
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_MESSAGE
    return None


def bad_texts(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """``(field, message)`` for every key or string in a parsed JSON-like ``value`` that cannot be
    stored; fields are dotted paths (``items.0.name``) under ``path``."""
    for parts, message in bad_text_paths(value):
        field = ".".join(str(part) for part in parts)
        yield (f"{path}.{field}" if path and field else path or field), message


def bad_text_paths(value: Any) -> Iterator[tuple[tuple, str]]:
    """``(path, message)``, the path a tuple of keys and list indexes (a bad key is reported at
    its mapping). Walks without recursion, so a deeply nested value cannot exhaust the stack, and
    visits a shared container once (YAML aliases cannot make the walk exponential)."""
    stack: list[tuple[tuple, Any]] = [((), value)]
    seen: set[int] = set()
    while stack:
        where, item = stack.pop()
        if isinstance(item, (dict, list, tuple)):
            if id(item) in seen:
                continue
            seen.add(id(item))
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                yield where, problem
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = text_problem(key) if isinstance(key, str) else None
                if problem:
                    yield where + (key,), problem
                else:
                    stack.append((where + (key,), child))
        elif isinstance(item, (list, tuple)):
            stack.extend((where + (i,), child) for i, child in enumerate(item))


def printable_field(field: str) -> str:
    """A field name fit for an error message (a bad key is shown escaped)."""
    if text_problem(field) is None:
        return field
    return field.encode("ascii", "backslashreplace").decode("ascii").replace("\x00", "\\x00")


def text_violations(value: Any, path: str = "") -> list[Violation]:
    """An ``invalid_text`` violation for every field of ``value`` whose text cannot be stored."""
    return [
        Violation(INVALID_TEXT, message, printable_field(field) or None) for field, message in bad_texts(value, path)
    ]
