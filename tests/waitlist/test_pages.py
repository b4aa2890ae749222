"""The pages: "My waiting list" (join, the offer with Accept and Decline, place in line), the
managers' list, and the "Book for" select of the booking form."""

from __future__ import annotations

import html

from tests.support.clients import PASSWORD
from tests.support.factory import book_form, booking_count, local_slot, next_weekday


def signed_in(people, client):
    return people.signed_in(client.email, PASSWORD)


def test_wait_on_the_page_be_offered_and_accept(app, people):
    anna, bo = people.make(password=PASSWORD), people.make(password=PASSWORD)
    day = next_weekday(14, 1)
    slot = local_slot(14, 10)
    first = anna.post("/bookings", {"resource": "lab-bsc", "start": slot[0], "end": slot[1]}).get_json()
    page = signed_in(people, bo)
    joined = page.post_form("/waitlist", book_form(day), page="/waitlist")
    assert joined.status_code == 200
    text = html.unescape(joined.text)
    assert "You are on the waiting list for Biosafety cabinet." in text
    assert 'class="place">1<' in text

    anna.post(f"/bookings/{first['id']}/cancel", {})
    offered = html.unescape(page.get("/waitlist").text)
    assert "Offered to you" in offered and "Held for you until" in offered
    entry_id = bo.get("/waitlist").get_json()[0]["id"]
    accepted = page.post_form(f"/waitlist/{entry_id}/accept", {}, page="/waitlist")
    assert "You accepted the offer" in html.unescape(accepted.text)
    assert bo.get("/waitlist").get_json()[0]["status"] == "accepted"
    assert [b["status"] for b in bo.get("/bookings").get_json()] == ["confirmed"]


def test_the_page_refuses_a_free_slot_and_says_why(app, people):
    bo = people.make(password=PASSWORD)
    page = signed_in(people, bo)
    refused = page.post_form("/waitlist", book_form(next_weekday(14, 1)), page="/waitlist")
    assert refused.status_code == 422
    assert "This time is free now: book it instead of waiting for it." in html.unescape(refused.text)
    assert bo.get("/waitlist").get_json() == []
    hours = page.post_form("/waitlist", book_form(next_weekday(14, 1), hours="many"), page="/waitlist")
    assert hours.status_code == 422 and "is not a number of hours" in html.unescape(hours.text)


def test_a_manager_books_for_a_user_with_the_book_for_select(app, people):
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    anna = people.make()
    slot = local_slot(21, 9)
    anna.post("/bookings", {"resource": "lab-bsc", "start": slot[0], "end": slot[1]})  # so she is known to the lab
    page = signed_in(people, manager)
    form = page.get("/book").text
    assert 'name="for_user"' in form and anna.email in form
    made = page.post_form("/book", book_form(next_weekday(14, 1), for_user=anna.email), page="/book")
    assert made.status_code == 200, made.text
    mine = anna.get("/bookings").get_json()
    assert len(mine) == 2 and all(b["user"] == anna.email for b in mine)
    by_email = page.post_form("/book", book_form(next_weekday(14, 1), start="12:00", end="13:00",
                                                 for_email="nobody@example.org"), page="/book")  # fmt: skip
    assert by_email.status_code == 422 and "No such user." in html.unescape(by_email.text)
    assert len(anna.get("/bookings").get_json()) == 2


def test_a_scientist_has_no_book_for_select_and_cannot_post_one(app, people):
    anna, bo = people.make(password=PASSWORD), people.make()
    page = signed_in(people, anna)
    assert 'name="for_user"' not in page.get("/book").text
    before = booking_count(app)
    refused = page.post_form("/book", book_form(next_weekday(14, 1), for_email=bo.email), page="/book")
    assert "Only a lab manager can book on behalf of another user." in html.unescape(refused.text)
    assert booking_count(app) == before


def test_managers_see_who_waits_in_line_order(app, people):
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    anna, bo = people.make(), people.make()
    slot = local_slot(14, 10)
    anna.post("/bookings", {"resource": "lab-bsc", "start": slot[0], "end": slot[1]})
    bo.post("/waitlist", {"resource": "lab-bsc", "start": slot[0], "end": slot[1]})
    page = signed_in(people, manager).get("/manage/waitlist?facility=lab")
    assert page.status_code == 200 and bo.email in page.text
    assert signed_in(people, people.make(password=PASSWORD)).get("/manage/waitlist").status_code == 403


def test_the_start_page_tells_of_an_offer(app, people):
    anna, bo = people.make(), people.make(password=PASSWORD)
    slot = local_slot(14, 10)
    first = anna.post("/bookings", {"resource": "lab-bsc", "start": slot[0], "end": slot[1]}).get_json()
    bo.post("/waitlist", {"resource": "lab-bsc", "start": slot[0], "end": slot[1]})
    page = signed_in(people, bo)
    assert 'id="waitlist-offers"' not in page.get("/").text
    anna.post(f"/bookings/{first['id']}/cancel", {})
    start = html.unescape(page.get("/").text)
    assert 'id="waitlist-offers"' in start and "Biosafety cabinet" in start and "held for you until" in start


def test_the_waiting_list_pages_are_swedish_when_swedish_is_chosen(app, people):
    from tests.test_swedish_pages import english_messages, problems_of

    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    anna, bo = people.make(), people.make(password=PASSWORD)
    slot, later = local_slot(14, 10), local_slot(14, 13, hours=3)
    first = anna.post("/bookings", {"resource": "lab-bsc", "start": slot[0], "end": slot[1]}).get_json()
    anna.post("/bookings", {"resource": "lab-bsc", "start": later[0], "end": later[1]})
    bo.post("/waitlist", {"resource": "lab-bsc", "start": slot[0], "end": slot[1]})
    bo.post("/waitlist", {"resource": "lab-bsc", "from": later[0], "to": later[1], "hours": 1.5})
    anna.post(f"/bookings/{first['id']}/cancel", {})
    data = ["facility", "Biosafety cabinet", "Test cell lab", "Test Scientist", "Test Manager", "Test GMP unit",
            "GMP cleanroom suite 1", "Bioreactor"]  # fmt: skip
    seen = {}
    for who, urls in ((bo, ["/waitlist", "/"]), (manager, ["/manage/waitlist?facility=lab", "/book"])):
        page = signed_in(people, who)
        page.post_form("/language", {"lang": "sv"}, page="/account/tokens")
        for url in urls:
            answer = page.get(url)
            assert answer.status_code == 200 and 'lang="sv"' in answer.text
            assert not problems_of(url, answer.text, data, english_messages()), url
            seen[url] = html.unescape(answer.text)
    assert "Tacka ja" in seen["/waitlist"] and "valfria 1 h 30 min" in seen["/waitlist"]
    assert "Tid erbjuden dig från väntelistan" in seen["/"]
    assert "Boka åt" in seen["/book"] and "väntar" in seen["/manage/waitlist?facility=lab"]
