"""One collision query (bookings.services.bookings_under_blackouts) for a new blackout and for
the blackouts of a calendar source, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from facility.bookings import services as bookings
from facility.bookings.models import Blackout
from facility.catalog.models import Facility, Resource
from facility.core.extensions import db
from facility.feeds import sources
from facility.feeds.models import CalendarSource
from tests.support.factory import add_booking, local


def test_a_blackout_and_a_calendar_source_collide_with_the_same_bookings(app, people):
    alice = people.make()
    with app.app_context():
        lab = db.session.scalar(select(Facility).where(Facility.key == "lab"))
        bsc = db.session.scalar(select(Resource).where(Resource.key == "lab-bsc"))
        bsc_id, lab_id = bsc.id, lab.id
        inside = add_booking("lab-bsc", alice.email, local("2026-12-01 10:00"), local("2026-12-01 12:00"))
        edge = add_booking("lab-bsc", alice.email, local("2026-12-01 12:00"), local("2026-12-01 13:00"))  # touches
        other = add_booking("lab-bioreactor", alice.email, local("2026-12-01 09:00"), local("2026-12-01 11:00"))
        add_booking("lab-bsc", alice.email, local("2026-12-01 09:00"), local("2026-12-01 11:00"), status="cancelled")
        source = CalendarSource(facility_id=lab_id, resource_id=None, name="holidays", url=None)
        db.session.add(source)
        db.session.flush()
        one = Blackout(
            facility_id=lab_id,
            resource_id=bsc_id,
            start_at=local("2026-12-01 08:00"),
            end_at=local("2026-12-01 12:00"),
            kind="maintenance",
            reason="x",
        )
        whole = Blackout(
            facility_id=lab_id,
            resource_id=None,
            start_at=local("2026-12-01 08:00"),
            end_at=local("2026-12-01 12:00"),
            kind="holiday",
            reason="y",
            source_id=source.id,
        )
        db.session.add_all([one, whole])
        db.session.commit()

        # one resource's blackout: its active, overlapping bookings (touching is no overlap)
        assert [b.id for b in bookings.colliding_bookings(one)] == [inside]
        # the whole facility: every resource of it
        assert [b.id for b in sources.colliding_bookings(source, now=local("2026-11-10 09:00"))] == [other, inside]
        assert [
            b.id
            for b in bookings.bookings_under_blackouts(
                Blackout.source_id == source.id, lab_id, None, ending_after=local("2026-12-01 11:00")
            )
        ] == [inside]
        # a source of one resource sees only that resource
        source.resource_id = bsc_id
        assert [b.id for b in sources.colliding_bookings(source, now=local("2026-11-10 09:00"))] == [inside]
        assert edge not in [b.id for b in bookings.colliding_bookings(whole)]
