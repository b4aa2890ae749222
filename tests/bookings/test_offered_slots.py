"""Free means bookable through the service layer and over HTTP, for the whole catalogue.

The pure property (tests/bookings/test_free_means_bookable.py) holds the rules against each
other; these hold what a client sees against what it gets: the availability the service
computes from the database, and the answer of ``request_booking`` and ``POST /api/v1/bookings``.
"""

from __future__ import annotations

import random
import threading
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from facility.accounts import services as accounts
from facility.bookings import services as bookings
from facility.bookings.models import Blackout, Booking
from facility.catalog import services as catalog
from facility.catalog.models import Qualification, Resource
from facility.core.errors import ServiceError
from facility.core.extensions import db
from tests.bookings.offers import from_json, offered, random_offer
from tests.bookings.test_free_means_bookable import RESOURCES, draw_candidate, draw_offer, policy_of, situations
from tests.support import clock as clocks
from tests.support.clients import PASSWORD, ApiClient, PageClient

FAR_FUTURE = date(2100, 1, 1)
POLICIES = {resource.key: policy_of(resource) for _, resource in RESOURCES}
# A resource that ``requires`` another (the GMP isolator stands in its suite) is never booked on
# its own (requires_resource): its free time is where it may lie in a bundle with what it
# requires (tests/bookings/test_bundles.py). These tests book one resource at a time.
BOOKED_ALONE = [(facility, resource) for facility, resource in RESOURCES if not resource.requires]
ALONE = {resource.key for _, resource in BOOKED_ALONE}


def make_user(app, email: str, role: str = "scientist") -> None:
    """A user of Lund University who holds every qualification of the catalogue."""
    with app.app_context():
        accounts.create_user(email, email.split("@")[0], "lu", role)
        for key in db.session.scalars(select(Qualification.key)):
            accounts.qualify(email, key, FAR_FUTURE)


def write_situation(situation, other) -> None:
    """Someone else's bookings and the manager's blackouts, as rows (the rules knew nothing of
    them when they were made: some may lie in the past)."""
    resource = db.session.scalar(select(Resource).where(Resource.key == situation.resource.key))
    policy = situation.policy
    for status, (start, end) in zip(("confirmed", "pending") * 3, situation.bookings):
        db.session.add(
            Booking(
                resource=resource,
                user=other,
                start_at=start,
                end_at=end,
                blocked_until=end + timedelta(minutes=policy.changeover_minutes),
                status=status,
                purpose="",
                created_at=situation.now,
                updated_at=situation.now,
            )
        )
    for start, end in situation.blackouts:
        db.session.add(
            Blackout(
                facility_id=resource.facility_id,
                resource=resource,
                start_at=start,
                end_at=end,
                kind="maintenance",
                reason="test",
            )
        )
    db.session.commit()


def clear() -> None:
    # The audit trail stays: it is append-only (on PostgreSQL its trigger refuses a DELETE).
    for model in (Booking, Blackout):
        db.session.execute(delete(model))
    db.session.commit()


# The product and batch the GMP unit requires of every booking (instruments.yaml, batch_records):
# what the request says, not a rule of the slot.
LABELS = {"project": "car-t-01", "batch": "2611-01"}


def test_what_the_service_offers_request_booking_accepts(catalogue_app):
    app = catalogue_app
    make_user(app, "alice@example.org")
    make_user(app, "other@example.org")
    seen = {"offered": 0, "accepted": 0}

    @settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(situations(among=BOOKED_ALONE), st.data())
    def check(situation, data):
        with app.app_context():
            alice, other = (accounts.get_user_by_email(e) for e in ("alice@example.org", "other@example.org"))
            try:
                write_situation(situation, other)
                resource = catalog.get_resource(situation.resource.key)
                found = bookings.availability(resource, *situation.window, now=situation.now)
                candidate = draw_candidate(data, situation)
                if candidate is not None:
                    try:
                        made = bookings.request_booking(alice, resource.key, *candidate, now=situation.now, **LABELS)
                    except ServiceError:
                        pass
                    else:  # accepted: then availability offered it
                        seen["accepted"] += 1
                        assert offered(candidate, found.bookable), candidate
                        db.session.execute(delete(Booking).where(Booking.id == made.id))
                        db.session.commit()
                offer = draw_offer(data, found.bookable, situation.policy)
                if offer is not None:
                    seen["offered"] += 1
                    booking = bookings.request_booking(alice, resource.key, *offer, now=situation.now, **LABELS)
                    assert booking.status in ("pending", "confirmed")
            finally:
                db.session.rollback()
                clear()

    check()
    assert seen["offered"] >= 10 and seen["accepted"] >= 1, seen


def test_a_qualified_user_who_books_the_first_offered_slot_gets_201(catalogue_app):
    """Every available resource of instruments.yaml, through the API, as a client would do it."""
    app = catalogue_app
    make_user(app, "first@example.org")
    with app.app_context():
        _token, secret = accounts.issue_token("first@example.org")
    client = ApiClient(app.test_client(), secret)
    for _, spec in BOOKED_ALONE:
        answer = client.get(f"/resources/{spec.key}/availability")
        assert answer.status_code == 200, answer.text
        bookable = from_json(answer.get_json())
        first = bookings.rules.first_booking(bookable, POLICIES[spec.key], clocks.STOCKHOLM)
        assert first is not None, (spec.key, answer.get_json())
        made = client.post(
            "/bookings",
            {
                "resource": spec.key,
                "start": first[0].isoformat(),
                "end": first[1].isoformat(),
                "purpose": "first slot",
                **LABELS,
            },
        )
        assert made.status_code == 201, (spec.key, first, made.text)


CLIENTS, BOOKINGS_EACH = 8, 50


def test_400_bookings_each_inside_a_window_called_free_all_get_201(catalogue_app):
    """Eight clients at once, each on resources of its own: it asks for the free time, books a
    random booking inside it (random window, start and allowed length), and asks again."""
    app = catalogue_app
    keys = [spec.key for _, spec in BOOKED_ALONE]
    tokens = []
    for i in range(CLIENTS):
        make_user(app, f"client{i}@example.org")
        with app.app_context():
            tokens.append(accounts.issue_token(f"client{i}@example.org")[1])
    refused: list = []
    made = [0] * CLIENTS

    def client(i: int) -> None:
        rng = random.Random(i)
        api = ApiClient(app.test_client(), tokens[i])  # each thread a client of its own
        mine = keys[i::CLIENTS]
        week_minutes: dict = {}
        window = {"from": clocks.now().isoformat(), "to": (clocks.now() + timedelta(days=90)).isoformat()}
        for _attempt in range(4 * BOOKINGS_EACH):  # bounded: a resource may fill up
            if made[i] == BOOKINGS_EACH:
                break
            key = rng.choice(mine)
            policy = POLICIES[key]
            answer = api.get(f"/resources/{key}/availability", query_string=window)
            offer = random_offer(from_json(answer.get_json()), policy, rng)
            if offer is None:
                continue
            week = (key, offer[0].isocalendar()[:2])
            minutes = (offer[1] - offer[0]).total_seconds() / 60
            if policy.quota_hours_per_week and week_minutes.get(week, 0) + minutes > policy.quota_hours_per_week * 60:
                continue  # quota is the requester's own rule: keep to it
            response = api.post(
                "/bookings",
                {
                    "resource": key,
                    "start": offer[0].isoformat(),
                    "end": offer[1].isoformat(),
                    "purpose": "load",
                    **LABELS,
                },
            )
            if response.status_code != 201:
                refused.append((key, offer, response.status_code, response.text))
            week_minutes[week] = week_minutes.get(week, 0) + minutes
            made[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert refused == []
    assert sum(made) == CLIENTS * BOOKINGS_EACH
    with app.app_context():
        assert db.session.query(Booking).count() == CLIENTS * BOOKINGS_EACH


class BookLinks(HTMLParser):
    """The "Book" links of a server-drawn calendar: the ``a`` of each ``li.block.free``."""

    def __init__(self):
        super().__init__()
        self.links: list[dict[str, str]] = []
        self._in_free = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "li":
            self._in_free = {"block", "free"} <= set((attributes.get("class") or "").split())
        elif tag == "a" and self._in_free:
            self.links.append(dict(parse_qsl(urlsplit(attributes["href"]).query)))

    def handle_endtag(self, tag):
        if tag == "li":
            self._in_free = False


def book_links(page_html: str) -> list[dict[str, str]]:
    parser = BookLinks()
    parser.feed(page_html)
    return parser.links


def test_every_book_link_of_the_calendar_pages_is_accepted(catalogue_app):
    """The server-drawn calendars (each resource's week, each facility's day) offer through each
    "Book" link of their free time the earliest booking there; as the form fills it in, the
    booking is accepted, around someone else's bookings, for every resource of the catalogue."""
    app = catalogue_app
    make_user(app, "other@example.org")
    with app.app_context():
        accounts.create_user("pages@example.org", "Pages", "lu", "scientist", password=PASSWORD)
        for key in db.session.scalars(select(Qualification.key)):
            accounts.qualify("pages@example.org", key, FAR_FUTURE)
        _token, secret = accounts.issue_token("pages@example.org")
        other, rng = accounts.get_user_by_email("other@example.org"), random.Random(7)
        for _, spec in BOOKED_ALONE:  # someone else's bookings cut each resource's free time
            resource = catalog.get_resource(spec.key)
            for _booking in range(3):
                found = bookings.availability(resource, clocks.now(), clocks.now() + timedelta(days=14))
                offer = random_offer(found.bookable, POLICIES[spec.key], rng)
                if offer is not None:
                    bookings.request_booking(other, spec.key, *offer, **LABELS)
    browser = PageClient(app.test_client())
    assert browser.sign_in("pages@example.org").status_code == 302
    api = ApiClient(app.test_client(), secret)
    next_week = (clocks.today() + timedelta(days=7)).isoformat()
    pages = [f"/resources/{spec.key}/week?date={next_week}" for _, spec in BOOKED_ALONE]
    facilities = dict.fromkeys(facility.key for facility, _ in BOOKED_ALONE)
    pages += [f"/facilities/{key}/day?date={clocks.today() + timedelta(days=d)}" for key in facilities for d in (1, 8)]
    followed = 0
    for page in pages:
        answer = browser.get(page)
        assert answer.status_code == 200, page
        for link in book_links(answer.text):
            if link["resource"] not in ALONE:
                continue  # a resource booked only in a suite (requires_resource)
            start = datetime.fromisoformat(f"{link['start_date']}T{link['start_time']}").replace(
                tzinfo=clocks.STOCKHOLM
            )
            end = datetime.fromisoformat(f"{link['end_date']}T{link['end_time']}").replace(tzinfo=clocks.STOCKHOLM)
            body = {"resource": link["resource"], "start": start.isoformat(), "end": end.isoformat(), **LABELS}
            made = api.post("/bookings", body)
            assert made.status_code == 201, (page, link, made.text)
            followed += 1
            with app.app_context():  # the page's other links were drawn without it
                db.session.execute(delete(Booking).where(Booking.id == made.get_json()["id"]))
                db.session.commit()
    assert followed >= 3 * len(pages), followed
