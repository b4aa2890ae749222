"""Browser sessions live in the database: signing out, changing the password and an
administrator disabling a user end them on every server at once; a user lists and ends their
own sessions on a page and in the API. API tokens are not sessions and stay valid."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from facility.accounts.models import UserSession
from facility.core.extensions import db
from tests.support import clock as clocks
from tests.support.clients import PASSWORD, ApiClient, PageClient
from tests.support.databases import SQLITE_ONLY
from tests.support.factory import user_id


def signed_in(
    app, email: str, password: str = PASSWORD, ip: str = "127.0.0.1", agent: str = "TestBrowser/1"
) -> PageClient:
    browser = PageClient(app.test_client())
    browser.client.environ_base.update(REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)  # every request of this browser
    response = browser.post_form("/sign-in", {"email": email, "password": password}, follow_redirects=False)
    assert response.status_code == 302, response.text
    return browser


def copy_of(app, browser: PageClient) -> PageClient:
    """Another client holding a copy of the browser's session cookie (and sending the same
    address and user agent, which Flask-Login's strong session protection compares)."""
    name = app.config["SESSION_COOKIE_NAME"]
    thief = app.test_client()
    thief.environ_base.update(browser.client.environ_base)
    thief.set_cookie(name, browser.client.get_cookie(name).value)
    return PageClient(thief)


def is_signed_in(browser: PageClient) -> bool:
    status = browser.get("/bookings", follow_redirects=False).status_code
    assert status in (200, 302)
    return status == 200


def active_sessions(app, email: str) -> list[UserSession]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(UserSession).where(UserSession.user_id == user_id(email), UserSession.ended_at.is_(None))
            )
        )


def test_signing_out_ends_every_session_and_a_copied_cookie_stops_working(app, people):
    alice = people.make(password=PASSWORD)
    browser = signed_in(app, alice.email)
    phone = signed_in(app, alice.email, ip="10.0.0.2")
    bob = people.make(password=PASSWORD)
    bobs = signed_in(app, bob.email)
    copy = copy_of(app, browser)
    assert is_signed_in(copy) and is_signed_in(browser) and is_signed_in(phone)
    with app.app_context():
        row = db.session.scalar(select(UserSession).where(UserSession.user_id == user_id(alice.email)))
        assert len(row.secret_hash) == 64 and row.ip == "127.0.0.1" and row.user_agent == "TestBrowser/1"
    browser.post_form("/sign-out", {}, page="/bookings")
    assert not is_signed_in(browser)
    assert not is_signed_in(copy)  # the row ended: every worker sees it, whatever the cookie says
    assert not is_signed_in(phone)  # signing out ends her sessions everywhere
    assert is_signed_in(bobs)  # and nobody else's
    assert copy.client.get("/api/v1/account/sessions").status_code == 401
    assert alice.get("/facilities").status_code == 200  # the API token is not a session


def test_changing_the_password_ends_every_other_session(app, people):
    alice = people.make(password=PASSWORD)
    laptop, phone = signed_in(app, alice.email), signed_in(app, alice.email, ip="10.0.0.2")
    bob = people.make(password=PASSWORD)
    bobs = signed_in(app, bob.email)
    changed = laptop.post_form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "new-long-password", "confirm": "new-long-password"},
    )
    assert "Your password has been changed. You are signed out everywhere else." in changed.text
    assert is_signed_in(laptop)  # the session that changed it goes on
    assert not is_signed_in(phone)
    assert is_signed_in(bobs)  # nobody else's
    assert len(active_sessions(app, alice.email)) == 1


def test_an_administrator_disabling_a_user_ends_all_their_sessions(app, people):
    admin = people.make("admin", password=PASSWORD)
    alice = people.make(password=PASSWORD)
    first, second = signed_in(app, alice.email), signed_in(app, alice.email, ip="10.0.0.2")
    desk = signed_in(app, admin.email)
    alice_id = next(s.user_id for s in active_sessions(app, alice.email))
    saved = desk.post_form(f"/admin/users/{alice_id}", {"role": "scientist"})  # "May sign in" unticked
    assert saved.status_code == 200 and "is saved" in saved.text
    assert not is_signed_in(first) and not is_signed_in(second)
    assert active_sessions(app, alice.email) == []
    assert alice.get("/facilities").status_code == 401  # a disabled user's token is refused too
    assert PageClient(app.test_client()).sign_in(alice.email).status_code == 401


def test_a_user_sees_their_sessions_and_ends_one_on_the_page(app, people):
    alice = people.make(password=PASSWORD)
    laptop = signed_in(app, alice.email, agent="Firefox on the laptop")
    phone = signed_in(app, alice.email, ip="10.0.0.2", agent="Safari on the phone")
    bob = people.make(password=PASSWORD)
    signed_in(app, bob.email, agent="Bob's browser")
    page = laptop.get("/account/sessions")
    assert page.status_code == 200
    assert "Firefox on the laptop" in page.text and "Safari on the phone" in page.text and "10.0.0.2" in page.text
    assert "Bob&#39;s browser" not in page.text and "Bob's browser" not in page.text
    assert "this browser" in page.text.split("Firefox on the laptop")[1].split("</tr>")[0]
    assert 'href="/account/sessions"' in laptop.get("/bookings").text  # linked from the account menu
    phone_id = page.text.split("Safari on the phone")[1].split("/account/sessions/")[1].split("/end")[0]
    forged = laptop.post(f"/account/sessions/{phone_id}/end", data={})  # no CSRF token
    assert forged.status_code == 400 and is_signed_in(phone)
    ended = laptop.post_form(f"/account/sessions/{phone_id}/end", {}, page="/account/sessions")
    assert ended.status_code == 200 and "The session is ended." in ended.text
    assert "Safari on the phone" not in ended.text
    assert not is_signed_in(phone) and is_signed_in(laptop)
    again = laptop.post_form(f"/account/sessions/{phone_id}/end", {}, page="/account/sessions")
    assert again.status_code == 404


def test_sign_out_everywhere_else(app, people):
    alice = people.make(password=PASSWORD)
    here, there, elsewhere = (signed_in(app, alice.email, ip=f"10.0.0.{n}") for n in (1, 2, 3))
    done = here.post_form("/account/sessions/end-others", {}, page="/account/sessions")
    assert "2 other sessions ended." in done.text
    assert is_signed_in(here) and not is_signed_in(there) and not is_signed_in(elsewhere)


def test_sessions_in_the_api_list_and_end_only_ones_own(app, people):
    alice, bob = people.make(password=PASSWORD), people.make(password=PASSWORD)
    browser = signed_in(app, alice.email, agent="Firefox")
    phone = signed_in(app, alice.email, ip="10.0.0.2", agent="Safari")
    bobs = signed_in(app, bob.email)
    # the browser's own session calls the API: it is marked current
    listed = browser.client.get("/api/v1/account/sessions")
    assert listed.status_code == 200
    rows = {row["user_agent"]: row for row in listed.get_json()}
    assert set(rows) == {"Firefox", "Safari"}
    assert rows["Firefox"]["current"] is True and rows["Safari"]["current"] is False
    assert rows["Safari"]["ip"] == "10.0.0.2" and set(rows["Safari"]) == {
        "id", "created_at", "last_seen_at", "ip", "user_agent", "current"
    }  # fmt: skip
    bobs_id = bobs.client.get("/api/v1/account/sessions").get_json()[0]["id"]
    assert alice.delete(f"/account/sessions/{bobs_id}").status_code == 404  # not hers
    assert is_signed_in(bobs)
    # a cookie-authenticated write needs the CSRF token
    assert browser.client.delete(f"/api/v1/account/sessions/{rows['Safari']['id']}").status_code == 400
    assert alice.delete(f"/account/sessions/{rows['Safari']['id']}").status_code == 204  # with her token
    assert not is_signed_in(phone) and is_signed_in(browser)
    assert [row["user_agent"] for row in alice.get("/account/sessions").get_json()] == ["Firefox"]
    assert alice.delete(f"/account/sessions/{rows['Safari']['id']}").status_code == 404
    assert ApiClient(app.test_client()).get("/account/sessions").status_code == 401


def test_last_seen_is_written_at_most_once_a_minute(app, people):
    alice = people.make(password=PASSWORD)
    browser = signed_in(app, alice.email)
    started = clocks.now()

    def last_seen():
        return active_sessions(app, alice.email)[0].last_seen_at

    first = last_seen()
    assert abs((first - started).total_seconds()) < 5
    with clocks.travel(started + timedelta(seconds=30)):
        assert is_signed_in(browser)
        assert last_seen() == first
    with clocks.travel(started + timedelta(minutes=2)):
        assert is_signed_in(browser)
        assert last_seen() >= started + timedelta(minutes=2)


@SQLITE_ONLY
def test_the_sessions_page_speaks_swedish(app, people):
    alice = people.make(password=PASSWORD)
    browser = signed_in(app, alice.email)
    browser.post_form("/language", {"lang": "sv", "next": "/account/sessions"}, page="/account/sessions")
    page = browser.get("/account/sessions").text
    assert "Där du är inloggad" in page and "denna webbläsare" in page and ">Sessioner<" in page


def test_a_session_lapses_when_unused_for_two_weeks_and_after_thirty_days_in_any_case(app, people):
    alice = people.make(password=PASSWORD)
    idle, busy = signed_in(app, alice.email), signed_in(app, alice.email, ip="10.0.0.2")
    start = clocks.now()
    for days in (7, 14, 21, 28):  # busy is used every week, idle never
        with clocks.travel(start + timedelta(days=days)):
            assert is_signed_in(busy)
    with clocks.travel(start + timedelta(days=15)):
        assert not is_signed_in(idle)
    with clocks.travel(start + timedelta(days=29)):
        assert {s.ip for s in active_sessions(app, alice.email)} == {"127.0.0.1", "10.0.0.2"}  # rows not ended
        assert [row["ip"] for row in alice.get("/account/sessions").get_json()] == ["10.0.0.2"]  # but not listed
    with clocks.travel(start + timedelta(days=30, minutes=1)):
        assert not is_signed_in(busy)


def test_the_daily_job_deletes_sessions_ended_or_unused_for_ninety_days(app, people):
    from facility.accounts.jobs import JOBS

    prune, interval = JOBS["prune_sessions"]
    alice = people.make(password=PASSWORD)
    old = signed_in(app, alice.email)
    old.post_form("/sign-out", {}, page="/bookings")
    signed_in(app, alice.email, ip="10.0.0.2")
    start = clocks.now()
    with clocks.travel(start + timedelta(days=60)):
        recent = signed_in(app, alice.email, ip="10.0.0.3")
    with app.app_context():
        assert interval == 86400
        assert prune(start + timedelta(days=89)) == 0
        assert prune(start + timedelta(days=91)) == 2  # the ended one and the one unused since
        remaining = db.session.scalars(select(UserSession.ip).where(UserSession.user_id == user_id(alice.email)))
        assert list(remaining) == ["10.0.0.3"]
    with clocks.travel(start + timedelta(days=61)):
        assert is_signed_in(recent)
