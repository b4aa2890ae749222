"""The "Calendar feeds" page: create a feed, copy its address, give it a new one, remove it."""

from __future__ import annotations

import re

import icalendar
import pytest
from werkzeug.test import TestResponse

from tests.bookings.test_browser import sign_in
from tests.support.clients import PASSWORD
from tests.support.databases import SQLITE_ONLY
from tests.support.feeds import Feeds

pytestmark = SQLITE_ONLY  # the pages on SQLite; the rules and races run on both databases elsewhere


def feed_addresses(html: str) -> list[str]:
    return re.findall(r'value="(http[^"]+/calendar/[^"]+\.ics)"', html)


def fetch(app, address: str) -> TestResponse:
    """GET a feed address as a calendar client would (no cookies)."""
    return Feeds(app).fetch(address)


def test_subscribe_follow_a_resource_then_renew_and_remove_the_address(visitor, people, app):
    alice = people.make(password=PASSWORD)
    browser = visitor()
    browser.sign_in(alice.email)

    created = browser.post_form("/account/calendar-feeds", {"follow": "resource:lab-bsc"}, follow_redirects=False)
    assert created.status_code == 302 and "fresh=" in created.headers["Location"]
    page = browser.get("/account/calendar-feeds").text
    [address] = feed_addresses(page)
    assert "webcal://" + address.split("://", 1)[1] in page
    feed = fetch(app, address)
    assert feed.status_code == 200
    assert str(icalendar.Calendar.from_ical(feed.data)["X-WR-CALNAME"]).startswith("Biosafety cabinet")

    feed_id = re.search(r'id="feed-(\d+)"', page).group(1)
    renewed = browser.post_form(f"/account/calendar-feeds/{feed_id}/regenerate", {}, page="/account/calendar-feeds")
    [new_address] = feed_addresses(renewed.text)
    assert new_address != address
    assert fetch(app, address).status_code == 404
    assert fetch(app, new_address).status_code == 200

    removed = browser.post_form(f"/account/calendar-feeds/{feed_id}/revoke", {}, page="/account/calendar-feeds")
    assert removed.status_code == 200 and feed_addresses(removed.text) == []
    assert fetch(app, new_address).status_code == 404


def test_the_page_refuses_unknown_targets_and_forms_without_their_csrf_token(visitor, people):
    alice, bob = people.make(password=PASSWORD), people.make(password=PASSWORD)
    browser = visitor()
    browser.sign_in(alice.email)

    unknown = browser.post_form("/account/calendar-feeds", {"follow": "resource:no-such"})
    assert unknown.status_code == 422 and "Not a valid choice" in unknown.text
    assert feed_addresses(unknown.text) == []
    forged = browser.post("/account/calendar-feeds", data={"follow": "user"})
    assert forged.status_code == 400
    assert feed_addresses(browser.get("/account/calendar-feeds").text) == []

    # Someone else's feed cannot be removed or renewed.
    browser.post_form("/account/calendar-feeds", {"follow": "user"})
    feed_id = re.search(r'id="feed-(\d+)"', browser.get("/account/calendar-feeds").text).group(1)
    other = visitor()
    other.sign_in(bob.email)
    for action in ("revoke", "regenerate"):
        assert (
            other.post_form(
                f"/account/calendar-feeds/{feed_id}/{action}", {}, page="/account/calendar-feeds"
            ).status_code
            == 404
        )
    assert len(feed_addresses(browser.get("/account/calendar-feeds").text)) == 1


@pytest.mark.browser
def test_in_a_browser_create_a_feed_and_copy_its_address(browser, live_server, people, app):
    alice = people.make(password=PASSWORD)
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    refused = []  # the Content-Security-Policy refuses inline scripts: the copy button's is a file
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    sign_in(page, live_server.url, alice.email)

    page.get_by_role("link", name="Calendar feeds").click()
    page.get_by_label("Follow").select_option("user")
    page.get_by_role("button", name="Create feed").click()

    address = page.get_by_label("Address to subscribe to").input_value()
    assert re.fullmatch(r"http://facility\.test/calendar/[A-Za-z0-9_-]{43}\.ics", address)
    assert (
        page.get_by_role("link", name="Open in my calendar app").get_attribute("href")
        == "webcal://" + address.split("://", 1)[1]
    )
    page.get_by_role("button", name="Copy").click()
    page.get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == address
    assert fetch(app, address).status_code == 200
    assert refused == []
    context.close()
