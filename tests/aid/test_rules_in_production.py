"""The rule that is tested is the rule that runs: the hand-computed cases of test_rules.py,
written as usage rows and read back through the ledger and the statement (SQL sums the used
seconds per rate pair, ``rules.amounts`` turns them into money), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from facility.aid import services as aid
from facility.catalog.models import Resource, ResourceRate
from facility.core.extensions import db
from tests.aid.test_rules import HAND_COMPUTED
from tests.support.factory import add_usage, local


def test_the_ledger_gives_the_hand_computed_aid_of_each_case(app, people):
    company = people.make(organisation="cellco")
    with app.app_context():
        resource = db.session.scalar(select(Resource).where(Resource.key == "lab-bsc"))  # no rates of its own
        weeks = []
        for number, (hours, full, charged, expected) in enumerate(HAND_COMPUTED):
            if not hours:
                continue  # no use: no row (a use lasts some time)
            start = local("2026-01-05 08:00") + timedelta(weeks=number)
            db.session.add(
                ResourceRate(
                    resource_id=resource.id,
                    organisation_kind="company",
                    valid_from=start,
                    full_cost_sek_per_hour=full,
                    charged_sek_per_hour=charged,
                )
            )
            db.session.commit()
            add_usage("lab-bsc", company.email, start, start + timedelta(hours=float(hours)))
            weeks.append((start.date(), Decimal(str(hours)), expected))
        for day, hours, expected in weeks:
            period = aid.period_of(day.isoformat(), (day + timedelta(days=6)).isoformat())
            [entry] = aid.ledger(None, period, "cellco")["organisations"]
            assert entry["period"]["subsidised_sek"] == float(expected), (day, hours, expected)
            assert entry["period"]["hours"] == float(round(hours, 2))
            statement = aid.statement(None, "cellco", period)
            assert statement["total"]["subsidised_sek"] == float(expected)
        # all of them together: the sum of the cases (rounded once, at the end)
        first, last = weeks[0][0], weeks[-1][0] + timedelta(days=6)
        whole = aid.ledger(None, aid.period_of(first.isoformat(), last.isoformat()), "cellco")["organisations"][0]
        assert whole["period"]["subsidised_sek"] == float(sum(Decimal(e) for _d, _h, e in weeks))
