"""The configured zone has one default (facility.core.config) and one reader (default_zone)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask

from facility.core import config
from facility.usage.indicators import parse_period

ROOT = Path(__file__).resolve().parents[1]


def test_one_default_and_one_reader(monkeypatch, tmp_path):
    monkeypatch.delenv("FACILITY_TIMEZONE", raising=False)
    assert config.from_environment(str(tmp_path))["FACILITY_TIMEZONE"] == config.DEFAULT_TIMEZONE
    app = Flask(__name__)
    with app.app_context():
        assert config.default_zone() == ZoneInfo(config.DEFAULT_TIMEZONE)
    app.config["FACILITY_TIMEZONE"] = "America/New_York"
    with app.app_context():
        assert config.default_zone() == ZoneInfo("America/New_York")
        period = parse_period("2026-01-01", "2026-01-31")  # the indicators read the configured zone
        assert period.start == datetime(2026, 1, 1, 5, 0, tzinfo=timezone.utc)


def test_no_module_names_the_zone_itself():
    naming = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "facility").rglob("*.py")
        if "Europe/Stockholm" in path.read_text()
    }
    # the default itself, and the catalogue's error message that gives an example of a zone name
    assert naming == {"facility/core/config.py", "facility/catalog/schema.py"}
