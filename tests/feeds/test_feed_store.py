"""The serialised events of feeds live in the database (feed_events), shared by every worker:
a second app over the same database serves them without serialising, only what changed is
written again, and what one viewer may see never reaches another."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from sqlalchemy import func, select, update

from facility.bookings.models import Booking
from facility.core.extensions import db
from facility.feeds import ical
from facility.feeds.models import StoredEvent
from tests.feeds.test_feeds import book, uid_of
from tests.support.databases import make_app
from tests.support.factory import local_slot
from tests.support.feeds import parsed_both_ways


@pytest.fixture
def serialised(monkeypatch) -> list:
    """The events the app serialises from now on (VEVENTs written, not read from the store)."""
    written: list = []
    original = ical.vevent_text

    def counting(event):
        written.append(event.uid)
        return original(event)

    monkeypatch.setattr(ical, "vevent_text", counting)
    return written


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StoredEvent))


def test_a_second_worker_serves_the_stored_events_and_only_a_changed_booking_is_written_again(
    people, feeds, app, tmp_path, serialised
):
    alice = people.make()
    booked = [book(alice, "lab-bsc", local_slot(7, 9 + 2 * day), purpose=f"Run {day}, harvest; QC") for day in range(4)]
    url = feeds.subscribe(alice, "facility", "lab")["url"]
    first = feeds.fetch(url)
    assert first.status_code == 200 and len(serialised) == 4 and stored(app) == 4

    # Another worker (a new app, nothing in its memory) over the same database: the same bytes,
    # nothing serialised.
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    again = other.test_client(use_cookies=False).get(urlparse(url).path)
    assert again.data == first.data and len(serialised) == 4
    with other.app_context():
        db.engine.dispose()

    with app.app_context():
        db.session.execute(update(Booking).where(Booking.id == booked[2]["id"]).values(purpose="Run 2, moved"))
        db.session.commit()
    changed = feeds.fetch(url, **{"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and serialised[4:] == [uid_of(booked[2])]
    assert "Purpose: Run 2, moved" in parsed_both_ways(changed.data)[uid_of(booked[2])]["description"]
    assert stored(app) == 4


def test_a_strangers_feed_never_receives_the_details_a_manager_sees(people, feeds, app):
    alice = people.make(organisation="cellco")
    bob = people.make()
    manager = people.make("manager", facilities=["lab"])
    theirs = book(alice, "lab-bsc", local_slot(7, 9), purpose="Secret CAR-NK construct 7")
    strangers = feeds.subscribe(bob, "facility", "lab")["url"]
    managers = feeds.subscribe(manager, "facility", "lab")["url"]
    for _ in range(2):  # each variant stored in turn, then read back from the store
        for url, detailed in ((strangers, False), (managers, True)):
            body = feeds.fetch(url).data
            event = parsed_both_ways(body)[uid_of(theirs)]
            assert (b"CAR-NK" in body.replace(b"\r\n ", b"")) is detailed
            assert event["summary"] == ("Biosafety cabinet" if detailed else "Booked: Biosafety cabinet")
    assert stored(app) == 2  # one booking, two variants
