"""The optional TOTP second factor of managers and administrators: enrol on a page (the key and
an otpauth:// URI, confirmed with a code), then signing in asks for the code. Codes are
computed with pyotp at the frozen clock's time; each code works once."""

from __future__ import annotations

import html
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pyotp

from tests.support import clock as clocks
from tests.support.clients import PASSWORD, PageClient
from tests.support.databases import SQLITE_ONLY

WRONG_CODE = "The code is not correct. Type the 6 digits your app shows now."


def not_the_code(secret: str) -> str:
    """Six digits that are none of the codes accepted now (this time step or one either side)."""
    totp, now = pyotp.TOTP(secret), clocks.now()
    accepted = {totp.at(now + timedelta(seconds=s)) for s in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


def enrol(browser: PageClient) -> str:
    page = browser.get("/account/two-factor")
    assert page.status_code == 200
    secret = page.text.split('<code id="totp-secret">')[1].split("</code>")[0]
    uri = urlparse(html.unescape(page.text.split('id="totp-uri" href="')[1].split('"')[0]))
    assert uri.scheme == "otpauth" and uri.netloc == "totp" and parse_qs(uri.query)["secret"] == [secret]
    assert parse_qs(uri.query)["issuer"] == ["facility"]
    wrong = browser.post_form("/account/two-factor", {"code": not_the_code(secret)})
    assert wrong.status_code == 422 and WRONG_CODE in wrong.text
    assert secret in wrong.text  # the same key, to try again
    done = browser.post_form("/account/two-factor", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "Two-factor sign-in is on" in done.text
    return secret


def later(seconds: int = 60):
    """A later time step: the enrolment's code has been used, the next one is new."""
    return clocks.travel(clocks.now() + timedelta(seconds=seconds))


def test_a_manager_enrols_and_then_signing_in_asks_for_the_code(app, people, visitor):
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    browser = visitor()
    browser.sign_in(manager.email)
    assert 'href="/account/two-factor"' in browser.get("/bookings").text
    secret = enrol(browser)
    with later():
        fresh = visitor()
        step_one = fresh.sign_in(manager.email)
        assert step_one.status_code == 302 and "/sign-in/code" in step_one.headers["Location"]
        assert fresh.get("/bookings", follow_redirects=False).status_code == 302  # not signed in yet
        wrong = fresh.post_form("/sign-in/code", {"code": "12345x"})
        assert wrong.status_code == 401 and WRONG_CODE in wrong.text
        code = pyotp.TOTP(secret).now()
        signed = fresh.post_form("/sign-in/code", {"code": code}, follow_redirects=False)
        assert signed.status_code == 302
        assert fresh.get("/bookings", follow_redirects=False).status_code == 200
        # the same code does not work twice
        replay = visitor()
        replay.sign_in(manager.email)
        assert replay.post_form("/sign-in/code", {"code": code}).status_code == 401
    # the right password alone never signs in
    alone = visitor()
    alone.sign_in(manager.email)
    assert alone.get("/bookings", follow_redirects=False).status_code == 302


@SQLITE_ONLY  # pages only; the code check itself runs on both databases above
def test_the_code_step_without_the_password_step_or_too_late_starts_again(app, people, visitor):
    admin = people.make("admin", password=PASSWORD)
    browser = visitor()
    browser.sign_in(admin.email)
    secret = enrol(browser)
    stranger = visitor()
    page = stranger.get("/sign-in/code")
    assert page.request.path == "/sign-in" and "not finished in time" in page.text
    slow = visitor()
    slow.sign_in(admin.email)
    with later(6 * 60):
        response = slow.post_form("/sign-in/code", {"code": pyotp.TOTP(secret).now()}, page="/sign-in")
        assert response.request.path == "/sign-in" and "not finished in time" in response.text
        assert slow.get("/bookings", follow_redirects=False).status_code == 302


@SQLITE_ONLY  # pages only; the code check itself runs on both databases above
def test_wrong_codes_are_throttled_like_passwords(app, people, visitor):
    admin = people.make("admin", password=PASSWORD)
    browser = visitor()
    browser.sign_in(admin.email)
    secret = enrol(browser)
    with later():
        guesser = visitor()
        guesser.sign_in(admin.email)
        for _ in range(5):
            assert guesser.post_form("/sign-in/code", {"code": not_the_code(secret)}).status_code == 401
        refused = guesser.post_form("/sign-in/code", {"code": pyotp.TOTP(secret).now()})
        assert refused.status_code == 429 and "Too many failed sign-ins" in refused.text
        # the right password again does not reset the count of wrong codes
        assert guesser.sign_in(admin.email).status_code == 429


@SQLITE_ONLY
def test_knowing_the_password_does_not_buy_more_guesses_at_the_code(app, people, visitor):
    admin = people.make("admin", password=PASSWORD)
    browser = visitor()
    browser.sign_in(admin.email)
    secret = enrol(browser)
    with later():
        guesser = visitor()
        statuses = []
        for _ in range(3):  # password, two wrong codes; and again
            statuses.append(guesser.sign_in(admin.email).status_code)
            statuses += [guesser.post_form("/sign-in/code", {"code": not_the_code(secret)}).status_code for _ in "ab"]
        assert statuses == [302, 401, 401, 302, 401, 401, 302, 401, 429]


@SQLITE_ONLY  # pages only; the code check itself runs on both databases above
def test_turning_the_second_factor_off_needs_a_current_code(app, people, visitor):
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    browser = visitor()
    browser.sign_in(manager.email)
    secret = enrol(browser)
    with later():
        wrong = browser.post_form(
            "/account/two-factor/disable", {"code": not_the_code(secret)}, page="/account/two-factor"
        )
        assert wrong.status_code == 422 and WRONG_CODE in wrong.text
        off = browser.post_form(
            "/account/two-factor/disable", {"code": pyotp.TOTP(secret).now()}, page="/account/two-factor"
        )
        assert "Two-factor sign-in is off." in off.text
    again = visitor()
    assert "/sign-in/code" not in again.sign_in(manager.email).headers["Location"]
    assert again.get("/bookings", follow_redirects=False).status_code == 200


@SQLITE_ONLY  # pages only; the code check itself runs on both databases above
def test_a_scientist_has_no_second_factor_page(people, visitor):
    alice = people.make(password=PASSWORD)
    browser = visitor()
    browser.sign_in(alice.email)
    assert browser.get("/account/two-factor").status_code == 403
    assert 'href="/account/two-factor"' not in browser.get("/bookings").text


@SQLITE_ONLY
def test_a_lost_phone_the_command_line_turns_the_second_factor_off(app, people, visitor):
    admin = people.make("admin", password=PASSWORD)
    browser = visitor()
    browser.sign_in(admin.email)
    enrol(browser)
    result = app.test_cli_runner().invoke(args=["facility", "reset-two-factor", admin.email])
    assert result.exit_code == 0 and "two-factor sign-in is off" in result.output
    assert browser.get("/bookings", follow_redirects=False).status_code == 302  # sessions ended
    again = visitor()
    signed = again.sign_in(admin.email)
    assert signed.status_code == 302 and "/sign-in/code" not in signed.headers["Location"]
    assert again.get("/bookings", follow_redirects=False).status_code == 200
    unknown = app.test_cli_runner().invoke(args=["facility", "reset-two-factor", "ghost@example.org"])
    assert unknown.exit_code != 0
