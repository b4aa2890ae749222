"""instruments.yaml's bundles and ``requires``: read, checked with clear errors, loaded, and
the shipped catalogue's GMP suites (no Flask app for parsing; the load uses the database)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from facility.catalog.loader import CatalogError, apply_catalog, parse_catalog, read_catalog
from facility.catalog.models import Facility, Resource
from facility.core.extensions import db
from tests.support.databases import ROOT

BASE = """\
facilities:
  - key: gmp
    name: GMP unit
    organisation: Region
    gmp_level: gmp
    timezone: Europe/Stockholm
    opening_hours: {mon: ["07:00-19:00"]}
    defaults: {requires_approval: true}
    resources:
      - key: suite
        name: Cleanroom suite
        kind: cleanroom
        cleanroom_grade: B
      - key: isolator
        name: Isolator
        kind: instrument
        requires: [suite]
      - key: freezer
        name: Freezer
        kind: instrument
    bundles:
      - key: suite-full
        name: Suite with isolator and freezer
        resources: [suite, isolator, freezer]
  - key: lab
    name: Lab
    organisation: Incubator
    gmp_level: research
    timezone: Europe/Stockholm
    opening_hours: {mon: ["07:00-19:00"]}
    resources:
      - key: lab-bsc
        name: Cabinet
        kind: instrument
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(CatalogError) as raised:
        parse_catalog(text)
    return raised.value.problems


def changed(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def test_bundles_and_requires_are_read():
    catalog = parse_catalog(BASE)
    gmp = catalog.facilities[0]
    assert gmp.bundles == [
        {"key": "suite-full", "name": "Suite with isolator and freezer", "description": "",
         "resources": ["suite", "isolator", "freezer"]}
    ]  # fmt: skip
    assert {r.key: r.requires for r in gmp.resources} == {"suite": None, "isolator": ["suite"], "freezer": None}
    assert catalog.facilities[1].bundles is None


@pytest.mark.parametrize(
    "old,new,line,words",
    [
        # an unknown key in a bundle, or in requires
        ("resources: [suite, isolator, freezer]", "resources: [suite, isolator, freezer, cooler]", 24,
         ["bundles[0] (suite-full) > resources[3]", "'cooler' is not a resource of this facility", "retired"]),
        ("requires: [suite]", "requires: [suite-2]", 17,
         ["resources[1] (isolator) > requires[0]", "'suite-2' is not a resource of this facility"]),
        # a resource of another facility: bundles and requirements stay within one facility
        ("resources: [suite, isolator, freezer]", "resources: [suite, isolator, lab-bsc]", 24,
         ["'lab-bsc' is not a resource of this facility"]),
        ("requires: [suite]", "requires: [isolator]", 17, ["'isolator' cannot require itself"]),
        ("resources: [suite, isolator, freezer]", "resources: [suite, isolator, suite]", 24,
         ["> resources[2]", "'suite' is named twice"]),
        ("resources: [suite, isolator, freezer]", "resources: [suite]", 24, ["at least two resources"]),
        ("resources: [suite, isolator, freezer]", "resources: [isolator, freezer]", 24,
         ["'isolator' requires 'suite': add it to the bundle"]),
        ("key: suite-full", "key: freezer", 22, ["'freezer' is already a resource's key"]),
        ("requires: [suite]", "requires: suite", 17, ["Not a valid list"]),
    ],
)  # fmt: skip
def test_each_broken_bundle_or_requirement_is_named_with_its_line(old, new, line, words):
    problems = problems_of(changed(old, new))
    matching = [p for p in problems if p.startswith(f"line {line}: ") and all(w in p for w in words)]
    assert matching, problems


def test_a_circle_of_requirements_is_refused():
    text = changed(
        "        kind: instrument\n    bundles:", "        kind: instrument\n        requires: [isolator]\n    bundles:"
    )
    text = text.replace("      - key: suite\n        name: Cleanroom suite\n        kind: cleanroom\n",
                        "      - key: suite\n        name: Cleanroom suite\n        kind: cleanroom\n        requires: [freezer]\n")  # fmt: skip
    problems = problems_of(text)
    assert any("goes round in a circle: suite -> freezer -> isolator -> suite" in p for p in problems), problems


def test_a_bundle_key_is_unique_across_the_file():
    text = BASE + "    bundles:\n      - {key: suite-full, name: Again, resources: [lab-bsc, lab-bsc]}\n"
    problems = problems_of(text)
    assert any("'suite-full' is used twice" in p for p in problems), problems


def test_the_shipped_gmp_unit_declares_its_suites():
    catalog = read_catalog(ROOT / "instruments.yaml")
    sus = next(f for f in catalog.facilities if f.key == "sus-gmp")
    assert {b["key"]: b["resources"] for b in sus.bundles} == {
        "sus-suite-1": ["sus-cleanroom-1", "sus-isolator", "sus-freezer"],
        "sus-suite-1-fill": ["sus-cleanroom-1", "sus-isolator"],
    }
    assert next(r for r in sus.resources if r.key == "sus-isolator").requires == ["sus-cleanroom-1"]


def test_loading_stores_bundles_and_requires_and_a_second_load_changes_nothing(app):
    now = datetime(2026, 11, 10, 8, tzinfo=timezone.utc)
    with app.app_context():
        apply_catalog(db.session, parse_catalog(BASE), now=now)
        db.session.commit()
        facility = db.session.scalar(select(Facility).where(Facility.key == "gmp"))
        assert facility.bundle("suite-full")["resources"] == ["suite", "isolator", "freezer"]
        assert db.session.scalar(select(Resource).where(Resource.key == "isolator")).requires == ["suite"]
        again = apply_catalog(db.session, parse_catalog(BASE), now=now)
        assert not again.changed
        db.session.rollback()
