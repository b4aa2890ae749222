"""The availability answer of an unattended resource says where bookings may start and end."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.support.clients import error_codes
from tests.support.factory import local_slot


def span(start: datetime, end: datetime) -> dict:
    return {"start": start.isoformat(), "end": end.isoformat()}


@pytest.mark.any_date
def test_an_unattended_run_may_go_through_the_night_but_starts_and_ends_in_opening_hours(people):
    """The bioreactor (test catalogue: open Mon-Fri 07-19, 4 h changeover) after a run that
    ends on Tuesday at 17:00: cleaning until 21:00, then the night, then Wednesday."""
    alice = people.make(qualifications=["bioreactor-operation"])
    run_start, _ = local_slot(14, 9)
    tuesday_9 = datetime.fromisoformat(run_start)
    run = (tuesday_9, tuesday_9.replace(hour=17))
    assert (
        alice.post(
            "/bookings", {"resource": "lab-bioreactor", "start": run[0].isoformat(), "end": run[1].isoformat()}
        ).status_code
        == 201
    )
    wednesday = tuesday_9 + timedelta(days=1)
    thursday = wednesday + timedelta(days=1)
    window = {"from": tuesday_9.replace(hour=0).isoformat(), "to": thursday.replace(hour=12).isoformat()}
    body = alice.get("/resources/lab-bioreactor/availability", query_string=window).get_json()
    # Before the run nothing fits: 4 h at least, and the changeover after it must end by 09:00.
    # After it, the free window begins where a booking may start, Wednesday 07:00 (not at 21:00,
    # when the cleaning ends), and runs through the night into Thursday.
    assert body["free"] == [span(wednesday.replace(hour=7), thursday.replace(hour=12))]
    assert body["starts"] == [
        span(wednesday.replace(hour=7), wednesday.replace(hour=19)),
        span(thursday.replace(hour=7), thursday.replace(hour=12)),
    ]
    assert body["ends"] == body["starts"]
    night = (tuesday_9.replace(hour=23), wednesday.replace(hour=11))
    refused = alice.post(
        "/bookings", {"resource": "lab-bioreactor", "start": night[0].isoformat(), "end": night[1].isoformat()}
    )
    assert error_codes(refused) == ["outside_opening_hours"]  # it does not start in `starts`
    offered = (wednesday.replace(hour=7), wednesday.replace(hour=11))
    accepted = alice.post(
        "/bookings", {"resource": "lab-bioreactor", "start": offered[0].isoformat(), "end": offered[1].isoformat()}
    )
    assert accepted.status_code == 201, accepted.text
