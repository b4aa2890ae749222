"""Every message of the code and the templates has its Swedish: extracted as `make translations`
does (babel.cfg, the `_l` and `N_` keywords too) and looked up in messages.po, which must also be compiled.
A new `_()` without a Swedish entry fails here, naming it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "translations" / "sv" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def extracted(tmp_path: Path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "N_",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return [m for m in read_po(f) if m.id]


def test_every_message_has_its_swedish(tmp_path):
    with PO.open("rb") as f:
        swedish = read_po(f)
    missing = []
    for message in extracted(tmp_path):
        found = swedish.get(message.id)
        strings = found.string if found is not None else None
        if isinstance(strings, tuple):
            strings = all(strings) and strings
        if not strings or (found is not None and found.fuzzy):
            missing.append(f"{message.id!r} ({', '.join(f'{path}:{line}' for path, line in message.locations[:2])})")
    assert missing == [], "no Swedish for:\n" + "\n".join(missing)


def key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_the_compiled_catalogue_is_up_to_date():
    with PO.open("rb") as f:
        source = {key(m.id): key(m.string) for m in read_po(f) if m.id and m.string and not m.fuzzy}
    with MO.open("rb") as f:
        compiled = {key(m.id): key(m.string) for m in read_mo(f) if m.id}
    assert {k: v for k, v in source.items() if compiled.get(k) != v} == {}, "run `make translations` (pybabel compile)"


def test_every_swedish_text_fills_the_places_of_its_english():
    """A text said with values (``_("... %(name)s ...")``, the rules' ``N_`` texts) must keep the
    same places in Swedish, or saying it on a Swedish page would fail."""
    with PO.open("rb") as f:
        swedish = read_po(f)
    assert [f"{message.id!r}: {errors}" for message, errors in swedish.check()] == []


def test_a_supervisor_rule_is_said_whole_in_swedish(app):
    """A text whose value is itself a text (who lacks the qualification, inside why they need a
    supervisor) is said in Swedish throughout, as the pages say a violation."""
    from facility.gmp import rules as gmp_rules
    from facility.http.words import said

    [needs_supervisor] = gmp_rules.entry_violations(
        person_problem="qualification_expired",
        supervisor_given=False,
        supervisor_present=False,
        supervisor_problem=None,
        supervisor_is_person=False,
    )
    assert needs_supervisor.message.startswith("This person holds an expired qualification for this room")
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        assert said(needs_supervisor) == (
            "Den här personen har en behörighet för rummet som har gått ut (omklädning omkvalificeras varje år):"
            " personen får gå in bara med en behörig handledare."
        )
