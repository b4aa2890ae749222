"""Passwords after NIST SP 800-63B: a length floor of 12, no common or leaked password (zxcvbn's
list, offline), no single repeated character, no composition rules; said in clear words."""

from __future__ import annotations

import pytest

from facility.accounts import services as accounts
from facility.core.errors import ServiceError
from tests.support.clients import PASSWORD
from tests.support.databases import SQLITE_ONLY


def refusal(password: str, email: str = "") -> str | None:
    try:
        accounts.check_password_strength(password, email=email)
    except ServiceError as error:
        assert error.status == 422 and [v.code for v in error.violations] == ["weak_password"]
        assert [v.field for v in error.violations] == ["password"]
        return error.violations[0].message
    return None


@pytest.mark.parametrize(
    "password, message",
    [
        ("elevenchars", "A password needs at least 12 characters."),
        ("", "A password needs at least 12 characters."),
        ("aaaaaaaaaaaaaaaa", "A password cannot be one character repeated. Choose a passphrase."),
        ("AaAaAaAaAaAaA", "A password cannot be one character repeated. Choose a passphrase."),
        ("111111111111", "A password cannot be one character repeated. Choose a passphrase."),
        ("qwertyuiop123", "This password is on a list of common or leaked passwords. Choose another."),
        ("1qaz2wsx3edc", "This password is on a list of common or leaked passwords. Choose another."),
        ("LeaveMeAlone", "This password is on a list of common or leaked passwords. Choose another."),
        ("x" * 257, "A password can have at most 256 characters."),
    ],
)
def test_weak_passwords_are_refused_with_a_clear_message(password, message):
    assert refusal(password) == message


@pytest.mark.parametrize(
    "password",
    [
        PASSWORD,
        "correct horse battery staple",
        "alllowercaseletters",  # no composition rules: no digit, capital or symbol needed
        "ÅÄÖ kaffe på morgonen",  # any characters, spaces included
        "ab" * 6,  # two characters repeated is not one character repeated
        "x" * 255 + "y",
    ],
)
def test_long_uncommon_passwords_are_accepted_without_composition_rules(password):
    assert refusal(password) is None


def test_the_e_mail_address_is_not_a_password():
    assert refusal("lena.svensson@example.org", "lena.svensson@example.org") == (
        "A password cannot be your e-mail address."
    )
    assert refusal("lena.svensson", "lena.svensson@example.org") == "A password cannot be your e-mail address."


def test_creating_a_user_checks_the_password(app):
    with app.app_context():
        with pytest.raises(ServiceError) as refused:
            accounts.create_user("short@example.org", "Short", "lu", password="password1234")
        assert refused.value.violations[0].message == (
            "This password is on a list of common or leaked passwords. Choose another."
        )
        assert accounts.get_user_by_email("short@example.org") is None


@SQLITE_ONLY
def test_the_password_page_explains_what_is_refused(people, visitor):
    alice = people.make(password=PASSWORD)
    browser = visitor()
    browser.sign_in(alice.email)
    page = browser.get("/account/password")
    assert "At least 12 characters" in page.text
    for new, message in (
        ("aaaaaaaaaaaaaa", "A password cannot be one character repeated."),
        ("qwertyuiop123", "This password is on a list of common or leaked passwords."),
        ("tooshort", "A password needs at least 12 characters."),
    ):
        refused = browser.post_form(
            "/account/password", {"current_password": PASSWORD, "new_password": new, "confirm": new}
        )
        assert refused.status_code == 422 and message in refused.text, new
        assert 'id="new_password-errors"' in refused.text
    assert visitor().sign_in(alice.email, PASSWORD).status_code == 302  # nothing changed


def test_the_password_page_says_what_is_refused_in_swedish(people, visitor):
    alice = people.make(password=PASSWORD)
    browser = visitor()
    browser.sign_in(alice.email)
    browser.post_form("/language", {"lang": "sv"}, page="/account/tokens")
    for new, message in (
        ("aaaaaaaaaaaaaa", "Ett lösenord kan inte vara ett och samma tecken upprepat."),
        ("tooshort", "Ett lösenord behöver minst 12 tecken."),
        (alice.email, "Ett lösenord kan inte vara din e-postadress."),
    ):
        refused = browser.post_form(
            "/account/password", {"current_password": PASSWORD, "new_password": new, "confirm": new}
        )
        assert refused.status_code == 422 and message in refused.text, new
        assert "A password" not in refused.text
    wrong = browser.post_form(
        "/account/password", {"current_password": "not-it-at-all", "new_password": "x" * 20, "confirm": "x" * 20}
    )
    assert wrong.status_code == 422 and "Det nuvarande lösenordet stämmer inte." in wrong.text
