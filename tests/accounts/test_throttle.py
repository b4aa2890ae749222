"""The sign-in throttle counts per account across every address, not only per address, and a
stranger guessing from many addresses still cannot lock the owner out of an address the
owner has signed in from before. Unknown e-mails are answered the same way."""

from __future__ import annotations

from datetime import timedelta

from facility.accounts.throttle import MAX_FAILURES_PER_ACCOUNT_FROM_NEW_ADDRESSES, WINDOW
from tests.support import clock as clocks
from tests.support.clients import PASSWORD, PageClient

THROTTLED = "Too many failed sign-ins. Wait 15 minutes and try again."
WRONG = "The e-mail address or the password is not correct."


def from_address(app, ip: str) -> PageClient:
    browser = PageClient(app.test_client())
    browser.client.environ_base["REMOTE_ADDR"] = ip
    return browser


def guess_from_many_addresses(app, email: str) -> None:
    for n in range(MAX_FAILURES_PER_ACCOUNT_FROM_NEW_ADDRESSES):
        response = from_address(app, f"203.0.113.{n + 1}").sign_in(email, f"guess-number-{n}")
        assert response.status_code == 401 and WRONG in response.text  # one try per address: no per-address limit hit


def test_guesses_spread_over_many_addresses_hold_back_new_addresses_but_not_the_owner(app, people):
    alice = people.make(password=PASSWORD)
    assert from_address(app, "192.0.2.10").sign_in(alice.email).status_code == 302  # the owner's office
    guess_from_many_addresses(app, alice.email)
    # one more address, even with the right password, waits
    stranger = from_address(app, "198.51.100.7").sign_in(alice.email, PASSWORD)
    assert stranger.status_code == 429 and THROTTLED in stranger.text
    # the owner, from the address she signed in from before, still can
    assert from_address(app, "192.0.2.10").sign_in(alice.email).status_code == 302
    # other accounts are not affected
    bob = people.make(password=PASSWORD)
    assert from_address(app, "198.51.100.7").sign_in(bob.email).status_code == 302
    # the wait is over when the failures leave the window
    with clocks.travel(clocks.now() + WINDOW + timedelta(seconds=1)):
        assert from_address(app, "198.51.100.7").sign_in(alice.email).status_code == 302


def test_an_unknown_e_mail_is_answered_like_an_account_with_no_known_address(app, people):
    alice = people.make(password=PASSWORD)  # never signed in: no known address
    for email in (alice.email, "nobody@example.org"):
        guess_from_many_addresses(app, email)
        refused = from_address(app, "198.51.100.8").sign_in(email, "yet-another-guess")
        assert refused.status_code == 429 and THROTTLED in refused.text


def test_the_owner_s_known_address_still_has_its_own_limit(app, people):
    alice = people.make(password=PASSWORD)
    office = from_address(app, "192.0.2.10")
    assert office.sign_in(alice.email).status_code == 302
    office = from_address(app, "192.0.2.10")
    for _ in range(5):
        assert office.sign_in(alice.email, "not-my-password").status_code == 401
    assert office.sign_in(alice.email).status_code == 429
