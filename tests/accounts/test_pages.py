"""The accounts' pages over HTTP without a browser: CSRF, roles, the sign-in throttle,
password, tokens, qualifications, the admin's forms and the language."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from tests.support.clients import PASSWORD
from tests.support.clock import today
from tests.support.databases import SQLITE_ONLY
from tests.support.factory import book_form, booking_count, next_weekday

pytestmark = SQLITE_ONLY  # the pages on SQLite; the rules and races run on both databases elsewhere


def test_a_form_post_without_csrf_token_is_refused(people, visitor, app):
    alice = people.make(password=PASSWORD)
    anonymous = visitor().post("/sign-in", data={"email": alice.email, "password": PASSWORD}, follow_redirects=False)
    assert anonymous.status_code == 400 and "CSRF" in anonymous.text
    browser = visitor()
    assert browser.sign_in(alice.email).status_code == 302
    forged = browser.post("/book", data=book_form(next_weekday(14, 1)))
    assert forged.status_code == 400
    assert booking_count(app) == 0


def test_a_scientist_cannot_open_manager_or_admin_pages(people, visitor):
    alice = people.make(password=PASSWORD)
    browser = visitor()
    browser.sign_in(alice.email)
    for path in ("/manage/approvals", "/manage/blackouts", "/manage/qualifications", "/admin"):
        response = browser.get(path)
        assert response.status_code == 403, path
        assert "Not allowed" in response.text and "<form" in response.text  # the friendly page, with the site around it
    missing = browser.get("/bookings/999")
    assert missing.status_code == 404 and "Not found" in missing.text


def test_pages_need_sign_in(visitor):
    response = visitor().get("/bookings", follow_redirects=False)
    assert response.status_code == 302 and "/sign-in?next=" in response.headers["Location"]


def test_repeated_failed_sign_ins_are_throttled_with_the_same_message_for_unknown_emails(people, visitor):
    alice = people.make(password=PASSWORD)
    browser = visitor()
    unknown = browser.sign_in("nobody@example.org", "whatever-password")
    wrong = browser.sign_in(alice.email, "wrong-password")
    assert unknown.status_code == wrong.status_code == 401
    message = "The e-mail address or the password is not correct."
    assert message in unknown.text and message in wrong.text
    for _ in range(4):
        browser.sign_in(alice.email, "wrong-password")
    refused = browser.sign_in(alice.email, PASSWORD)  # the right password, but after 5 failures
    assert refused.status_code == 429
    assert "Too many failed sign-ins. Wait 15 minutes" in refused.text
    assert browser.get("/bookings", follow_redirects=False).status_code == 302
    bob = people.make(password=PASSWORD)
    assert visitor().sign_in(bob.email).status_code == 302  # other accounts are not affected


def test_change_own_password(people, visitor):
    alice = people.make(password=PASSWORD)
    browser = visitor()
    browser.sign_in(alice.email)
    wrong = browser.post_form(
        "/account/password",
        {"current_password": "nope-nope-nope", "new_password": "new-long-password", "confirm": "new-long-password"},
    )
    assert wrong.status_code == 422 and "The current password is not correct." in wrong.text
    short = browser.post_form(
        "/account/password", {"current_password": PASSWORD, "new_password": "short", "confirm": "short"}
    )
    assert "at least 12 characters" in short.text
    changed = browser.post_form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "new-long-password", "confirm": "new-long-password"},
    )
    assert changed.status_code == 200 and "Your password has been changed." in changed.text
    assert visitor().sign_in(alice.email, PASSWORD).status_code == 401
    assert visitor().sign_in(alice.email, "new-long-password").status_code == 302


def test_api_tokens_are_shown_once_and_can_be_revoked(people, visitor):
    alice = people.make(password=PASSWORD)
    browser = visitor()
    browser.sign_in(alice.email)
    created = browser.post_form("/account/tokens", {"name": "lab kiosk"})
    assert created.status_code == 201
    secret = created.text.split('<code id="new-token">')[1].split("</code>")[0]
    api = people.api(secret).get("/facilities")
    assert api.status_code == 200
    listing = browser.get("/account/tokens")
    assert secret not in listing.text and "lab kiosk" in listing.text
    token_id = listing.text.split("lab kiosk")[1].split("/account/tokens/")[1].split("/revoke")[0]
    browser.post_form(f"/account/tokens/{token_id}/revoke", {}, page="/account/tokens")
    api = people.api(secret).get("/facilities")
    assert api.status_code == 401


@pytest.mark.any_date
def test_manager_grants_qualifications_and_sees_who_expires_soon(people, visitor):
    alice = people.make(password=PASSWORD)
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    browser = visitor()
    browser.sign_in(manager.email)
    soon = (today() + timedelta(days=10)).isoformat()
    granted = browser.post_form(
        "/manage/qualifications", {"email": alice.email, "qualification": "bioreactor-operation", "valid_until": soon}
    )
    assert granted.status_code == 200 and "Qualification recorded" in granted.text
    assert alice.email in granted.text.split("Expiring within 30 days")[1]
    foreign = browser.post_form(
        "/manage/qualifications", {"email": alice.email, "qualification": "gowning-grade-b", "valid_until": soon}
    )
    assert foreign.status_code == 422 and "Choose one of the qualifications your facilities require." in foreign.text
    unknown = browser.post_form(
        "/manage/qualifications",
        {"email": "ghost@example.org", "qualification": "bioreactor-operation", "valid_until": "soon"},
    )
    assert unknown.status_code == 422 and "is not a date like" in html.unescape(unknown.text)


def test_admin_adds_an_organisation_and_a_manager(people, visitor):
    admin = people.make("admin", password=PASSWORD)
    browser = visitor()
    browser.sign_in(admin.email)
    no_size = browser.post_form(
        "/admin/organisations",
        {"org-key": "nk", "org-name": "NK Bio AB", "org-kind": "company", "org-size_class": ""},
        page="/admin",
    )
    assert no_size.status_code == 422 and "A company needs a size class" in no_size.text and "NK Bio AB" in no_size.text
    assert (
        browser.post_form(
            "/admin/organisations",
            {"org-key": "nk", "org-name": "NK Bio AB", "org-kind": "company", "org-size_class": "micro"},
            page="/admin",
        ).status_code
        == 200
    )
    added = browser.post_form(
        "/admin/users",
        {
            "user-email": "Lena@Example.org",
            "user-name": "Lena",
            "user-organisation": "nk",
            "user-role": "manager",
            "user-facilities": ["gmp"],
            "user-password": "lena-long-password",
        },
        page="/admin",
    )
    assert added.status_code == 200 and "lena@example.org" in added.text
    assert visitor().sign_in("lena@example.org", "lena-long-password").status_code == 302


def test_swedish_can_be_chosen(people, visitor):
    alice = people.make(password=PASSWORD)
    browser = visitor()
    browser.sign_in(alice.email)
    browser.post_form("/language", {"lang": "sv", "next": "/catalogue"}, page="/catalogue")
    page = browser.get("/catalogue").text
    assert 'lang="sv"' in page and "Katalog" in page and "städning tar 4 h efter varje bokning" in page
