"""A fixed data set for the ledger: usage rows written directly (the booking rules forbid the past).

Rates of tests/catalog.yaml, for a company: lab-bioreactor full 1,500, charged 900 (600 SEK/h of
aid); gmp-suite full 6,000, charged 4,000 (2,000 SEK/h); lab-bsc has no rates (no aid).
"""

from __future__ import annotations

import pytest

from facility.accounts import services as accounts
from tests.support.factory import add_usage, local


@pytest.fixture
def ledger_data(app, people):
    """CellCo (a small company) in October 2026 and around the three-year boundary; a university user."""
    with app.app_context():
        accounts.create_organisation("bigco", "BigCo AB", "company", "large")
    company = people.make(organisation="cellco")
    university = people.make(organisation="lu")
    other = people.make(organisation="bigco")
    ids = {}
    with app.app_context():
        c, u = company.email, university.email
        # 48 h -> 28,800 SEK of aid; full 72,000; charged 43,200
        ids["bioreactor"] = add_usage("lab-bioreactor", c, local("2026-10-05 08:00"), local("2026-10-07 08:00"))
        # 4 h -> 8,000; full 24,000; charged 16,000
        ids["suite"] = add_usage("gmp-suite", c, local("2026-10-12 09:00"), local("2026-10-12 13:00"))
        # 2 h on a resource without rates: hours, no aid
        ids["bsc"] = add_usage("lab-bsc", c, local("2026-10-13 10:00"), local("2026-10-13 12:00"))
        # a 10 h record corrected to 2 h: only the correction counts (4,000; full 12,000; charged 8,000)
        wrong = add_usage("gmp-suite", c, local("2026-10-14 09:00"), local("2026-10-14 19:00"), superseded=True)
        ids["correction"] = add_usage(
            "gmp-suite", c, local("2026-10-14 09:00"), local("2026-10-14 11:00"), source="manual", corrects_id=wrong
        )
        # 8 h across the end of the month: 4 h in October (2,400), 4 h in November (2,400)
        ids["across"] = add_usage("lab-bioreactor", c, local("2026-10-31 20:00"), local("2026-11-01 04:00"))
        # still checked in: not counted
        add_usage("gmp-suite", c, local("2026-10-20 09:00"), None)
        # the three years that end with 2026-10-31 start on 2023-11-01: 2 h in (4,000), 2 h out
        ids["old_in"] = add_usage("gmp-suite", c, local("2023-11-01 09:00"), local("2023-11-01 11:00"))
        ids["old_out"] = add_usage("gmp-suite", c, local("2023-10-31 09:00"), local("2023-10-31 11:00"))
        # a university is no undertaking: 10 h of the bioreactor count nowhere
        add_usage("lab-bioreactor", u, local("2026-10-05 08:00"), local("2026-10-05 18:00"))
        # BigCo: 1 h of the suite (2,000)
        add_usage("gmp-suite", other.email, local("2026-10-19 09:00"), local("2026-10-19 10:00"))
    return {"company": company, "university": university, "other": other, "ids": ids}
