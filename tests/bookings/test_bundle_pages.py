"""Bundle pages through the Flask test client, without JavaScript: the catalogue shows the GMP
unit's suites, a suite is booked from its form (every broken rule said), the bundle's page and
each member's page show the others, and cancelling one cancels all (after confirmation)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from facility.bookings.models import Booking
from facility.core.extensions import db
from tests.support.clients import PASSWORD
from tests.support.factory import People, next_weekday

QUALIFICATIONS = ["gowning-grade-b", "gmp-basic", "cryopreservation"]
pytestmark = pytest.mark.parametrize("catalogue_app", ["sqlite"], indirect=True)


@pytest.fixture
def people(catalogue_app):
    return People(catalogue_app)


@pytest.fixture
def scientist(people):
    made = people.make(qualifications=QUALIFICATIONS, password=PASSWORD)
    return people.signed_in(made.email)


def suite_form(day, bundle="sus-suite-1", start="08:00", end="12:00", **extra):
    return {
        "bundle": bundle,
        "start_date": day.isoformat(),
        "start_time": start,
        "end_date": day.isoformat(),
        "end_time": end,
        "purpose": "CAR-T manufacturing run",
        "project": "CAR-T 19",
        "batch": "B-2026-041",
        **extra,
    }


def booking_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Booking))


def test_the_catalogue_shows_the_suites_and_links_to_their_form(catalogue_app, scientist):
    page = scientist.get("/catalogue").text
    assert 'id="suite-sus-suite-1"' in page and 'id="suite-sus-suite-1-fill"' in page
    assert "Aseptic isolator (Getinge ISOFLEX, grade A)" in page
    assert "/bundles/book?bundle=sus-suite-1" in page
    assert "Booked only together with sus-cleanroom-1" in page
    form = scientist.get("/bundles/book?bundle=sus-suite-1-fill").text
    assert '<option selected value="sus-suite-1-fill">' in form


def test_a_suite_booked_from_its_form_shows_its_members_everywhere(catalogue_app, scientist):
    day = next_weekday(14, 1)
    done = scientist.post_form("/bundles/book", suite_form(day), page="/bundles/book")
    assert done.status_code == 200 and done.request.path.startswith("/bundles/"), done.text
    page = done.text
    assert "Booked together" in page
    for name in ("GMP cleanroom suite 1", "Aseptic isolator", "Controlled-rate freezer"):
        assert name in page
    assert booking_count(catalogue_app) == 3
    member = page.split('href="/bookings/')[1].split('"')[0]
    detail = scientist.get(f"/bookings/{member}").text
    assert 'id="bundle"' in detail and detail.count("/bookings/") >= 2
    # Cancel from the bundle: the confirmation of one member names the others, and cancels all.
    confirm = scientist.get(f"/bookings/{member}/cancel").text
    assert "Booked together with" in confirm
    cancelled = scientist.post_form(f"/bookings/{member}/cancel", {"reason": ""}, page=f"/bookings/{member}/cancel")
    assert cancelled.status_code == 200
    with catalogue_app.app_context():
        assert set(db.session.scalars(select(Booking.status))) == {"cancelled"}


def test_every_broken_rule_is_said_and_nothing_is_written(catalogue_app, scientist):
    day = next_weekday(14, 1)
    refused = scientist.post_form(
        "/bundles/book", suite_form(day, start="08:00", end="08:30", project="", batch=""), page="/bundles/book"
    )
    assert refused.status_code == 422
    for words in ("name the product", "batch or lot number", "on a 1 h step", "must last at least"):
        assert words in refused.text, words
    assert booking_count(catalogue_app) == 0
    unknown = scientist.post_form("/bundles/book", suite_form(day, bundle="no-such-suite"), page="/bundles/book")
    assert unknown.status_code == 422 and "No such bundle." in unknown.text  # said at the field, as on /book
    past = scientist.post_form("/bundles/book", suite_form(day - timedelta(days=28)), page="/bundles/book")
    assert past.status_code == 422 and "The start is in the past." in past.text
    assert booking_count(catalogue_app) == 0


def test_a_stranger_does_not_see_the_bundle(catalogue_app, scientist, people):
    day = next_weekday(14, 1)
    done = scientist.post_form("/bundles/book", suite_form(day), page="/bundles/book")
    path = done.request.path
    stranger = people.signed_in(people.make(password=PASSWORD).email)
    assert stranger.get(path).status_code == 404
    assert people.visitor().get(path, follow_redirects=False).status_code == 302
