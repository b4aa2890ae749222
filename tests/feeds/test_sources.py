"""Calendar sources: outside iCalendars become blackouts. The calendars are served over real
HTTP from 127.0.0.1 (good ones, and ones that are HTML, too large, dripping, failing or
redirecting to file:), and the manager's page is used over real HTTP like a browser would."""

from __future__ import annotations

import threading
import time as clock
from datetime import date, datetime, time, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from facility.accounts import services as accounts
from facility.audit.models import AuditEvent
from facility.bookings.models import Blackout
from facility.core.errors import ServiceError
from facility.core.extensions import db
from facility.feeds import sources
from facility.feeds.fetch import FetchError, fetch
from facility.feeds.jobs import refresh_calendar_sources
from facility.feeds.models import CalendarSource
from tests.support.clients import PASSWORD, PageClient
from tests.support.clock import STOCKHOLM, now, today
from tests.support.databases import SQLITE_ONLY
from tests.support.factory import local_slot
from tests.support.postgres import free_port

UTC = timezone.utc
PAGE = "/manage/calendar-sources"
LIMIT_BYTES = 64 * 1024
# Every fetch of these tests has this limit: long enough for a quick answer from 127.0.0.1 on a
# machine busy with the rest of the suite, short enough for the slow-server tests to wait it out.
TIMEOUT_SECONDS = 2


# --- calendars ---------------------------------------------------------------------------------


def ics(*events: str, extra: str = "") -> bytes:
    body = "".join(
        f"BEGIN:VEVENT\nUID:{n}@test\nDTSTAMP:20260101T000000Z\n{e.strip()}\nEND:VEVENT\n" for n, e in enumerate(events)
    )
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{extra}{body}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


def summer_time_ends(after: date) -> date:
    """The last Sunday of October after ``after``, when Stockholm's clocks go back an hour."""
    year = after.year if after < date(after.year, 10, 25) else after.year + 1
    last = date(year, 10, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), STOCKHOLM).astimezone(UTC)


def closures(today: date) -> bytes:
    """An all-day closure on the day summer time ends, a weekly cleaning across that change, an
    inspection in two weeks, a cancelled and a transparent event, and a floating-time one."""
    sunday = summer_time_ends(today)
    inspection = date.fromisoformat(local_slot(14, 10)[0][:10])
    return ics(
        f"DTSTART;VALUE=DATE:{sunday:%Y%m%d}\nSUMMARY:Closed: end of summer time",
        f"DTSTART;TZID=Europe/Stockholm:{sunday - timedelta(days=13):%Y%m%d}T080000\n"
        f"DTEND;TZID=Europe/Stockholm:{sunday - timedelta(days=13):%Y%m%d}T100000\n"
        "RRULE:FREQ=WEEKLY;COUNT=3\nSUMMARY:Cleaning campaign",
        f"DTSTART:{local(inspection, 10):%Y%m%dT%H%M%SZ}\nDTEND:{local(inspection, 12):%Y%m%dT%H%M%SZ}\n"
        "SUMMARY:Inspection",
        f"DTSTART;VALUE=DATE:{sunday - timedelta(days=1):%Y%m%d}\nSTATUS:CANCELLED\nSUMMARY:Called off",
        f"DTSTART;VALUE=DATE:{sunday + timedelta(days=7):%Y%m%d}\nTRANSP:TRANSPARENT\nSUMMARY:Public holiday",
        f"DTSTART:{sunday + timedelta(days=8):%Y%m%d}T120000\nDTEND:{sunday + timedelta(days=8):%Y%m%d}T130000\n"
        "SUMMARY:Floating lunch closure",
    )


def expected_closures(today: date) -> set[tuple[datetime, datetime, str]]:
    sunday = summer_time_ends(today)
    monday = sunday - timedelta(days=13)
    inspection = date.fromisoformat(local_slot(14, 10)[0][:10])
    return {
        (local(sunday, 0), local(sunday + timedelta(days=1), 0), "Closed: end of summer time"),
        *(
            (local(monday + timedelta(weeks=w), 8), local(monday + timedelta(weeks=w), 10), "Cleaning campaign")
            for w in range(3)
        ),
        (local(inspection, 10), local(inspection, 12), "Inspection"),
        (local(sunday + timedelta(days=7), 0), local(sunday + timedelta(days=8), 0), "Public holiday"),
        (local(sunday + timedelta(days=8), 12), local(sunday + timedelta(days=8), 13), "Floating lunch closure"),
    }


# --- the outside server ------------------------------------------------------------------------


class CalendarServer:
    """Serves ``bodies[path]`` as text/calendar on 127.0.0.1; the other paths misbehave."""

    def __init__(self):
        self.bodies: dict[str, bytes] = {}
        self.sent_by_huge = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                getattr(outer, "_" + self.path.strip("/").replace("-", "_"), outer._calendar)(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _calendar(self, h):
        body = self.bodies.get(h.path)
        if body is None:
            return self._reply(h, 404, b"not here", "text/plain")
        self._reply(h, 200, body, "text/calendar; charset=utf-8")

    def _html(self, h):
        self._reply(h, 200, b"<!doctype html><html><body>Holidays!</body></html>", "text/html")

    def _error(self, h):
        self._reply(h, 500, b"oops", "text/plain")

    def _to_file(self, h):
        h.send_response(302)
        h.send_header("Location", "file:///etc/passwd")
        h.end_headers()

    def _moved(self, h):
        h.send_response(301)
        h.send_header("Location", "/good.ics")
        h.end_headers()

    def _huge(self, h):
        """No Content-Length: only counting while reading can stop it."""
        h.send_response(200)
        h.send_header("Content-Type", "text/calendar")
        h.end_headers()
        line = b"X-FILLER:" + b"x" * 1000 + b"\r\n"
        try:
            h.wfile.write(b"BEGIN:VCALENDAR\r\n")
            while self.sent_by_huge < 64 * 1024 * 1024:
                h.wfile.write(line * 64)
                self.sent_by_huge += len(line) * 64
        except OSError:  # the client hung up, as it should
            pass

    def _drip(self, h):
        """A byte every 50 ms: never idle for a read timeout, but never done either."""
        h.send_response(200)
        h.send_header("Content-Type", "text/calendar")
        h.end_headers()
        try:
            for byte in b"BEGIN:VCALENDAR\r\n" + b"X" * 400:
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
                clock.sleep(0.05)
        except OSError:
            pass

    @staticmethod
    def _reply(h, status: int, body: bytes, content_type: str):
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)


@pytest.fixture
def calendars():
    server = CalendarServer()
    server.thread.start()
    server.bodies["/good.ics"] = closures(today())
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def limits(app):
    """Small limits keep the bad-source tests fast."""
    app.config.update(FACILITY_SOURCE_MAX_BYTES=LIMIT_BYTES, FACILITY_SOURCE_TIMEOUT_SECONDS=TIMEOUT_SECONDS)


def manager_browser(people, facilities=("lab",)) -> PageClient:
    manager = people.make("manager", facilities=list(facilities), password=PASSWORD)
    browser = people.visitor()
    assert browser.sign_in(manager.email).status_code == 302
    return browser


def source_form(url: str = "", **extra) -> dict:
    return {"target": "facility:lab", "name": "Closures", "url": url, "kind": "holiday", **extra}


def blackouts(app) -> set[tuple[datetime, datetime, str]]:
    with app.app_context():
        return {(b.start_at, b.end_at, b.reason) for b in db.session.scalars(select(Blackout))}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def make_manager(app, email="boss@example.org", facilities=("lab",)):
    with app.app_context():
        accounts.create_user(email, "Boss", "lu", "manager", facilities=list(facilities))
    return email


def as_user(email: str):
    return accounts.get_user_by_email(email)


# --- reading a calendar, without Flask -----------------------------------------------------------

WINDOW = (datetime(2026, 9, 1, tzinfo=UTC), datetime(2027, 10, 1, tzinfo=UTC))


def test_all_day_events_are_whole_local_days_even_when_the_clocks_change():
    events = sources.parse_events(
        ics("DTSTART;VALUE=DATE:20261025\nDTEND;VALUE=DATE:20261027\nSUMMARY:Closed"), STOCKHOLM, WINDOW
    )
    assert [(e.start, e.end) for e in events] == [
        (datetime(2026, 10, 24, 22, tzinfo=UTC), datetime(2026, 10, 26, 23, tzinfo=UTC))
    ]
    assert events[0].end - events[0].start == timedelta(hours=49)  # the Sunday has 25 hours


def test_text_a_database_cannot_store_is_dropped_or_replaced():
    body = ics("DTSTART;VALUE=DATE:20261025\nSUMMARY:Clo\x00sed \xff").replace(b"\xc3\xbf", b"\xed\xa0\x80")
    [event] = sources.parse_events(body, STOCKHOLM, WINDOW)
    assert event.summary == "Closed \ufffd\ufffd\ufffd"  # the NUL dropped, the undecodable bytes (a surrogate) replaced


def test_recurring_events_are_expanded_in_their_zone_and_times_are_converted_to_utc():
    events = sources.parse_events(
        ics(
            "DTSTART;TZID=Europe/Stockholm:20261019T080000\nDURATION:PT2H\nRRULE:FREQ=WEEKLY;COUNT=3\nSUMMARY:Clean",
            "DTSTART:20261102T120000Z\nDTEND:20261102T130000Z\nSUMMARY:In UTC",
            "DTSTART:20261103T120000\nDTEND:20261103T130000\nSUMMARY:Floating",
        ),
        STOCKHOLM,
        WINDOW,
    )
    assert [(e.start.isoformat(), e.summary) for e in events] == [
        ("2026-10-19T06:00:00+00:00", "Clean"),
        ("2026-10-26T07:00:00+00:00", "Clean"),
        ("2026-11-02T07:00:00+00:00", "Clean"),
        ("2026-11-02T12:00:00+00:00", "In UTC"),
        ("2026-11-03T11:00:00+00:00", "Floating"),
    ]


def test_cancelled_and_instant_events_are_skipped_but_transparent_ones_kept():
    events = sources.parse_events(
        ics(
            "DTSTART;VALUE=DATE:20261224\nSTATUS:CANCELLED\nSUMMARY:Not this year",
            "DTSTART:20261225T090000Z\nSUMMARY:A moment",
            "DTSTART;VALUE=DATE:20261226\nTRANSP:TRANSPARENT\nSUMMARY:Boxing day",
            "DTSTART;VALUE=DATE:20200101\nRRULE:FREQ=YEARLY\nEXDATE;VALUE=DATE:20270101\nSUMMARY:New year",
        ),
        STOCKHOLM,
        WINDOW,
    )
    assert [e.summary for e in events] == ["Boxing day"]  # 2027-01-01 excluded, 2028 is outside


@pytest.mark.parametrize(
    "body, code, words",
    [
        (b"<!doctype html><html><body>Holidays</body></html>", "not_icalendar", "(it is a web page)"),
        (b"", "not_icalendar", "should begin with BEGIN:VCALENDAR"),
        (ics("SUMMARY:no start"), "invalid_calendar", "an event has no DTSTART"),
        (ics("DTSTART:20261019T080000Z\nDURATION:PT1H\nRRULE:FREQ=SOMETIMES"), "invalid_calendar", "cannot be read"),
        (ics("DTSTART:20261019T080000Z\nDURATION:PT1S\nRRULE:FREQ=SECONDLY"), "too_many_events", "repeat too often"),
        (
            ics("DTSTART:20261001T080000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;BYHOUR=8,9,10,11,12,13,14,15,16,17"),
            "too_many_events",
            "more than 2000 events",
        ),
    ],
)
def test_unusable_calendars_are_refused_quickly_with_a_reason(body, code, words):
    started = clock.monotonic()
    with pytest.raises(sources.SourceProblem) as problem:
        sources.parse_events(body, STOCKHOLM, WINDOW, max_events=2000)
    assert problem.value.code == code and words in problem.value.message
    assert clock.monotonic() - started < 5


def test_a_yearly_holiday_since_1900_is_cheap_to_expand():
    calendar = ics("DTSTART;VALUE=DATE:19001225\nRRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25\nSUMMARY:Xmas")
    assert len(sources.parse_events(calendar, STOCKHOLM, WINDOW)) == 1


# --- fetching within limits --------------------------------------------------------------------


def test_fetch_follows_redirects_but_refuses_other_schemes(calendars):
    moved = fetch(calendars.url + "/moved", max_bytes=LIMIT_BYTES * 16, timeout=5, allow_private=True)
    assert moved == calendars.bodies["/good.ics"]
    for url in (
        "file:///etc/passwd",
        "ftp://127.0.0.1/x.ics",
        "javascript:alert(1)",
        "127.0.0.1/x.ics",
        calendars.url + "/to-file",
    ):
        with pytest.raises(FetchError) as refused:
            fetch(url, max_bytes=LIMIT_BYTES, timeout=5, allow_private=True)
        assert refused.value.code == "bad_url" and "http:// or https://" in refused.value.message


def test_fetch_stops_reading_at_the_size_limit_and_at_the_deadline(calendars):
    started = clock.monotonic()
    with pytest.raises(FetchError) as large:
        fetch(calendars.url + "/huge", max_bytes=LIMIT_BYTES, timeout=5, allow_private=True)
    assert large.value.code == "too_large" and "64 KiB" in large.value.message
    assert calendars.sent_by_huge < 16 * 1024 * 1024  # it hung up long before the end
    started = clock.monotonic()
    with pytest.raises(FetchError) as slow:
        fetch(calendars.url + "/drip", max_bytes=LIMIT_BYTES, timeout=TIMEOUT_SECONDS, allow_private=True)
    assert slow.value.code == "too_slow" and f"within {TIMEOUT_SECONDS:g} seconds" in slow.value.message
    assert clock.monotonic() - started < 3 * TIMEOUT_SECONDS


# --- the manager's page ------------------------------------------------------------------------


@SQLITE_ONLY
def test_a_manager_attaches_a_calendar_and_its_events_become_blackouts(app, people, calendars):
    alice = people.make()
    inspection = local_slot(14, 10, hours=2)
    booked = alice.post("/bookings", {"resource": "lab-bsc", "start": inspection[0], "end": inspection[1]})
    assert booked.status_code == 201, booked.text
    browser = manager_browser(people)

    added = browser.post_form(PAGE, source_form(calendars.url + "/good.ics"), follow_redirects=False)
    assert added.status_code == 302, added.text
    assert blackouts(app) == expected_closures(today())
    with app.app_context():
        made = list(db.session.scalars(select(Blackout)))
        assert {(b.kind, b.resource_id, b.facility.key) for b in made} == {("holiday", None, "lab")}
        source = db.session.scalar(select(CalendarSource))
        assert source.event_count == 7 and source.last_error == "" and source.last_success_at is not None
        assert (
            db.session.scalar(select(AuditEvent.action).where(AuditEvent.entity == "calendar_sources"))
            == "calendar_source.created"
        )

    page = browser.get(PAGE).text
    assert "“Closures” added: 7 events became blackouts." in page
    card = page.split(f'id="source-{source.id}"')[1].split("</li>\n")[0]
    assert calendars.url + "/good.ics" in card and '<dd class="event-count">7</dd>' in card
    colliding = card.split(f'id="source-{source.id}-colliding"')[1].split("</ul>")[0]
    assert "Biosafety cabinet" in colliding and "Test Scientist" in colliding
    refused = alice.post("/bookings", {"resource": "lab-bioreactor", "start": inspection[0], "end": inspection[1]})
    assert "blackout" in [e["code"] for e in refused.get_json()["errors"]]


@SQLITE_ONLY
def test_bad_sources_get_a_clear_error_on_the_page_and_nothing_is_stored(app, people, calendars, limits):
    browser = manager_browser(people)
    cases = {
        calendars.url + "/html": "This is not an iCalendar file (it is a web page)",
        calendars.url + "/huge": "larger than the limit of 64 KiB",
        calendars.url + "/drip": f"did not send the calendar within {TIMEOUT_SECONDS:g} seconds",
        calendars.url + "/error": "answered “500 Internal Server Error” instead of the calendar",
        calendars.url + "/missing.ics": "answered “404 Not Found”",
        f"http://127.0.0.1:{free_port()}/x.ics": "the connection was refused",
        "file:///etc/passwd": "Give an http:// or https:// address (this one starts with “file:”).",
        calendars.url + "/to-file": "Give an http:// or https:// address",
    }
    for url, message in cases.items():
        response = browser.post_form(PAGE, source_form(url))
        assert response.status_code == 422, url
        assert message in response.text, url
        assert f'value="{url}"' in response.text  # what was typed is kept
    nameless = browser.post_form(PAGE, source_form(calendars.url + "/good.ics", name=" "))
    assert nameless.status_code == 422 and "Name the calendar" in nameless.text
    neither = browser.post_form(PAGE, source_form(""))
    assert neither.status_code == 422 and "Give the calendar&#39;s URL or upload an .ics file." in neither.text
    too_big = browser.post_form(PAGE, source_form(""), files={"upload": ("big.ics", b"B" * (LIMIT_BYTES + 1))})
    assert too_big.status_code == 422 and "The file is larger than the limit of 64 KiB." in too_big.text
    assert count(app, CalendarSource) == 0 and count(app, Blackout) == 0


@SQLITE_ONLY
def test_a_broken_refresh_keeps_the_blackouts_and_the_page_says_why(app, people, calendars, limits):
    browser = manager_browser(people)
    browser.post_form(PAGE, source_form(calendars.url + "/good.ics"))
    before = blackouts(app)
    with app.app_context():
        source_id = db.session.scalar(select(CalendarSource.id))

    calendars.bodies["/good.ics"] = b"<html>We moved our calendar</html>"
    failed = browser.post_form(f"{PAGE}/{source_id}/refresh", {}, page=PAGE)
    assert failed.status_code == 422
    assert "“Closures” could not be refreshed: This is not an iCalendar file (it is a web page)" in failed.text
    alert = failed.text.split(f'id="source-{source_id}-error"')[1].split("</div>")[0]
    assert "This is not an iCalendar file" in alert
    assert blackouts(app) == before
    with app.app_context():
        assert sources.refresh_all_sources() == 0
        assert db.session.get(CalendarSource, source_id).event_count == 7

    calendars.bodies["/good.ics"] = ics(
        "DTSTART;VALUE=DATE:" + f"{today() + timedelta(days=40):%Y%m%d}\nSUMMARY:Only this one"
    )
    with app.app_context():
        assert refresh_calendar_sources(now()) == 1  # the scheduled job
        refreshed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "calendar_source.refreshed")).one()
        assert refreshed.actor_id is None and refreshed.after["events"] == 1
    assert [reason for _start, _end, reason in blackouts(app)] == ["Only this one"]
    page = browser.get(PAGE).text
    assert f'id="source-{source_id}-error"' not in page and '<dd class="event-count">1</dd>' in page


@SQLITE_ONLY
def test_an_uploaded_file_becomes_blackouts_and_the_job_leaves_it_alone(app, people, calendars):
    browser = manager_browser(people)
    day = today() + timedelta(days=20)
    upload = ics(f"DTSTART;VALUE=DATE:{day:%Y%m%d}\nSUMMARY:Staff day")
    added = browser.post_form(
        PAGE,
        {**source_form(""), "target": "resource:lab-bioreactor", "kind": "other"},
        files={"upload": ("closures.ics", upload, "text/calendar")},
        follow_redirects=False,
    )
    assert added.status_code == 302, added.text
    assert blackouts(app) == {(local(day, 0), local(day + timedelta(days=1), 0), "Staff day")}
    with app.app_context():
        blackout = db.session.scalar(select(Blackout))
        assert (blackout.kind, blackout.resource.key) == ("other", "lab-bioreactor")
        assert sources.refresh_all_sources() == 0
    assert "an uploaded file" in browser.get(PAGE).text


@SQLITE_ONLY
def test_removing_a_source_removes_its_blackouts_only(app, people, calendars):
    browser = manager_browser(people)
    day = local_slot(30, 8)[0][:10]
    manual = browser.post_form(
        "/manage/blackouts",
        {
            "target": "facility:lab",
            "start_date": day,
            "start_time": "08:00",
            "end_date": day,
            "end_time": "18:00",
            "kind": "maintenance",
            "reason": "annual service",
        },
    )
    assert manual.status_code == 201
    browser.post_form(PAGE, source_form(calendars.url + "/good.ics"))
    with app.app_context():
        source_id = db.session.scalar(select(CalendarSource.id))
    removed = browser.post_form(f"{PAGE}/{source_id}/delete", {}, page=PAGE)
    assert removed.status_code == 200 and "“Closures” removed, with its 7 blackouts." in removed.text
    assert [reason for _s, _e, reason in blackouts(app)] == ["annual service"]
    assert count(app, CalendarSource) == 0
    with app.app_context():
        deleted = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "calendar_source.deleted")).one()
        assert deleted.before["name"] == "Closures" and deleted.before["events"] == 7


@SQLITE_ONLY
def test_only_managers_of_the_facility_may_use_sources(app, people, calendars):
    alice = people.make(password=PASSWORD)
    scientist = people.visitor()
    scientist.sign_in(alice.email)
    assert scientist.get(PAGE).status_code == 403
    anonymous = people.visitor().get(PAGE, follow_redirects=False)
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]

    gmp = manager_browser(people, facilities=("gmp",))
    assert (
        gmp.post_form(
            PAGE, {**source_form(calendars.url + "/good.ics"), "target": "facility:gmp"}, follow_redirects=False
        ).status_code
        == 302
    )
    with app.app_context():
        source_id = db.session.scalar(select(CalendarSource.id))
    lab = manager_browser(people)
    assert 'id="source-' not in lab.get(PAGE).text  # another facility's sources are not listed
    assert lab.post_form(PAGE, source_form(calendars.url + "/good.ics", target="facility:gmp")).status_code == 403
    for action in ("refresh", "delete"):
        assert lab.post_form(f"{PAGE}/{source_id}/{action}", {}, page=PAGE).status_code == 403
        assert scientist.post(f"{PAGE}/{source_id}/{action}").status_code == 400
    assert lab.post_form(f"{PAGE}/999/refresh", {}, page=PAGE).status_code == 404
    assert count(app, CalendarSource) == 1 and len(blackouts(app)) == 7


# --- the service, on SQLite and PostgreSQL -------------------------------------------------------


@pytest.mark.any_date
def test_a_refresh_replaces_the_blackouts_all_at_once_or_not_at_all(app, calendars, limits, monkeypatch):
    boss = make_manager(app)
    with app.app_context():
        source = sources.add_source(
            as_user(boss), "lab", name="Closures", url=calendars.url + "/good.ics", resource_key="lab-bsc"
        )
        source_id = source.id
    first = blackouts(app)
    assert first == expected_closures(today())

    calendars.bodies["/good.ics"] = ics(f"DTSTART;VALUE=DATE:{today() + timedelta(days=3):%Y%m%d}\nSUMMARY:Changed")

    def fail_after_the_inserts(*args, **kwargs):
        db.session.flush()  # the new blackouts have reached the database
        raise RuntimeError("the lights went out")

    monkeypatch.setattr(sources.audit, "record", fail_after_the_inserts)
    with app.app_context(), pytest.raises(RuntimeError):
        sources.refresh_source(source_id)
    monkeypatch.undo()
    assert blackouts(app) == first

    calendars.bodies["/good.ics"] = b"not a calendar"
    with app.app_context(), pytest.raises(ServiceError) as failed:
        sources.refresh_source(source_id)
    assert failed.value.status == 422 and failed.value.violations[0].code == "not_icalendar"
    assert blackouts(app) == first
    with app.app_context():
        assert db.session.get(CalendarSource, source_id).last_error.startswith("This is not an iCalendar file")

    calendars.bodies["/good.ics"] = ics(f"DTSTART;VALUE=DATE:{today() + timedelta(days=3):%Y%m%d}\nSUMMARY:Changed")
    with app.app_context():
        sources.refresh_source(source_id)
        after = list(db.session.scalars(select(Blackout)))
        assert [(b.reason, b.resource.key, b.source_id) for b in after] == [("Changed", "lab-bsc", source_id)]
        assert db.session.get(CalendarSource, source_id).last_error == ""


def test_refresh_all_sources_counts_the_url_sources_it_refreshed(app, calendars, limits):
    boss = make_manager(app, facilities=("lab", "gmp"))
    calendars.bodies["/other.ics"] = ics(f"DTSTART;VALUE=DATE:{today() + timedelta(days=5):%Y%m%d}\nSUMMARY:Holiday")
    with app.app_context():
        actor = as_user(boss)
        sources.add_source(actor, "lab", name="A", url=calendars.url + "/good.ics")
        sources.add_source(actor, "gmp", name="B", url=calendars.url + "/other.ics")
        sources.add_source(actor, "gmp", name="C", upload=calendars.bodies["/other.ics"])
        broken = sources.add_source(actor, "lab", name="D", url=calendars.url + "/other.ics")
        broken.url = calendars.url + "/error"
        db.session.commit()
        assert sources.refresh_all_sources() == 2
        assert sorted(s.name for s in sources.list_sources(actor)) == ["A", "B", "C", "D"]
        assert "500" in db.session.get(CalendarSource, broken.id).last_error


def test_adding_a_source_checks_its_target_and_fields(app, calendars):
    boss = make_manager(app)
    url = calendars.url + "/good.ics"
    with app.app_context():
        actor = as_user(boss)
        attempts = [
            (dict(facility_key="gmp", name="x", url=url), 403, "forbidden"),
            (dict(facility_key="nowhere", name="x", url=url), 404, "not_found"),
            (dict(facility_key="lab", name="x", url=url, resource_key="gmp-suite"), 422, "invalid"),
            (dict(facility_key="lab", name="x", url=url, kind="party"), 422, "invalid"),
            (dict(facility_key="lab", name="x", url=url, upload=b"BEGIN:VCALENDAR"), 422, "invalid"),
            (dict(facility_key="lab", name="x", url="ftp://example.org/x.ics"), 422, "bad_url"),
        ]
        for arguments, status, code in attempts:
            facility_key = arguments.pop("facility_key")
            with pytest.raises(ServiceError) as error:
                sources.add_source(actor, facility_key, **arguments)
            assert (error.value.status, error.value.violations[0].code) == (status, code), arguments
        assert count(app, CalendarSource) == 0
