"""Calendar feeds over real HTTP, read by two independent parsers (icalendar and vobject)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from facility.accounts.services import get_user_by_email as get_user
from facility.accounts.services import qualify, update_user
from facility.bookings.models import Booking
from facility.bookings.services import add_blackout
from facility.core.extensions import db
from facility.core.time import utcnow
from facility.feeds.models import CalendarFeed
from tests.support.clients import PASSWORD, error_codes
from tests.support.factory import add_booking, local_slot
from tests.support.feeds import instant, october_change_weekend, parsed_both_ways

GOWNED = {"qualifications": ["gowning-grade-b"]}


def book(client, resource: str, slot, purpose: str = "T-cell expansion") -> dict:
    response = client.post("/bookings", {"resource": resource, "start": slot[0], "end": slot[1], "purpose": purpose})
    assert response.status_code == 201, response.text
    return response.get_json()


def uid_of(booking: dict) -> str:
    return f"booking-{booking['id']}@facility.test"


@pytest.mark.any_date
def test_feed_instants_equal_the_bookings_including_across_the_october_dst_change(people, feeds, app, clock):
    alice = people.make()
    weekend = october_change_weekend(clock.today + timedelta(days=2))
    with app.app_context():  # the next such weekend may be more than the usual year of training ahead
        qualify(alice.email, "bioreactor-operation", instant(weekend[1]).date() + timedelta(days=1))
    run = book(alice, "lab-bioreactor", weekend)
    short = book(alice, "lab-bsc", local_slot(7, 9, hours=1.5))
    feed = feeds.subscribe(alice, "user")

    response = feeds.fetch(feed["url"])

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert b"\r\n" in response.data and b"\n" not in response.data.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in response.data.split(b"\r\n"))  # folded
    events = parsed_both_ways(response.data)
    for booking in (run, short):
        event = events[uid_of(booking)]
        assert (event["start"], event["end"]) == (instant(booking["start"]), instant(booking["end"]))
        assert event["status"] == "CONFIRMED"
    assert events[uid_of(run)]["end"] - events[uid_of(run)]["start"] == timedelta(hours=73)
    assert "Bioreactor" in events[uid_of(run)]["summary"]
    assert "T-cell expansion" in events[uid_of(run)]["description"]


def test_calendar_properties_ask_clients_to_poll_and_name_the_calendar(people, feeds):
    import icalendar

    alice = people.make()
    book(alice, "lab-bsc", local_slot(7, 9))
    calendar = icalendar.Calendar.from_ical(feeds.fetch(feeds.subscribe(alice, "resource", "lab-bsc")["url"]).data)
    assert str(calendar["X-WR-CALNAME"]).startswith("Biosafety cabinet")
    assert str(calendar["METHOD"]) == "PUBLISH" and str(calendar["VERSION"]) == "2.0"
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(minutes=15)
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT15M"  # an X- property: text to parsers
    event = calendar.walk("VEVENT")[0]
    for name in ("DTSTAMP", "LAST-MODIFIED", "LOCATION", "URL", "SEQUENCE"):
        assert name in event, name


def test_status_and_sequence_follow_the_booking_and_the_uid_stays(people, feeds):
    scientist = people.make(**GOWNED)
    manager = people.make("manager", facilities=["gmp"])
    request = book(scientist, "gmp-suite", local_slot(3, 10, hours=2))
    assert request["status"] == "pending"
    feed = feeds.subscribe(scientist, "user")
    uid = uid_of(request)

    def seen():
        return parsed_both_ways(feeds.fetch(feed["url"]).data)[uid]

    pending = seen()
    assert pending["status"] == "TENTATIVE"
    path = f"/bookings/{request['id']}"
    assert manager.post(path + "/approve", {"reason": "Batch record reviewed"}).status_code == 200
    confirmed = seen()
    assert confirmed["status"] == "CONFIRMED" and confirmed["sequence"] > pending["sequence"]
    assert scientist.post(path + "/cancel", {"reason": "Donor material delayed"}).status_code == 200
    cancelled = seen()
    assert cancelled["status"] == "CANCELLED" and cancelled["sequence"] > confirmed["sequence"]
    assert (cancelled["start"], cancelled["end"]) == (instant(request["start"]), instant(request["end"]))


def test_a_cancelled_booking_leaves_the_feed_after_thirty_days(people, feeds, app):
    alice = people.make()
    booking = book(alice, "lab-bsc", local_slot(7, 9))
    assert alice.post(f"/bookings/{booking['id']}/cancel", {"reason": ""}).status_code == 200
    feed = feeds.subscribe(alice, "user")
    assert uid_of(booking) in parsed_both_ways(feeds.fetch(feed["url"]).data)
    with app.app_context():
        db.session.execute(
            update(Booking).where(Booking.id == booking["id"]).values(updated_at=utcnow() - timedelta(days=31))
        )
        db.session.commit()
    assert uid_of(booking) not in parsed_both_ways(feeds.fetch(feed["url"]).data)


def test_conditional_get_answers_304_until_something_changes(people, feeds):
    alice = people.make()
    book(alice, "lab-bsc", local_slot(7, 9))
    feed = feeds.subscribe(alice, "user")
    first = feeds.fetch(feed["url"])
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]

    assert feeds.fetch(feed["url"]).data == first.data  # same bytes: nothing changed
    unchanged = feeds.fetch(feed["url"], **{"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b"" and unchanged.headers["ETag"] == etag
    assert feeds.fetch(feed["url"], **{"If-Modified-Since": modified}).status_code == 304

    book(alice, "lab-bsc", local_slot(7, 13))
    changed = feeds.fetch(feed["url"], **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert len(parsed_both_ways(changed.data)) == 2


def test_every_change_to_what_a_feed_follows_moves_its_etag_and_nothing_else_does(people, feeds, app):
    """The ETag is the newest change the database noted (triggers on bookings and blackouts), so
    a change written by any path (the API, a job, plain SQL from another host) is seen, and a
    change elsewhere keeps the feed at 304."""
    alice, bob = people.make(), people.make(**GOWNED)
    manager = people.make("manager", facilities=["lab", "gmp"])
    booking = book(alice, "lab-bsc", local_slot(7, 9))
    urls = {
        "facility": feeds.subscribe(alice, "facility", "lab")["url"],
        "resource": feeds.subscribe(alice, "resource", "lab-bsc")["url"],
        "user": feeds.subscribe(alice, "user")["url"],
    }
    etags = {scope: feeds.fetch(url).headers["ETag"] for scope, url in urls.items()}

    def moved() -> set:
        """The scopes whose feed no longer answers 304 to the last ETag (which is then renewed)."""
        changed = set()
        for scope, url in urls.items():
            response = feeds.fetch(url, **{"If-None-Match": etags[scope]})
            if response.status_code == 200:
                changed.add(scope)
                etags[scope] = response.headers["ETag"]
            else:
                assert response.status_code == 304
        return changed

    assert moved() == set()
    book(bob, "gmp-suite", local_slot(7, 9))  # another facility
    assert moved() == set()
    book(bob, "lab-bsc", local_slot(8, 9))  # not alice's
    assert moved() == {"facility", "resource"}
    with app.app_context():  # another resource of the facility, a row written directly
        add_booking("lab-bioreactor", bob.email, *map(instant, local_slot(10, 9, hours=4)))
        db.session.commit()
    assert moved() == {"facility"}
    with app.app_context():  # plain SQL, as another host or a script would write it
        db.session.execute(update(Booking).where(Booking.id == booking["id"]).values(purpose="Renamed"))
        db.session.commit()
    assert moved() == {"facility", "resource", "user"}
    with app.app_context():
        add_blackout(
            get_user(manager.email), "lab", *map(instant, local_slot(9, 9)), resource_key="lab-bsc", reason="Filter"
        )
    assert moved() == {"facility", "resource"}
    with app.app_context():
        db.session.execute(delete(Booking).where(Booking.id == booking["id"]))
        db.session.commit()
    assert moved() == {"facility", "resource", "user"}


def test_revoked_regenerated_unknown_and_malformed_secrets_all_answer_404(people, feeds):
    alice = people.make()
    kept, revoked = feeds.subscribe(alice, "user"), feeds.subscribe(alice, "facility", "lab")
    assert alice.delete(f"/calendar-feeds/{revoked['id']}").status_code == 204
    renewed = alice.post(f"/calendar-feeds/{kept['id']}/regenerate")
    assert renewed.status_code == 200 and renewed.get_json()["url"] != kept["url"]
    assert feeds.fetch(renewed.get_json()["url"]).status_code == 200

    secret = kept["url"].rsplit("/", 1)[1].removesuffix(".ics")
    gone = [kept["url"], revoked["url"]]
    made_up = [f"http://x/calendar/{s}.ics" for s in ("A" * 43, secret[:-1], secret + "A", "../etc/passwd", "%00")]
    answers = [feeds.fetch(url) for url in gone + made_up]
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert len({a.data for a in answers[:3]}) == 1  # no hint which
    assert [f["id"] for f in alice.get("/calendar-feeds").get_json()] == [kept["id"]]


def test_a_feed_url_holds_256_bits_and_only_a_hash_is_stored(people, feeds, app):
    alice = people.make()
    feed = feeds.subscribe(alice, "user")
    secret = feed["url"].rsplit("/", 1)[1].removesuffix(".ics")
    assert len(secret) == 43 and feed["url"].startswith("http://facility.test/calendar/")
    with app.app_context():
        row = db.session.execute(select(CalendarFeed.__table__).where(CalendarFeed.id == feed["id"])).one()
    assert secret not in repr(tuple(row))


def test_a_resource_feed_shows_other_peoples_bookings_only_as_booked(people, feeds, app):
    alice, bob = people.make(organisation="cellco"), people.make()
    manager = people.make("manager", facilities=["lab"])
    theirs = book(alice, "lab-bsc", local_slot(7, 9), purpose="Secret CAR-NK construct 7")
    mine = book(bob, "lab-bsc", local_slot(7, 11), purpose="Bob's viability assay")
    with app.app_context():
        add_blackout(
            get_user(manager.email),
            "lab",
            instant(local_slot(9, 8)[0]),
            instant(local_slot(9, 12)[0]),
            resource_key="lab-bsc",
            kind="maintenance",
            reason="HEPA filter change",
        )

    for scope, target in (("resource", "lab-bsc"), ("facility", "lab")):
        body = feeds.fetch(feeds.subscribe(bob, scope, target)["url"]).data
        events = parsed_both_ways(body)
        other = events[uid_of(theirs)]
        assert other["summary"].startswith("Booked") and other["description"] == ""
        for secret in (alice.email, "CellCo", "CAR-NK", "construct"):  # (both are named "Test Scientist")
            assert secret.encode() not in body, (scope, secret)
        assert "Bob's viability assay" in events[uid_of(mine)]["description"]
        unavailable = [e for e in events.values() if e["summary"].startswith("Unavailable")]
        assert len(unavailable) == 1 and "HEPA filter change" in unavailable[0]["summary"]
        assert unavailable[0]["start"] == instant(local_slot(9, 8)[0])


def test_the_api_refuses_bad_feed_requests_with_precise_errors(people):
    alice, bob = people.make(), people.make()
    cases = [
        ({"scope": "week"}, 422, ["invalid"]),
        ({"scope": "resource"}, 422, ["invalid"]),
        ({"scope": "user", "target": "lab"}, 422, ["invalid"]),
        ({"scope": "resource", "target": "no-such"}, 404, ["not_found"]),
        ({"scope": "facility", "target": "lab-bsc"}, 404, ["not_found"]),
        ({"scope": "user", "colour": "red"}, 422, ["unknown_field"]),
    ]
    for body, status, codes in cases:
        response = alice.post("/calendar-feeds", body)
        assert (response.status_code, error_codes(response)) == (status, codes), body
    assert alice.get("/calendar-feeds").get_json() == []

    feed = alice.post("/calendar-feeds", {"scope": "user"}).get_json()
    assert bob.delete(f"/calendar-feeds/{feed['id']}").status_code == 404
    assert bob.post(f"/calendar-feeds/{feed['id']}/regenerate").status_code == 404
    assert people.api().get("/calendar-feeds").status_code == 401
    assert alice.delete("/calendar-feeds/999999").status_code == 404


@pytest.mark.parametrize("who", ["owner", "manager", "stranger"])
def test_one_booking_downloads_as_an_ics_file_for_its_owner_and_managers(people, who):
    owner = people.make(password=PASSWORD)
    visitor = {
        "owner": owner,
        "manager": people.make("manager", facilities=["lab"], password=PASSWORD),
        "stranger": people.make(password=PASSWORD),
    }[who]
    booking = book(owner, "lab-bsc", local_slot(7, 9))
    browser = people.visitor()
    assert browser.sign_in(visitor.email).status_code == 302

    response = browser.get(f"/bookings/{booking['id']}.ics")

    if who == "stranger":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="booking-{booking["id"]}.ics"'
    assert b"METHOD:PUBLISH\r\n" in response.data
    event = parsed_both_ways(response.data)[uid_of(booking)]
    assert (event["start"], event["end"]) == (instant(booking["start"]), instant(booking["end"]))


def test_the_booking_ics_needs_a_signed_in_user(people):
    booking = book(people.make(), "lab-bsc", local_slot(7, 9))
    response = people.visitor().get(f"/bookings/{booking['id']}.ics", follow_redirects=False)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_managers_feed_names_who_booked_until_they_no_longer_manage_the_facility(people, feeds, app):
    alice = people.make(organisation="cellco")
    booked = book(alice, "lab-bsc", local_slot(7, 9), purpose="Secret CAR-NK construct 7")
    manager = people.make("manager", facilities=["lab"])
    admin = people.make("admin")
    url = feeds.subscribe(manager, "facility", "lab")["url"]
    first = feeds.fetch(url)
    assert parsed_both_ways(first.data)[uid_of(booked)]["summary"] == "Biosafety cabinet"
    assert b"CAR-NK" in first.data.replace(b"\r\n ", b"")
    with app.app_context():
        update_user(get_user(admin.email), get_user(manager.email).id, role="manager", facilities=["gmp"])
    after = feeds.fetch(url, **{"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200  # not 304: what the owner may see has changed
    assert parsed_both_ways(after.data)[uid_of(booked)]["summary"].startswith("Booked")
    assert b"CAR-NK" not in after.data.replace(b"\r\n ", b"") and alice.email.encode() not in after.data
