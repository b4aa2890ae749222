"""instruments.yaml: parsing and validation only (no Flask app, no database)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from facility.catalog.loader import CatalogError, parse_catalog, read_catalog

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())  # the checkout

# Line numbers matter below: the key of lab-suite is on line 15, that of lab-bioreactor on line 20.
BASE = """\
qualifications:
  - key: gowning-grade-b
    name: Gowning for grade B cleanrooms
facilities:
  - key: lab
    name: Test lab
    organisation: Test Incubator
    gmp_level: gmp
    timezone: Europe/Stockholm
    opening_hours: {mon: ["07:00-19:00"], sat: []}
    defaults:
      slot_minutes: 30
      requires_approval: true
    resources:
      - key: lab-suite
        name: Cleanroom suite
        kind: cleanroom
        cleanroom_grade: B
        qualification: gowning-grade-b
      - key: lab-bioreactor
        name: Bioreactor
        kind: instrument
        slot_minutes: 60
        max_minutes: 30240
"""
SUITE = "facilities[0] (lab) > resources[0] (lab-suite)"
BIOREACTOR = "facilities[0] (lab) > resources[1] (lab-bioreactor)"


def problems_of(text: str) -> list[str]:
    with pytest.raises(CatalogError) as raised:
        parse_catalog(text)
    assert raised.value.problems and str(raised.value) == "\n".join(raised.value.problems)
    return raised.value.problems


def changed(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def assert_reported(problems: list[str], line: int, entry: str, field: str, *words: str) -> None:
    """One problem starts with its line, then names the entry and the field (and says ``words``)."""
    prefix = f"line {line}: {entry} > {field}: " if entry else f"line {line}: {field}: "
    found = [p for p in problems if p.startswith(prefix)]
    assert found, f"no problem starts with {prefix!r}: {problems}"
    assert any(all(word in p for word in words) for p in found), (words, found)


# --- the shipped catalogue ---------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return read_catalog(ROOT / "instruments.yaml")


def test_the_shipped_catalogue_has_the_three_facilities_and_their_resources(shipped):
    assert [f.key for f in shipped.facilities] == ["smile", "lu-atmp", "sus-gmp"]
    assert [f.gmp_level for f in shipped.facilities] == ["research", "pre-gmp", "gmp"]
    assert len(shipped.resources) >= 15
    assert len({r.key for r in shipped.resources}) == len(shipped.resources)
    known = {q.key for q in shipped.qualifications}
    assert {"gowning-grade-b", "gmp-basic", "prodigy-operation", "bioreactor-operation"} <= known
    assert all(r.qualification is None or r.qualification in known for r in shipped.resources)


def test_every_cleanroom_of_pre_gmp_and_gmp_facilities_requires_approval(shipped):
    cleanrooms = [
        r for f in shipped.facilities if f.gmp_level in ("pre-gmp", "gmp") for r in f.resources if r.kind == "cleanroom"
    ]
    assert len(cleanrooms) >= 4
    assert all(r.requires_approval and r.cleanroom_grade in "ABCD" for r in cleanrooms)


def test_the_bioreactor_takes_multi_day_unattended_runs_and_was_funded(shipped):
    bioreactor = next(r for r in shipped.resources if r.key == "smile-bioreactor")
    assert bioreactor.max_minutes >= 7 * 24 * 60
    assert bioreactor.runs_unattended and bioreactor.funded_by_programme
    assert bioreactor.max_minutes % bioreactor.slot_minutes == 0
    funded = sum(r.nominal_value_sek for r in shipped.resources if r.funded_by_programme)
    assert 4_000_000 <= funded <= 5_000_000


def test_shipped_rules_are_consistent_and_hours_cover_the_week(shipped):
    for resource in shipped.resources:
        assert 1440 % resource.slot_minutes == 0, resource.key
        assert resource.min_minutes % resource.slot_minutes == 0, resource.key
        assert resource.max_minutes % resource.slot_minutes == 0, resource.key
        assert resource.min_minutes <= resource.max_minutes, resource.key
        assert resource.status is None, "status is a manager's run-time decision"
    for facility in shipped.facilities:
        assert list(facility.opening_hours) == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        assert facility.public_holidays == "SE"
        assert facility.closed_days == (
            {"holiday": "Julafton"},
            {"holiday": "Nyårsafton"},
            {"holiday": "Midsommarafton"},
        )
        closed = facility.closures()
        for day in ("2026-12-24", "2026-12-25", "2027-01-01", "2027-06-25", "2031-06-20", "2035-12-31"):
            assert date.fromisoformat(day) in closed, (facility.key, day)
    sus = shipped.facilities[2]
    assert sus.opening_hours["sat"] == ["08:00-14:00"] and sus.opening_hours["sun"] == []


# --- defaults and resolution ---------------------------------------------------------------


def test_defaults_apply_and_unset_rules_fall_back():
    catalog = parse_catalog(BASE)
    suite, bioreactor = catalog.resources
    assert (suite.facility, suite.slot_minutes, suite.min_minutes, suite.requires_approval) == ("lab", 30, 30, True)
    assert (bioreactor.slot_minutes, bioreactor.min_minutes, bioreactor.max_minutes) == (60, 60, 30240)
    assert suite.qualification == "gowning-grade-b" and bioreactor.qualification is None
    assert suite.quota_hours_per_week is None and suite.nominal_value_sek == 0 and suite.status is None
    facility = catalog.facilities[0]
    assert facility.opening_hours["mon"] == ["07:00-19:00"] and facility.opening_hours["tue"] == []
    assert facility.closed_days == () and facility.no_show_grace_minutes == 30 and facility.location == ""


def test_a_stated_status_and_closed_days_are_read():
    text = changed(
        "        max_minutes: 30240\n",
        "        max_minutes: 30240\n        status: maintenance\n        status_reason: pump service\n",
    )
    text = text.replace("    defaults:\n", "    closed_days: [2026-12-25, '2026-12-24', 2026-12-25]\n    defaults:\n")
    catalog = parse_catalog(text)
    assert (catalog.resources[1].status, catalog.resources[1].status_reason) == ("maintenance", "pump service")
    assert catalog.facilities[0].closed_days == ({"day": "2026-12-24"}, {"day": "2026-12-25"})
    assert catalog.facilities[0].public_holidays is None


def test_public_holidays_named_days_and_periods_are_read_in_their_stored_form():
    text = changed(
        "    defaults:\n",
        "    public_holidays: se\n    closed_days:\n      - julafton\n"
        "      - holiday: Midsummer Eve\n      - {holiday: JULAFTON}\n      - 2027-01-05\n"
        "      - {day: 2026-12-23, name: Inventory}\n"
        "      - {from: 2027-07-12, to: 2027-07-16, name: Summer shutdown}\n"
        "      - {from: 2027-08-02, to: 2027-08-02}\n    defaults:\n",
    )
    facility = parse_catalog(text).facilities[0]
    assert facility.public_holidays == "SE"
    assert facility.closed_days == (
        {"holiday": "Julafton"},
        {"holiday": "Midsommarafton"},
        {"day": "2026-12-23", "name": "Inventory"},
        {"day": "2027-01-05"},
        {"from": "2027-07-12", "to": "2027-07-16", "name": "Summer shutdown"},
        {"day": "2027-08-02"},
    )
    closed = facility.closures()
    assert date(2027, 7, 16) in closed and date(2027, 7, 17) not in closed
    assert closed.name(date(2029, 6, 22), "en") == "Midsummer Eve"


def closed_days(lines: str, public_holidays: str = "SE") -> str:
    """BASE with ``public_holidays`` on line 11 and ``closed_days:`` on line 12, its items from line 13."""
    head = f"    public_holidays: {public_holidays}\n" if public_holidays else ""
    text = changed("    defaults:\n", f"{head}    closed_days:\n{lines}    defaults:\n")
    return text


# --- broken files: each problem names its line, entry and field ---------------------------------


def test_an_unknown_field():
    problems = problems_of(changed("        kind: instrument\n", "        kind: instrument\n        colour: blue\n"))
    assert_reported(problems, 23, BIOREACTOR, "colour", "not a field")


def test_a_slot_that_does_not_divide_the_day():
    problems = problems_of(changed("        slot_minutes: 60\n", "        slot_minutes: 61\n"))
    assert_reported(problems, 23, BIOREACTOR, "slot_minutes", "1440")


def test_min_and_max_must_be_multiples_of_the_slot_and_in_order():
    problems = problems_of(
        changed("        max_minutes: 30240\n", "        min_minutes: 90\n        max_minutes: 30\n")
    )
    assert_reported(problems, 24, BIOREACTOR, "min_minutes", "multiple of slot_minutes (60)")
    assert_reported(problems, 25, BIOREACTOR, "max_minutes", "multiple of slot_minutes (60)")
    assert_reported(problems, 25, BIOREACTOR, "max_minutes", "less than min_minutes")


def test_a_conflict_inherited_from_the_defaults_is_reported_once_at_the_defaults():
    problems = problems_of(changed("      slot_minutes: 30\n", "      slot_minutes: 30\n      max_minutes: 45\n"))
    assert problems == [
        "line 13: facilities[0] (lab) > defaults > max_minutes: 45 is not a multiple of slot_minutes (30)"
    ]


def test_every_problem_is_reported_at_once():
    text = changed("        slot_minutes: 60\n", "        slot_minutes: 61\n")
    text = text.replace("      slot_minutes: 30\n", "      slot_minutes: 30\n      min_minutes: 45\n")
    text = text.replace("timezone: Europe/Stockholm", "timezone: Mars/Olympus")
    problems = problems_of(text)
    assert_reported(problems, 24, BIOREACTOR, "slot_minutes", "1440")
    assert_reported(problems, 13, "facilities[0] (lab) > defaults", "min_minutes", "multiple")
    assert_reported(problems, 9, "facilities[0] (lab)", "timezone")
    assert [int(p.split(":")[0].split()[1]) for p in problems] == sorted(
        int(p.split(":")[0].split()[1]) for p in problems
    )


def test_an_unknown_qualification():
    problems = problems_of(changed("qualification: gowning-grade-b", "qualification: gowning-grade-c"))
    assert_reported(problems, 19, SUITE, "qualification", "'gowning-grade-c'", "gowning-grade-b")


def test_an_unknown_qualification_in_the_defaults():
    problems = problems_of(
        changed("      requires_approval: true\n", "      requires_approval: true\n      qualification: gmp-basics\n")
    )
    assert_reported(problems, 14, "facilities[0] (lab) > defaults", "qualification", "gmp-basics")


def test_a_duplicate_resource_key():
    problems = problems_of(changed("key: lab-bioreactor", "key: lab-suite"))
    assert_reported(problems, 20, "facilities[0] (lab) > resources[1] (lab-suite)", "key", "twice", "line 15")


def test_duplicate_facility_and_qualification_keys():
    text = BASE.replace("qualifications:\n", "qualifications:\n  - key: gowning-grade-b\n    name: Again\n", 1)
    text += BASE[BASE.index("  - key: lab\n") :].replace("lab-", "other-")
    problems = problems_of(text)
    assert_reported(problems, 4, "qualifications[1] (gowning-grade-b)", "key", "twice", "line 2")
    assert_reported(problems, 27, "facilities[1] (lab)", "key", "twice", "line 7")


def test_a_key_written_twice_in_one_mapping():
    problems = problems_of(changed("        kind: instrument\n", "        kind: instrument\n        kind: room\n"))
    assert problems == ["line 23: not valid YAML: the key 'kind' appears twice (first at line 22)"]


def test_a_bad_timezone():
    problems = problems_of(changed("timezone: Europe/Stockholm", "timezone: Europe/Lund"))
    assert_reported(problems, 9, "facilities[0] (lab)", "timezone", "Europe/Lund")


@pytest.mark.parametrize(
    "hours, complaint",
    [
        ('{mon: ["07:00-25:00"]}', "'07:00-25:00' is not a range"),
        ('{mon: ["07:00-07:00"]}', "is empty"),
        ('{mon: ["7-19"]}', "is not a range"),
        ('{mon: "07:00-19:00"}', "must be a list"),
        ('{monday: ["07:00-19:00"]}', "not a weekday"),
        ('["07:00-19:00"]', "must map weekdays"),
    ],
)
def test_bad_opening_hours(hours, complaint):
    problems = problems_of(changed('{mon: ["07:00-19:00"], sat: []}', hours))
    assert len(problems) == 1
    assert problems[0].startswith("line 10: facilities[0] (lab) > opening_hours")
    assert complaint in problems[0]


def test_opening_hours_accept_midnight_crossing_and_whole_days():
    catalog = parse_catalog(changed('{mon: ["07:00-19:00"], sat: []}', '{mon: ["22:00-06:00"], sun: ["00:00-24:00"]}'))
    assert catalog.facilities[0].opening_hours["mon"] == ["22:00-06:00"]
    assert catalog.facilities[0].opening_hours["sun"] == ["00:00-24:00"]


def test_a_yaml_syntax_error():
    problems = problems_of(changed("        kind: cleanroom\n", "       kind: cleanroom\n"))
    assert len(problems) == 1 and problems[0].startswith("line 17: not valid YAML")


@pytest.mark.parametrize(
    "old, new, line, entry, field",
    [
        ("        slot_minutes: 60\n", "        slot_minutes: sixty\n", 23, BIOREACTOR, "slot_minutes"),
        ("        slot_minutes: 60\n", "        slot_minutes: '60'\n", 23, BIOREACTOR, "slot_minutes"),
        ("        slot_minutes: 60\n", "        slot_minutes: 60.5\n", 23, BIOREACTOR, "slot_minutes"),
        (
            "      requires_approval: true\n",
            "      requires_approval: maybe\n",
            13,
            "facilities[0] (lab) > defaults",
            "requires_approval",
        ),
        ("    name: Test lab\n", "    name: [Test, lab]\n", 6, "facilities[0] (lab)", "name"),
        ("        kind: instrument\n", "        kind: robot\n", 22, BIOREACTOR, "kind"),
        (
            "        max_minutes: 30240\n",
            "        max_minutes: 30240\n        nominal_value_sek: -5\n",
            25,
            BIOREACTOR,
            "nominal_value_sek",
        ),
        ("    gmp_level: gmp\n", "    gmp_level: GMP\n", 8, "facilities[0] (lab)", "gmp_level"),
        ("  - key: lab-suite\n", "  - key: Lab Suite\n", 15, "facilities[0] (lab) > resources[0] (Lab Suite)", "key"),
    ],
)
def test_a_wrong_type_or_value(old, new, line, entry, field):
    assert_reported(problems_of(changed(old, new)), line, entry, field)


def test_a_missing_required_field_cites_the_entry():
    problems = problems_of(changed("        name: Bioreactor\n", ""))
    assert_reported(problems, 20, BIOREACTOR, "name", "Missing")


def test_a_gmp_cleanroom_must_require_approval():
    problems = problems_of(
        changed("        cleanroom_grade: B\n", "        cleanroom_grade: B\n        requires_approval: false\n")
    )
    assert_reported(problems, 19, SUITE, "requires_approval", "must require approval")


def test_a_research_cleanroom_may_go_without_approval():
    catalog = parse_catalog(
        changed("gmp_level: gmp", "gmp_level: research").replace("requires_approval: true", "requires_approval: false")
    )
    assert not catalog.resources[0].requires_approval


def test_the_cleanroom_grade_belongs_to_cleanrooms_only():
    problems = problems_of(
        changed("        cleanroom_grade: B\n", "").replace(
            "        kind: instrument\n", "        kind: instrument\n        cleanroom_grade: A\n"
        )
    )
    assert_reported(problems, 15, SUITE, "cleanroom_grade", "needs a grade")
    assert_reported(problems, 22, "facilities[0] (lab) > resources[1] (lab-bioreactor)", "cleanroom_grade", "only")


def test_a_bad_closed_day():
    problems = problems_of(changed("    defaults:\n", "    closed_days: [2026-12-24, 2026-02-30]\n    defaults:\n"))
    assert_reported(problems, 11, "facilities[0] (lab)", "closed_days[1]", "2026-02-30")


def test_an_unknown_country():
    problems = problems_of(closed_days("      - julafton\n", "XX"))
    assert problems == [
        "line 11: facilities[0] (lab) > public_holidays: 'XX' is not a country whose holidays are "
        "known; use a code like SE, NO, DK or DE"
    ]
    assert_reported(
        problems_of(closed_days("", "SE-XY")),
        11,
        "facilities[0] (lab)",
        "public_holidays",
        "'XY' is not a subdivision of SE",
    )


def test_an_unknown_holiday_name_says_which_there_are():
    problems = problems_of(closed_days("      - julafton\n      - julaftn\n      - holiday: Boxing Night\n"))
    assert len(problems) == 2
    assert_reported(
        problems,
        14,
        "facilities[0] (lab)",
        "closed_days[1]",
        "'julaftn' is not a holiday of SE",
        "Julafton",
        "Midsommarafton",
        "Nyårsafton",
    )
    assert_reported(problems, 15, "facilities[0] (lab) > closed_days[2]", "holiday", "'Boxing Night'", "Julafton")


def test_a_named_holiday_needs_the_country():
    problems = problems_of(closed_days("      - julafton\n", public_holidays=""))
    assert_reported(problems, 12, "facilities[0] (lab)", "closed_days[0]", "public_holidays")


@pytest.mark.parametrize(
    "item, field, words",
    [
        ("{day: 2027-02-30}", "closed_days[0] > day", ("2027-02-30", "not a date")),
        ("{from: 2027-07-12, to: 2027-07-32}", "closed_days[0] > to", ("2027-07-32",)),
        ("{from: 2027-07-16, to: 2027-07-12}", "closed_days[0] > to", ("2027-07-12 is before from (2027-07-16)",)),
        ("{from: 2027-07-12}", "closed_days[0] > from", ("needs to",)),
        ("{to: 2027-07-12}", "closed_days[0] > to", ("needs from",)),
        ("{day: 2027-07-12, colour: red}", "closed_days[0] > colour", ("not a field",)),
        ("{holiday: julafton, day: 2027-07-12}", "closed_days[0] > day", ("cannot go together with holiday",)),
        ("{holiday: julafton, name: Jul}", "closed_days[0] > name", ("own name",)),
        ("{name: Inventory}", "closed_days[0]", ("needs holiday, day, or from and to",)),
        ("2027-13-01", "closed_days[0]", ("'2027-13-01' is not a date",)),
        ("2027-07-12 10:00", "closed_days[0]", ("not a date",)),
        ("2027-07-12 10:00:00", "closed_days[0]", ("not a date",)),
        ("[2027-07-12]", "closed_days[0]", ("not a closed day",)),
    ],
)
def test_a_bad_closed_day_or_period(item, field, words):
    problems = problems_of(closed_days(f"      - {item}\n"))
    assert len(problems) == 1, problems
    assert_reported(problems, 13, "facilities[0] (lab)", field, *words)


def test_plain_dates_stay_valid_without_a_country():
    facility = parse_catalog(closed_days("      - 2026-12-24\n", public_holidays="")).facilities[0]
    assert facility.closed_days == ({"day": "2026-12-24"},) and facility.public_holidays is None


@pytest.mark.parametrize("text", ["", "- a list\n", "just text\n"])
def test_a_file_that_is_not_a_mapping(text):
    assert problems_of(text)[0].startswith("line 1: the catalogue must be a mapping")


def test_missing_sections_and_non_mapping_entries():
    assert_reported(problems_of("qualifications: []\n"), 1, "", "facilities", "Missing")
    problems = problems_of(changed("    resources:\n", "    resources:\n      - just a name\n"))
    assert_reported(problems, 15, "facilities[0] (lab)", "resources[0]", "mapping")


def test_an_unreadable_file(tmp_path):
    with pytest.raises(CatalogError, match="nope.yaml"):
        read_catalog(tmp_path / "nope.yaml")
    with pytest.raises(CatalogError):
        read_catalog(tmp_path)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(CatalogError):
        read_catalog(binary)


def test_text_that_cannot_be_stored_is_named_with_its_line():
    problems = problems_of(changed("        name: Bioreactor\n", '        name: "Bio\\0reactor"\n'))
    assert_reported(problems, 21, BIOREACTOR, "name", "NUL")
    problems = problems_of(changed("        name: Cleanroom suite\n", '        name: "Clean \\ud800 suite"\n'))
    assert_reported(problems, 16, SUITE, "name", "not valid Unicode")


def test_a_catalogue_nested_too_deeply_is_a_clear_error():
    depth = 100_000
    assert problems_of("facilities: " + "[" * depth + "]" * depth) == ["not valid YAML: nested too deeply"]


# --- the application's activities, acquisition values and service dates ----------------------


def test_activity_comes_from_the_facility_unless_the_resource_says_otherwise():
    text = changed("      requires_approval: true\n", '      requires_approval: true\n      activity: "4.3"\n')
    text = text.replace("        max_minutes: 30240\n", "        max_minutes: 30240\n        activity: 4.4\n")
    text += "        nominal_value_sek: 950000\n        in_service_since: 2025-11-03\n"
    suite, bioreactor = parse_catalog(text).resources
    assert suite.activity == "4.3" and suite.in_service_since is None
    assert bioreactor.activity == "4.4"  # YAML reads 4.4 as a number; it means the activity
    assert bioreactor.in_service_since == date(2025, 11, 3) and bioreactor.nominal_value_sek == 950_000


def test_no_activity_said_is_none():
    assert [r.activity for r in parse_catalog(BASE).resources] == [None, None]


@pytest.mark.parametrize("value", ["4.5", "'4,2'", "3.2", "true", "activity-4.2"])
def test_an_unknown_activity_is_named_with_its_line(value):
    problems = problems_of(BASE + f"        activity: {value}\n")
    assert_reported(problems, 25, BIOREACTOR, "activity", "is not an activity of the application", "4.2, 4.3, 4.4")


def test_a_broken_service_date_is_named_with_its_line():
    problems = problems_of(BASE + "        in_service_since: 2025-02-30\n")
    assert_reported(problems, 25, BIOREACTOR, "in_service_since", "is not a date")


def test_the_shipped_catalogue_gives_every_resource_its_activity(shipped):
    by_facility = {f.key: {r.activity for r in f.resources} for f in shipped.facilities}
    assert by_facility == {"smile": {"4.4"}, "lu-atmp": {"4.2"}, "sus-gmp": {"4.3"}}
    dated = [r for r in shipped.resources if r.nominal_value_sek]
    assert dated and all(r.in_service_since is not None for r in dated)


def test_series_approval_defaults_to_one_decision_and_is_set_per_facility_or_resource():
    catalog = parse_catalog(BASE)
    assert [r.series_approval for r in catalog.resources] == ["series", "series"]
    per_occurrence = changed(
        "      requires_approval: true\n", "      requires_approval: true\n      series_approval: occurrence\n"
    )
    by_facility = parse_catalog(per_occurrence)
    assert [r.series_approval for r in by_facility.resources] == ["occurrence", "occurrence"]
    own = parse_catalog(
        changed("        max_minutes: 30240\n", "        max_minutes: 30240\n        series_approval: occurrence\n")
    )
    assert [r.series_approval for r in own.resources] == ["series", "occurrence"]
    problems = problems_of(
        changed("        max_minutes: 30240\n", "        max_minutes: 30240\n        series_approval: weekly\n")
    )
    assert len(problems) == 1 and problems[0].startswith(f"line 25: {BIOREACTOR} > series_approval")


def test_the_real_catalogue_decides_gmp_series_one_occurrence_at_a_time():
    catalog = read_catalog(ROOT / "instruments.yaml")
    modes = {r.facility: r.series_approval for r in catalog.resources if r.requires_approval}
    assert modes["sus-gmp"] == "occurrence" and modes.get("lu-atmp", "series") == "series"
