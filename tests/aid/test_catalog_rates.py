"""State-aid rates in instruments.yaml: optional, inherited from the facility's defaults, checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from facility.catalog.loader import parse_catalog, read_catalog
from tests.catalog.test_loader import BIOREACTOR, assert_reported, changed, problems_of

ROOT = Path(__file__).resolve().parents[2]
RATES = """\
        full_cost_sek_per_hour: 1500
        charged_sek_per_hour: {company: 900, university: 600}
"""


def with_bioreactor_rates(rates: str = RATES) -> str:
    return changed("        max_minutes: 30240\n", "        max_minutes: 30240\n" + rates)


def test_a_file_without_rates_stays_valid_and_has_no_rates():
    text = changed("        max_minutes: 30240\n", "        max_minutes: 30240\n")
    for resource in parse_catalog(text).resources:
        assert resource.full_cost_sek_per_hour is None and resource.charged_sek_per_hour is None
        assert set(resource.rates().values()) == {(None, None)}


def test_rates_are_read_and_a_kind_left_out_pays_the_full_cost():
    bioreactor = parse_catalog(with_bioreactor_rates()).resources[1]
    assert bioreactor.full_cost_sek_per_hour == 1500
    assert bioreactor.charged_sek_per_hour == {"company": 900, "university": 600}
    assert bioreactor.rates() == {
        "company": (1500, 900),
        "university": (1500, 600),
        "hospital": (1500, 1500),
        "cro": (1500, 1500),
        "other": (1500, 1500),
    }


def test_rates_come_from_the_facility_defaults_and_a_resource_overrides_them_whole():
    text = changed(
        "      requires_approval: true\n",
        "      requires_approval: true\n"
        "      full_cost_sek_per_hour: 6000\n"
        "      charged_sek_per_hour: {company: 4000, hospital: 3000}\n",
    )
    text = text.replace(
        "        max_minutes: 30240\n",
        "        max_minutes: 30240\n"
        "        full_cost_sek_per_hour: 1500\n"
        "        charged_sek_per_hour: {company: 900}\n",
    )
    suite, bioreactor = parse_catalog(text).resources
    assert (suite.full_cost_sek_per_hour, suite.charged_sek_per_hour) == (6000, {"company": 4000, "hospital": 3000})
    assert (bioreactor.full_cost_sek_per_hour, bioreactor.charged_sek_per_hour) == (1500, {"company": 900})
    assert bioreactor.rates()["hospital"] == (1500, 1500)  # the map is replaced, not merged


def test_a_charged_rate_above_the_full_cost_names_entry_field_and_kind():
    problems = problems_of(with_bioreactor_rates(RATES.replace("company: 900", "company: 2000")))
    assert_reported(
        problems, 26, BIOREACTOR, "charged_sek_per_hour", "above full_cost_sek_per_hour (1500)", "company (2000)"
    )


def test_a_charged_rate_needs_a_full_cost():
    problems = problems_of(with_bioreactor_rates("        charged_sek_per_hour: {company: 900}\n"))
    assert_reported(problems, 25, BIOREACTOR, "charged_sek_per_hour", "needs full_cost_sek_per_hour")


def test_a_conflict_inherited_from_the_defaults_is_reported_at_the_defaults():
    text = changed(
        "      requires_approval: true\n",
        "      requires_approval: true\n"
        "      full_cost_sek_per_hour: 1000\n"
        "      charged_sek_per_hour: {company: 1200}\n",
    )
    problems = problems_of(text)
    assert_reported(problems, 15, "facilities[0] (lab) > defaults", "charged_sek_per_hour", "company (1200)")


@pytest.mark.parametrize(
    "rates, line, field, words",
    [
        ("        full_cost_sek_per_hour: -1\n", 25, "full_cost_sek_per_hour", ("greater than or equal to 0",)),
        ("        full_cost_sek_per_hour: '1500'\n", 25, "full_cost_sek_per_hour", ("integer",)),
        (
            "        full_cost_sek_per_hour: 1500\n        charged_sek_per_hour: 900\n",
            26,
            "charged_sek_per_hour",
            ("must map organisation kinds",),
        ),
        (
            "        full_cost_sek_per_hour: 1500\n        charged_sek_per_hour: {startup: 900}\n",
            26,
            "charged_sek_per_hour > startup",
            ("not an organisation kind", "company"),
        ),
        (
            "        full_cost_sek_per_hour: 1500\n        charged_sek_per_hour: {company: -5}\n",
            26,
            "charged_sek_per_hour > company",
            ("not an hourly rate",),
        ),
        (
            "        full_cost_sek_per_hour: 1500\n        charged_sek_per_hour: {company: 899.5}\n",
            26,
            "charged_sek_per_hour > company",
            ("whole SEK",),
        ),
        (
            "        full_cost_sek_per_hour: 1500\n        charged_sek_per_hour: {company: true}\n",
            26,
            "charged_sek_per_hour > company",
            ("not an hourly rate",),
        ),
    ],
)
def test_bad_rates_are_named_with_line_entry_and_field(rates, line, field, words):
    assert_reported(problems_of(with_bioreactor_rates(rates)), line, BIOREACTOR, field, *words)


def test_the_shipped_catalogue_prices_every_resource_and_subsidises_companies():
    catalog = read_catalog(ROOT / "instruments.yaml")
    by_key = {r.key: r for r in catalog.resources}
    assert by_key["smile-bioreactor"].rates()["company"] == (1500, 900)
    assert by_key["sus-cleanroom-1"].full_cost_sek_per_hour == 6000
    for resource in catalog.resources:
        full = resource.full_cost_sek_per_hour
        assert full and full > 0, resource.key
        company = resource.rates()["company"][1]
        assert 0 < company < full, resource.key  # companies are subsidised: that is the aid to count
        assert resource.rates()["cro"] == (full, full), resource.key
