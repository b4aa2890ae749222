"""The GMP tests run on the test catalogue with the GMP unit's settings of instruments.yaml:
product and batch required, line clearance and a maximum occupancy at ``gmp-suite``, and a
calibration plan (loaded through the catalogue loader, as ``load-catalog`` would)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from facility.catalog import services as catalog

TEST_CATALOG = Path(__file__).resolve().parent.parent / "catalog.yaml"
GMP_UNIT = {"batch_records": "required"}
GMP_SUITE = {
    "line_clearance": True,
    "max_occupancy": 2,
    "plans": [
        {"key": "particle-counter", "task": "calibration", "name": "Particle counter calibration", "every_days": 30},
        {"key": "hepa", "task": "filter_change", "name": "HEPA filter change", "every_hours_of_use": 100},
    ],
}


@pytest.fixture(autouse=True)
def gmp_catalog(app, tmp_path):
    data = yaml.safe_load(TEST_CATALOG.read_text())
    for facility in data["facilities"]:
        if facility["key"] == "gmp":
            facility["gmp"] = GMP_UNIT
            for resource in facility["resources"]:
                if resource["key"] == "gmp-suite":
                    resource["gmp"] = GMP_SUITE
    path = tmp_path / "gmp-catalog.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with app.app_context():
        catalog.load_catalog(path)
    return path
