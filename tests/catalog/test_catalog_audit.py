"""`load-catalog` writes audit events for what it creates and changes (facilities, resources,
rates, qualifications), by the system, with the file's path as the reason."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from facility.audit.models import AuditEvent
from facility.core.extensions import db
from tests.support.databases import TEST_CATALOG


def events(app, after_seq: int = 0) -> list[AuditEvent]:
    with app.app_context():
        found = list(db.session.scalars(select(AuditEvent).where(AuditEvent.seq > after_seq).order_by(AuditEvent.seq)))
        db.session.expunge_all()
        return found


def load(app, path: Path):
    result = app.test_cli_runner().invoke(args=["facility", "load-catalog", str(path)])
    with app.app_context():
        db.session.remove()
    assert result.exit_code == 0, result.output
    return result


def test_the_first_load_is_audited_with_the_path_as_reason(app):
    """The test databases are loaded from tests/catalog.yaml when they are made."""
    loaded = events(app)
    actions = [event.action for event in loaded]
    assert actions.count("facility.created") == 2
    assert {"qualification.created", "resource.created", "resource.rates_changed"} <= set(actions)
    catalogue = [event for event in loaded if event.action.split(".")[0] in ("facility", "resource", "qualification")]
    assert all(event.reason == str(TEST_CATALOG) and event.actor_id is None for event in catalogue)
    suite = next(e for e in loaded if e.action == "resource.created" and e.after["key"] == "gmp-suite")
    assert suite.after["facility"] == "gmp" and suite.before is None and suite.facility_id is not None


def test_a_changed_file_audits_each_change_and_an_unchanged_one_nothing(app, tmp_path):
    last = events(app)[-1].seq
    load(app, TEST_CATALOG)
    assert events(app, last) == []

    changed = tmp_path / "changed.yaml"
    text = TEST_CATALOG.read_text()
    text = text.replace("name: Biosafety cabinet", "name: Biosafety cabinet 2")
    text = text.replace("full_cost_sek_per_hour: 1500", "full_cost_sek_per_hour: 1600")
    text = text.replace("name: Test GMP unit", "name: Test GMP unit (Lund)")
    changed.write_text(text)
    load(app, changed)
    new = {(event.action, event.entity_id): event for event in events(app, last)}
    assert {action for action, _id in new} == {"resource.updated", "facility.updated", "resource.rates_changed"}
    assert all(event.reason == str(changed) for event in new.values())
    renamed = next(e for (action, _id), e in new.items() if action == "resource.updated")
    assert (renamed.before, renamed.after) == ({"name": "Biosafety cabinet"}, {"name": "Biosafety cabinet 2"})
    facility = next(e for (action, _id), e in new.items() if action == "facility.updated")
    assert facility.after == {"name": "Test GMP unit (Lund)"}
    rates = next(e for (action, _id), e in new.items() if action == "resource.rates_changed")
    assert rates.before["company"] == [1500, 900] and rates.after["company"] == [1600, 900]
