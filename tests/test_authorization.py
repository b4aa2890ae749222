"""Who may reach what, and who sees whom: every API route of the OpenAPI document and every
page route of the app, for six roles, against the table below.

The world (built once for the module, copied for each test): two facilities, ``lab`` (X) and
``gmp`` (Y); four scientists, Alvaro and his colleague Agneta (organisation A, ``lu``),
Birgitta (organisation B, ``cellco``) and Casimir (a CRO), with bookings and usage; a manager
of X, a manager of Y and an administrator (all of a hospital). Agneta and Casimir have no role
of their own: Casimir is the stranger of both scientists and of the manager of X.

The privacy rule (core.access.may_see_details): outside their own organisation and outside
the facilities they manage, a person sees that time is taken, never who or why (and facility
shows colleagues no more than strangers: details are for the owner, the facility's managers
and the administrators). So every response to a role is searched for the names, e-mail
addresses and purposes of the people whose details that role may not see (``MAY_SEE``), and
for the name of a project its organisation does not take part in.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from facility.accounts import services as accounts
from facility.accounts import sessions
from facility.bookings.models import Booking, BookingBundle, BookingSeries
from facility.bookings.services import add_blackout
from facility.core.access import may_see_details
from facility.core.extensions import db
from facility.usage import projects
from tests.support import clock as clocks
from tests.support.clients import PASSWORD, ApiClient, PageClient, csrf_token
from tests.support.databases import SQLITE_ONLY, make_app
from tests.support.factory import add_booking, add_usage, local, local_slot

ROLES = ("anonymous", "scientist_a", "scientist_b", "manager_x", "manager_y", "admin")

# --- the people and what each role may see of them ----------------------------------------

PEOPLE = {
    # role or person: (e-mail, name, organisation, role, facilities, purpose of their booking)
    "scientist_a": ("alvaro@lu.example", "Alvaro Zetterlund", "lu", "scientist", (), "purpose-alvaro-culture"),
    "scientist_b": ("birgitta@cellco.example", "Birgitta Yxhult", "cellco", "scientist", (), "purpose-birgitta-run"),
    "casimir": ("casimir@cro.example", "Casimir Quistgaard", "cro", "scientist", (), "purpose-casimir-fill"),
    "colleague_a": ("agneta@lu.example", "Agneta Wahlgren", "lu", "scientist", (), "purpose-agneta-assay"),
    "manager_x": ("mx@hospital.example", "Manager Lab", "hospital", "manager", ("lab",), ""),
    "manager_y": ("my@hospital.example", "Manager Gmp", "hospital", "manager", ("gmp",), ""),
    "admin": ("root@hospital.example", "Admin Person", "hospital", "admin", (), ""),
}
PROJECT_OF_A = "Lumen Hidden Programme"  # a project only organisation A takes part in

# Alvaro, his colleague Agneta and Birgitta book in the lab (X), Casimir in the GMP unit (Y).
# Colleagues see no more of each other than strangers do (core.access.may_see_details), but
# a scientist sees the projects of their organisation.
MAY_SEE = {
    "anonymous": set(),
    "scientist_a": {"scientist_a", "project_a"},
    "scientist_b": {"scientist_b"},
    "manager_x": {"scientist_a", "colleague_a", "scientist_b", "project_a"},
    "manager_y": {"casimir", "project_a"},
    "admin": {"scientist_a", "colleague_a", "scientist_b", "casimir", "project_a"},
}
SUBJECTS = ("scientist_a", "colleague_a", "scientist_b", "casimir", "project_a")


def secrets_of(subject: str) -> list[str]:
    if subject == "project_a":
        return [PROJECT_OF_A]
    email, name, *_rest, purpose = PEOPLE[subject]
    return [email, *name.split(), purpose]


def hidden_from(role: str) -> list[str]:
    return [s for subject in SUBJECTS if subject not in MAY_SEE[role] for s in secrets_of(subject)]


# --- outcome classes -------------------------------------------------------------------------

OK = "200"  # 2xx
MOVED = "3xx"  # sent on elsewhere (not to the sign-in page)
RULE = "422"  # past the permission check, refused by a rule or a state (409 or 422)
AUTH = "401"  # the API: not signed in
LOGIN = "login"  # a page: not signed in, sent to the sign-in page
DENY = "403"
HIDDEN = "404"
SKIP = "-"  # not asked (a write that this role may do: the suites of the domains test it)


def outcome(status: int, location: str = "") -> str:
    if status == 401:
        return AUTH
    if status in (302, 303):
        return LOGIN if "/sign-in" in location else MOVED
    if 200 <= status < 300:
        return OK
    if status in (409, 422):
        return RULE
    return str(status)


def row(anonymous, scientist_a, scientist_b, manager_x, manager_y, admin) -> dict[str, str]:
    return dict(zip(ROLES, (anonymous, scientist_a, scientist_b, manager_x, manager_y, admin)))


EVERYONE = row(AUTH, OK, OK, OK, OK, OK)
MANAGERS = row(AUTH, DENY, DENY, OK, OK, OK)
MANAGERS_OF_X = row(AUTH, DENY, DENY, OK, DENY, OK)
ADMIN = row(AUTH, DENY, DENY, DENY, DENY, OK)
# Alvaro's booking in the lab: its owner, the lab's manager and the administrator see it.
A_BOOKING = row(AUTH, OK, HIDDEN, OK, HIDDEN, OK)
A_BOOKING_ACT = row(AUTH, RULE, HIDDEN, RULE, HIDDEN, RULE)  # acting on it: a state or a rule refuses
A_BOOKING_DECIDE = row(AUTH, DENY, HIDDEN, RULE, HIDDEN, RULE)  # the owner sees it but cannot decide
A_FEED = row(AUTH, OK, HIDDEN, HIDDEN, HIDDEN, HIDDEN)  # a feed is its owner's alone
A_SESSION = row(AUTH, OK, HIDDEN, HIDDEN, HIDDEN, HIDDEN)  # so is a session, even to an administrator

# (method, OpenAPI path): expected outcome per role. A route missing here fails the test.
API = {
    ("GET", "/api/v1/facilities"): EVERYONE,
    ("GET", "/api/v1/resources"): EVERYONE,
    ("GET", "/api/v1/resources/{key}"): EVERYONE,
    ("GET", "/api/v1/resources/{key}/availability"): EVERYONE,
    ("GET", "/api/v1/calendar"): EVERYONE,  # others' bookings only as "Booked" (searched for names below)
    ("GET", "/api/v1/bookings"): EVERYONE,
    ("POST", "/api/v1/bookings"): row(AUTH, RULE, RULE, RULE, RULE, RULE),  # in the past
    ("GET", "/api/v1/bookings/{booking_id}"): A_BOOKING,
    ("PATCH", "/api/v1/bookings/{booking_id}"): A_BOOKING_ACT,  # to the past
    ("POST", "/api/v1/bookings/{booking_id}/approve"): A_BOOKING_DECIDE,  # already confirmed
    ("POST", "/api/v1/bookings/{booking_id}/reject"): A_BOOKING_DECIDE,
    ("POST", "/api/v1/bookings/{booking_id}/cancel"): A_BOOKING_ACT,  # already cancelled
    ("POST", "/api/v1/bookings/{booking_id}/check-in"): A_BOOKING_ACT,
    ("POST", "/api/v1/bookings/{booking_id}/check-out"): A_BOOKING_ACT,
    # Alvaro's (cancelled) bundle of the lab's cabinet and bioreactor: as his bookings
    ("POST", "/api/v1/bundles"): row(AUTH, RULE, RULE, RULE, RULE, RULE),  # in the past
    ("GET", "/api/v1/bundles/{bundle_id}"): A_BOOKING,
    ("PATCH", "/api/v1/bundles/{bundle_id}"): A_BOOKING_ACT,  # already cancelled
    ("POST", "/api/v1/bundles/{bundle_id}/approve"): A_BOOKING_DECIDE,  # already cancelled
    ("POST", "/api/v1/bundles/{bundle_id}/reject"): A_BOOKING_DECIDE,
    ("POST", "/api/v1/bundles/{bundle_id}/cancel"): A_BOOKING_ACT,
    ("GET", "/api/v1/calendar-feeds"): EVERYONE,
    ("POST", "/api/v1/calendar-feeds"): EVERYONE,
    ("DELETE", "/api/v1/calendar-feeds/{feed_id}"): A_FEED,
    ("POST", "/api/v1/calendar-feeds/{feed_id}/regenerate"): A_FEED,
    ("GET", "/api/v1/usage"): MANAGERS_OF_X,
    ("POST", "/api/v1/usage"): row(AUTH, DENY, DENY, SKIP, DENY, SKIP),
    ("GET", "/api/v1/reports/monthly"): MANAGERS_OF_X,
    ("GET", "/api/v1/indicators"): ADMIN,
    ("GET", "/api/v1/indicators/{name}"): ADMIN,
    ("GET", "/api/v1/indicators/table"): ADMIN,
    ("GET", "/api/v1/indicator-register"): ADMIN,
    ("POST", "/api/v1/indicator-register"): ADMIN,  # Lund University as a partner
    ("POST", "/api/v1/indicator-register/{entry_id}/withdraw"): row(AUTH, DENY, DENY, DENY, DENY, HIDDEN),  # none yet
    ("GET", "/api/v1/organisations"): ADMIN,
    ("PATCH", "/api/v1/organisations/{key}"): ADMIN,  # CellCo's organisation number
    ("POST", "/api/v1/organisations/{key}/size-classes"): ADMIN,
    ("GET", "/api/v1/projects"): EVERYONE,
    ("POST", "/api/v1/projects"): row(AUTH, DENY, DENY, SKIP, SKIP, SKIP),
    ("GET", "/api/v1/state-aid"): MANAGERS,
    ("GET", "/api/v1/state-aid/organisations/{key}/statement"): MANAGERS,
    ("GET", "/api/v1/account/sessions"): EVERYONE,  # one's own sessions
    ("DELETE", "/api/v1/account/sessions/{session_id}"): A_SESSION,
    ("GET", "/api/v1/audit-events"): MANAGERS,  # of the facilities one manages
    # the GMP records: a logbook is for the managers of its facility; whether a room is released, for all
    ("GET", "/api/v1/resources/{key}/logbook"): MANAGERS_OF_X,
    ("POST", "/api/v1/resources/{key}/logbook"): row(AUTH, DENY, DENY, SKIP, DENY, SKIP),
    ("GET", "/api/v1/resources/{key}/cleaning"): EVERYONE,
    ("GET", "/api/v1/resources/{key}/batches"): MANAGERS_OF_X,
    ("GET", "/api/v1/resources/{key}/plans"): MANAGERS_OF_X,
    ("GET", "/api/v1/bookings/{booking_id}/people"): A_BOOKING,
    ("POST", "/api/v1/bookings/{booking_id}/people"): row(AUTH, SKIP, HIDDEN, SKIP, HIDDEN, SKIP),
    ("POST", "/api/v1/room-entries/{entry_id}/leave"): row(AUTH, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),  # no such
    # the GMP unit's managers (and the administrator) withdraw its gowning; the lab's manager may not
    ("POST", "/api/v1/qualification-withdrawals"): row(AUTH, DENY, DENY, DENY, RULE, RULE),  # not held
    ("GET", "/api/v1/cleaning"): MANAGERS,  # of the facilities one manages
    ("GET", "/api/v1/blackouts"): MANAGERS,  # of the facilities one manages
    ("GET", "/api/v1/waitlist"): EVERYONE,  # one's own entries (managers ask ?facility= for everyone's)
    ("POST", "/api/v1/waitlist"): row(AUTH, RULE, RULE, RULE, RULE, RULE),  # a slot in the past
    ("POST", "/api/v1/waitlist/{entry_id}/accept"): row(AUTH, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),  # no such
    ("POST", "/api/v1/waitlist/{entry_id}/decline"): row(AUTH, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("POST", "/api/v1/waitlist/{entry_id}/withdraw"): row(AUTH, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("PATCH", "/api/v1/blackouts/{blackout_id}"): row(AUTH, HIDDEN, HIDDEN, RULE, HIDDEN, RULE),  # the lab's; end first
    ("DELETE", "/api/v1/blackouts/{blackout_id}"): row(AUTH, HIDDEN, HIDDEN, SKIP, HIDDEN, SKIP),
    # recurring series: Alvaro's, whose one occurrence is cancelled already (nothing left to act on)
    ("POST", "/api/v1/series"): row(AUTH, RULE, RULE, RULE, RULE, RULE),  # in the past
    ("POST", "/api/v1/series/preview"): EVERYONE,  # writes nothing: each occurrence with its rules broken
    ("GET", "/api/v1/series/{series_id}"): A_BOOKING,
    ("POST", "/api/v1/series/{series_id}/cancel"): A_BOOKING_ACT,
    ("POST", "/api/v1/series/{series_id}/move"): A_BOOKING_ACT,
    ("POST", "/api/v1/series/{series_id}/approve"): A_BOOKING_DECIDE,  # nothing pending
    ("POST", "/api/v1/series/{series_id}/reject"): A_BOOKING_DECIDE,
}

P_EVERYONE = row(LOGIN, OK, OK, OK, OK, OK)
P_MANAGERS = row(LOGIN, DENY, DENY, OK, OK, OK)
P_MANAGERS_OF_X = row(LOGIN, DENY, DENY, OK, DENY, OK)
P_ADMIN = row(LOGIN, DENY, DENY, DENY, DENY, OK)
P_A_BOOKING = row(LOGIN, OK, HIDDEN, OK, HIDDEN, OK)
PUBLIC = row(OK, OK, OK, OK, OK, OK)

# (method, page rule): expected outcome per role. GET for every page; POST where a role
# without permission tries it (with a valid CSRF token), SKIP for those who may.
PAGES = {
    ("GET", "/"): P_EVERYONE,  # the start page of each role
    ("GET", "/sign-in"): row(OK, MOVED, MOVED, MOVED, MOVED, MOVED),  # signed in already: on to the start page
    ("GET", "/static/<path:filename>"): PUBLIC,
    ("GET", "/calendar/<secret>.ics"): row(HIDDEN, OK, OK, OK, OK, OK),  # each role's own lab feed
    ("GET", "/account/calendar-feeds"): P_EVERYONE,
    ("GET", "/account/password"): P_EVERYONE,
    ("GET", "/account/tokens"): P_EVERYONE,
    ("GET", "/account/sessions"): P_EVERYONE,
    ("GET", "/account/two-factor"): row(LOGIN, DENY, DENY, OK, OK, OK),  # for managers and administrators
    ("GET", "/sign-in/code"): row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),  # no password step pending: back to it
    ("GET", "/manage/audit"): P_MANAGERS,
    ("GET", "/waitlist"): P_EVERYONE,
    ("GET", "/manage/waitlist"): P_MANAGERS,
    ("POST", "/waitlist/<int:entry_id>/accept"): row(LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),  # no such
    ("POST", "/waitlist/<int:entry_id>/decline"): row(LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("POST", "/waitlist/<int:entry_id>/withdraw"): row(LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("GET", "/book"): P_EVERYONE,
    ("GET", "/bookings"): P_EVERYONE,
    ("GET", "/catalogue"): P_EVERYONE,
    ("GET", "/display/<resource_key>"): P_EVERYONE,
    ("GET", "/facilities/<key>/day"): P_EVERYONE,
    ("GET", "/resources/<key>/week"): P_EVERYONE,
    ("GET", "/projects"): P_EVERYONE,
    ("GET", "/projects/<int:project_id>"): row(LOGIN, OK, HIDDEN, OK, OK, OK),
    ("GET", "/bookings/<int:booking_id>"): P_A_BOOKING,
    ("GET", "/bookings/<int:booking_id>.ics"): P_A_BOOKING,
    ("GET", "/bookings/<int:booking_id>/edit"): P_A_BOOKING,
    ("GET", "/bookings/<int:booking_id>/cancel"): P_A_BOOKING,  # the confirmation step
    ("GET", "/series/<int:series_id>"): P_A_BOOKING,
    ("GET", "/bundles/book"): P_EVERYONE,
    ("GET", "/bundles/<int:bundle_id>"): P_A_BOOKING,
    ("GET", "/manage/approvals"): P_MANAGERS,
    # Casimir's request in the GMP unit (Y)
    ("GET", "/manage/approvals/<int:booking_id>"): row(LOGIN, DENY, DENY, HIDDEN, OK, OK),
    ("GET", "/manage/blackouts"): P_MANAGERS,
    ("GET", "/manage/blackouts/<int:blackout_id>/edit"): row(LOGIN, DENY, DENY, OK, HIDDEN, OK),  # the lab's
    ("GET", "/manage/calendar-sources"): P_MANAGERS,
    ("GET", "/manage/qualifications"): P_MANAGERS,
    ("GET", "/manage/reports"): P_MANAGERS_OF_X,  # ?facility=lab, like the API
    ("GET", "/manage/resources"): P_MANAGERS,
    ("GET", "/manage/state-aid"): P_MANAGERS,
    ("GET", "/manage/usage"): P_MANAGERS_OF_X,  # ?facility=lab, like the API
    ("GET", "/manage/cleaning"): P_MANAGERS,
    ("GET", "/manage/gowning"): P_MANAGERS,
    ("GET", "/bookings/<int:booking_id>/people"): P_A_BOOKING,
    ("GET", "/manage/logbook/<resource_key>"): P_MANAGERS_OF_X,
    ("GET", "/manage/logbook/<resource_key>.csv"): P_MANAGERS_OF_X,
    ("GET", "/manage/logbook/<resource_key>.pdf"): P_MANAGERS_OF_X,
    ("GET", "/manage/logbook/<resource_key>/batches"): P_MANAGERS_OF_X,
    ("GET", "/manage/logbook/<resource_key>/batches.csv"): P_MANAGERS_OF_X,
    ("GET", "/admin"): P_ADMIN,
    ("GET", "/admin/indicators"): P_ADMIN,
    ("GET", "/admin/indicators.csv"): P_ADMIN,
    ("GET", "/admin/indicators/<name>"): P_ADMIN,
    ("GET", "/admin/indicators/<name>.csv"): P_ADMIN,
    ("GET", "/admin/indicators.xlsx"): P_ADMIN,
    ("GET", "/admin/indicator-register"): P_ADMIN,
    ("GET", "/admin/users/<int:user_id>"): P_ADMIN,
    # writes by those who may not
    ("POST", "/admin/organisations"): row(LOGIN, DENY, DENY, DENY, DENY, SKIP),
    ("POST", "/admin/indicator-register"): row(LOGIN, DENY, DENY, DENY, DENY, SKIP),
    ("POST", "/admin/organisation-numbers"): row(LOGIN, DENY, DENY, DENY, DENY, SKIP),
    ("POST", "/admin/organisation-sizes"): row(LOGIN, DENY, DENY, DENY, DENY, SKIP),
    ("POST", "/admin/indicator-register/<int:entry_id>/withdraw"): row(LOGIN, DENY, DENY, DENY, DENY, SKIP),
    ("POST", "/admin/users"): row(LOGIN, DENY, DENY, DENY, DENY, SKIP),
    ("POST", "/admin/users/<int:user_id>"): row(LOGIN, DENY, DENY, DENY, DENY, SKIP),
    ("POST", "/manage/approvals/<int:booking_id>"): row(LOGIN, DENY, DENY, HIDDEN, SKIP, SKIP),
    ("POST", "/manage/blackouts"): row(LOGIN, DENY, DENY, SKIP, SKIP, SKIP),
    ("POST", "/manage/calendar-sources"): row(LOGIN, DENY, DENY, SKIP, SKIP, SKIP),
    ("POST", "/manage/calendar-sources/<int:source_id>/delete"): row(LOGIN, DENY, DENY, SKIP, SKIP, SKIP),
    ("POST", "/manage/calendar-sources/<int:source_id>/refresh"): row(LOGIN, DENY, DENY, SKIP, SKIP, SKIP),
    ("POST", "/manage/qualifications"): row(LOGIN, DENY, DENY, SKIP, SKIP, SKIP),
    ("POST", "/manage/resources/<key>/status"): row(LOGIN, DENY, DENY, SKIP, DENY, SKIP),
    ("POST", "/manage/usage"): row(LOGIN, DENY, DENY, SKIP, SKIP, SKIP),
    ("POST", "/manage/logbook/<resource_key>"): row(LOGIN, DENY, DENY, SKIP, DENY, SKIP),
    ("POST", "/manage/gowning"): row(LOGIN, DENY, DENY, RULE, RULE, RULE),  # an empty form
    ("POST", "/bookings/<int:booking_id>/people"): row(LOGIN, SKIP, HIDDEN, SKIP, HIDDEN, SKIP),
    ("POST", "/room-entries/<int:entry_id>/leave"): row(LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),  # no such
    ("POST", "/manage/logbook/<resource_key>/plans/<plan_key>/blackout"): row(LOGIN, DENY, DENY, SKIP, DENY, SKIP),
    ("POST", "/bookings/<int:booking_id>/cancel"): row(LOGIN, SKIP, HIDDEN, SKIP, HIDDEN, SKIP),
    ("POST", "/series/<int:series_id>/cancel"): row(LOGIN, SKIP, HIDDEN, SKIP, HIDDEN, SKIP),
    ("POST", "/series/<int:series_id>/move"): row(LOGIN, RULE, HIDDEN, RULE, HIDDEN, RULE),  # no shift given
    ("POST", "/series/<int:series_id>/decide"): row(LOGIN, DENY, HIDDEN, RULE, HIDDEN, RULE),  # nothing pending
    ("POST", "/manage/blackouts/<int:blackout_id>/notify"): row(LOGIN, DENY, DENY, SKIP, HIDDEN, SKIP),
    ("POST", "/manage/blackouts/<int:blackout_id>/edit"): row(LOGIN, DENY, DENY, SKIP, HIDDEN, SKIP),
    ("POST", "/manage/blackouts/<int:blackout_id>/remove"): row(LOGIN, DENY, DENY, SKIP, HIDDEN, SKIP),
    ("POST", "/bookings/<int:booking_id>/check-in"): row(LOGIN, SKIP, HIDDEN, SKIP, HIDDEN, SKIP),
    ("POST", "/bookings/<int:booking_id>/check-out"): row(LOGIN, SKIP, HIDDEN, SKIP, HIDDEN, SKIP),
    ("POST", "/bookings/<int:booking_id>/edit"): row(LOGIN, SKIP, HIDDEN, SKIP, HIDDEN, SKIP),
    ("POST", "/account/calendar-feeds/<int:feed_id>/regenerate"): row(LOGIN, SKIP, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("POST", "/account/calendar-feeds/<int:feed_id>/revoke"): row(LOGIN, SKIP, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("POST", "/account/tokens/<int:token_id>/revoke"): row(LOGIN, SKIP, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("POST", "/account/sessions/<int:session_id>/end"): row(LOGIN, SKIP, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("POST", "/account/two-factor"): row(LOGIN, DENY, DENY, SKIP, SKIP, SKIP),
    # anyone may turn off a second factor they hold (a manager who became a scientist too): a code is needed
    ("POST", "/account/two-factor/disable"): row(LOGIN, RULE, RULE, SKIP, SKIP, SKIP),
}
# Writes every signed-in user may make for themselves, and the sign-in itself: nothing to refuse.
OWN_WRITES = {
    "/sign-in",
    "/sign-out",
    "/language",
    "/book",
    "/bundles/book",
    "/account/password",
    "/account/tokens",
    "/account/calendar-feeds",
    "/account/sessions/end-others",
    "/sign-in/code",
    "/waitlist",
}


# --- the world ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(sqlite_template, tmp_path_factory):
    """The database file and the keys and secrets the requests need, made once."""
    path = tmp_path_factory.mktemp("authorization") / "world.sqlite3"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}")
    keys: dict = {"tokens": {}}
    with clocks.travel(clocks.DEFAULT_INSTANT), app.app_context():
        accounts.create_organisation("cro", "Cro Research Partner", "cro")
        accounts.create_organisation("hospital", "Region Hospital", "hospital")
        for who, (email, name, organisation, role, facilities, _purpose) in PEOPLE.items():
            accounts.create_user(email, name, organisation, role, facilities=facilities, password=PASSWORD)
            token, keys["tokens"][who] = accounts.issue_token(email)
            if who == "scientist_a":
                keys["token_id"] = token.id
                user = accounts.get_user_by_email(email)
                sessions.start_session(user, "192.0.2.7", "another browser")
                keys["session_id"] = sessions.list_sessions(user)[0].id
        keys["booking"] = _booking("lab-bsc", "scientist_a", at(8), at(11))  # going on now
        keys["cancelled"] = _booking("lab-bsc", "scientist_a", at(16), at(17), "cancelled")
        keys["series"] = _series_of(keys["cancelled"])
        keys["bundle"] = _bundle(
            ["lab-bsc", "lab-bioreactor"], "scientist_a", at(9) + timedelta(days=3), at(13) + timedelta(days=3)
        )
        _booking("lab-bsc", "scientist_b", at(12), at(14))  # next on the display
        _booking("lab-bsc", "colleague_a", tomorrow(8), tomorrow(10))
        keys["pending"] = _booking("gmp-suite", "casimir", tomorrow(9), tomorrow(12), "pending")
        add_usage("lab-bsc", PEOPLE["scientist_a"][0], at(8), None, booking_id=keys["booking"])
        add_usage("lab-bsc", PEOPLE["scientist_b"][0], at(9) - timedelta(days=1), at(12) - timedelta(days=1))
        add_usage(
            "gmp-suite", PEOPLE["casimir"][0], at(7) - timedelta(days=1), at(8) - timedelta(days=1), source="walk-up"
        )
        keys["project"] = projects.create_project(None, "lumen", PROJECT_OF_A, "research", ["lu"]).id
        keys["user_id"] = accounts.get_user_by_email(PEOPLE["scientist_b"][0]).id
        keys["blackout"] = add_blackout(
            accounts.get_user_by_email(PEOPLE["manager_x"][0]), "lab", tomorrow(14), tomorrow(16),
            resource_key="lab-bsc", reason="Filter change",
        )[0].id  # fmt: skip
    client = app.test_client()
    for who in PEOPLE:
        api = ApiClient(client, keys["tokens"][who])
        made = [api.post("/calendar-feeds", json={"scope": "facility", "target": "lab"}) for _ in range(3)]
        assert all(r.status_code == 201 for r in made), made[0].text
        keys.setdefault("feeds", {})[who] = [r.get_json() for r in made]
    with app.app_context():
        db.engine.dispose()
    return path, keys


def at(hour: int) -> datetime:
    return local(f"{clocks.today().isoformat()} {hour:02d}:00")


def tomorrow(hour: int) -> datetime:
    return at(hour) + timedelta(days=1)


def _booking(resource: str, who: str, start: datetime, end: datetime, status: str = "confirmed") -> int:
    booking_id = add_booking(resource, PEOPLE[who][0], start, end, status)
    db.session.get(Booking, booking_id).purpose = PEOPLE[who][5]
    db.session.commit()
    return booking_id


def _series_of(booking_id: int) -> int:
    """A series of one (cancelled) occurrence, written directly."""
    booking = db.session.get(Booking, booking_id)
    series = BookingSeries(
        user_id=booking.user_id, resource_id=booking.resource_id, rrule="FREQ=WEEKLY;COUNT=1",
        local_start=booking.start_at.astimezone(clocks.STOCKHOLM).replace(tzinfo=None).isoformat(),
        duration_minutes=60, timezone="Europe/Stockholm", approval="series", purpose=PEOPLE["scientist_a"][5],
        created_by_id=booking.user_id,
    )  # fmt: skip
    db.session.add(series)
    db.session.flush()
    booking.series_id = series.id
    db.session.commit()
    return series.id


def _bundle(resources: list[str], who: str, start: datetime, end: datetime) -> int:
    """A cancelled bundle of ``resources``, its rows written directly."""
    bundle = BookingBundle(user_id=accounts.get_user_by_email(PEOPLE[who][0]).id)
    db.session.add(bundle)
    db.session.commit()
    for key in resources:
        db.session.get(Booking, _booking(key, who, start, end, "cancelled")).bundle_id = bundle.id
    db.session.commit()
    return bundle.id


@pytest.fixture
def site(world, tmp_path):
    path, keys = world
    copy = tmp_path / "facility.sqlite3"
    shutil.copy(path, copy)
    app = make_app(f"sqlite:///{copy}")
    yield app, keys
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- the requests ---------------------------------------------------------------------------


def api_request(method: str, path: str, keys: dict) -> tuple[str, dict | None]:
    """The concrete URL and JSON body for one route of the OpenAPI document."""
    today = clocks.today()
    past = (local(f"{today.isoformat()} 10:00") - timedelta(days=7)).isoformat()
    past_end = (local(f"{today.isoformat()} 11:00") - timedelta(days=7)).isoformat()
    booking = keys["cancelled"] if re.search(r"/(cancel|check-in|check-out)$", path) else keys["booking"]
    feed = keys["feeds"]["scientist_a"][1 if path.endswith("regenerate") else 0]["id"]
    url = (
        path.replace("{key}", "cellco" if "state-aid" in path or "organisations" in path else "lab-bsc")
        .replace("{booking_id}", str(booking))
        .replace("{feed_id}", str(feed))
        .replace("{name}", "users_of_infrastructure")
        .replace("{session_id}", str(keys["session_id"]))
        .replace("{entry_id}", "999999")
        .replace("{blackout_id}", str(keys["blackout"]))
        .replace("{series_id}", str(keys["series"]))
        .replace("{bundle_id}", str(keys["bundle"]))
    )
    query = {
        "/api/v1/resources/lab-bsc/availability": f"from={today}T00:00:00Z&to={today + timedelta(days=2)}T00:00:00Z",
        "/api/v1/usage": "facility=lab",
        f"/api/v1/blackouts/{keys['blackout']}": "reason=checking",  # DELETE's (PATCH reads no query)
        "/api/v1/calendar": f"facility=lab&from={today - timedelta(days=40)}T00:00:00Z&to={today + timedelta(days=50)}T00:00:00Z",
        "/api/v1/reports/monthly": f"month={today:%Y-%m}&facility=lab",
        "/api/v1/indicators": f"from={today.replace(day=1)}&to={today}",
        "/api/v1/indicators/users_of_infrastructure": f"from={today.replace(day=1)}&to={today}",
        "/api/v1/state-aid": f"from={today.replace(day=1)}&to={today}",
    }.get(url)
    if query:
        url += "?" + query
    body = {
        ("POST", "/api/v1/bookings"): {"resource": "lab-bsc", "start": past, "end": past_end, "purpose": "x"},
        ("POST", "/api/v1/series"): {
            "resource": "lab-bsc",
            "rrule": "FREQ=WEEKLY;COUNT=2",
            "start": past,
            "end": past_end,
        },
        ("POST", "/api/v1/series/preview"): {
            "resource": "lab-bsc",
            "rrule": "FREQ=WEEKLY;COUNT=1",
            "start": past,
            "end": past_end,
        },
        ("POST", "/api/v1/series/{series_id}/cancel"): {"scope": "all", "reason": "no"},
        ("POST", "/api/v1/series/{series_id}/move"): {"scope": "all", "shift_minutes": 60, "reason": "no"},
        ("POST", "/api/v1/series/{series_id}/approve"): {"reason": "fine"},
        ("POST", "/api/v1/series/{series_id}/reject"): {"reason": "no"},
        ("POST", "/api/v1/waitlist"): {"resource": "lab-bsc", "start": past, "end": past_end},
        ("PATCH", "/api/v1/bookings/{booking_id}"): {"start": past, "end": past_end},
        ("PATCH", "/api/v1/blackouts/{blackout_id}"): {"end": past},
        ("POST", "/api/v1/bookings/{booking_id}/approve"): {"reason": "fine"},
        ("POST", "/api/v1/bookings/{booking_id}/reject"): {"reason": "no"},
        ("POST", "/api/v1/bookings/{booking_id}/cancel"): {"reason": "no"},
        ("POST", "/api/v1/bundles"): {"resources": ["lab-bsc", "lab-bioreactor"], "start": past, "end": past_end},
        ("PATCH", "/api/v1/bundles/{bundle_id}"): {"start": past, "end": past_end},
        ("POST", "/api/v1/bundles/{bundle_id}/approve"): {"reason": "fine"},
        ("POST", "/api/v1/bundles/{bundle_id}/reject"): {"reason": "no"},
        ("POST", "/api/v1/bundles/{bundle_id}/cancel"): {"reason": "no"},
        ("POST", "/api/v1/calendar-feeds"): {"scope": "user"},
        ("POST", "/api/v1/usage"): {
            "resource": "lab-bsc",
            "user": PEOPLE["scientist_b"][0],
            "start": past,
            "end": past_end,
            "reason": "walk-up",
        },
        ("POST", "/api/v1/projects"): {"key": "p2", "name": "P2", "stage": "research", "organisations": ["lu"]},
        ("POST", "/api/v1/indicator-register"): {
            "kind": "partner",
            "organisation": "lu",
            "day": "2026-01-15",
            "evidence": "Partnership agreement",
        },
        ("POST", "/api/v1/indicator-register/{entry_id}/withdraw"): {"evidence": "No longer a partner"},
        ("PATCH", "/api/v1/organisations/{key}"): {"org_number": "556036-0793"},
        ("POST", "/api/v1/organisations/{key}/size-classes"): {
            "size_class": "small",
            "valid_from": "2026-01-01",
            "source": "Annual report 2025",
        },
        ("POST", "/api/v1/resources/{key}/logbook"): {"kind": "note", "text": "seen"},
        ("POST", "/api/v1/bookings/{booking_id}/people"): {"user": PEOPLE["colleague_a"][0]},
        ("POST", "/api/v1/qualification-withdrawals"): {
            "user": PEOPLE["colleague_a"][0],
            "qualification": "gowning-grade-b",
            "reason": "failed gowning test",
        },
    }.get((method, path), {} if method in ("POST", "PATCH") else None)
    return url, body


def page_url(rule: str, role: str, keys: dict) -> str:
    feeds = keys["feeds"].get(role)
    secret = feeds[2]["url"].rsplit("/", 1)[1][: -len(".ics")] if feeds else "no-such-feed"
    booking = keys["pending"] if rule.startswith("/manage/approvals/") else keys["booking"]
    query = {"/manage/reports": "?facility=lab&month=2026-10", "/manage/usage": "?facility=lab"}.get(rule, "")
    path = (
        rule.replace("<path:filename>", "facility.css")
        .replace("<secret>", secret)
        .replace("<resource_key>", "lab-bsc")
        .replace("<plan_key>", "no-such-plan")
        .replace("<int:entry_id>", "424242")
        .replace("<key>", "lab" if rule.startswith("/facilities") else "lab-bsc")
        .replace("<int:project_id>", str(keys["project"]))
        .replace("<int:booking_id>", str(booking))
        .replace("<name>", "users_of_infrastructure")
        .replace("<int:user_id>", str(keys["user_id"]))
        .replace("<int:source_id>", "1")
        .replace("<int:blackout_id>", str(keys["blackout"]))
        .replace("<int:series_id>", str(keys["series"]))
        .replace("<int:bundle_id>", str(keys["bundle"]))
        .replace("<int:feed_id>", str(keys["feeds"]["scientist_a"][0]["id"]))
        .replace("<int:token_id>", str(keys["token_id"]))
        .replace("<int:session_id>", str(keys["session_id"]))
        .replace("<int:entry_id>", "1")
    )
    return path + query


def api_routes(app) -> list[tuple[str, str]]:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    return sorted(
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    )


def page_routes(app) -> list[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            continue
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            if method == "POST" and rule.rule in OWN_WRITES:
                continue
            found.add((method, rule.rule))
    return sorted(found)


def test_the_tables_cover_every_route(site):
    app, _keys = site
    assert sorted(API) == api_routes(app), "classify every API route in API"
    assert sorted(PAGES) == page_routes(app), "classify every page route in PAGES (or OWN_WRITES)"
    for table in (API, PAGES):
        assert all(set(expected) == set(ROLES) for expected in table.values())


def readable(response) -> str:
    """The body as text to search; a workbook (a zip of XML) by the text of its parts, a PDF (a
    printable logbook) by its text as a reader sees it."""
    if response.mimetype == "application/pdf":
        return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    if response.data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(response.data)) as workbook:
            return " ".join(workbook.read(name).decode("utf-8") for name in workbook.namelist())
    return response.get_data(as_text=True)


def check(role: str, what: str, response, expected: str, problems: list[str]) -> None:
    got = outcome(response.status_code, response.headers.get("Location", ""))
    if got != expected:
        problems.append(f"{what}: expected {expected}, got {response.status_code} {response.text[:160]!r}")
    text = readable(response).replace("\r\n ", "")  # unfold iCalendar lines
    for secret in hidden_from(role):
        if secret.lower() in text.lower():
            problems.append(f"{what}: shows {secret!r} to {role}")


@pytest.mark.parametrize("role", ROLES)
def test_every_api_route(site, role):
    app, keys = site
    token = keys["tokens"].get(role)
    api = ApiClient(app.test_client(), token)
    problems: list[str] = []
    for method, path in api_routes(app):
        expected = API[(method, path)][role]
        if expected == SKIP:
            continue
        url, body = api_request(method, path, keys)
        response = api.client.open(url, method=method, json=body, headers=api.headers, follow_redirects=False)
        check(role, f"{method} {url}", response, expected, problems)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_route(site, role):
    app, keys = site
    browser = PageClient(app.test_client())
    if role == "anonymous":
        token = csrf_token(browser.get("/sign-in").text)
    else:
        assert browser.sign_in(PEOPLE[role][0]).status_code == 302
        token = csrf_token(browser.get("/account/tokens").text)  # so a refusal is not a CSRF error
    problems: list[str] = []
    for method, rule in page_routes(app):
        expected = PAGES[(method, rule)][role]
        if expected == SKIP:
            continue
        url = page_url(rule, role, keys)
        if method == "GET":
            response = browser.get(url, follow_redirects=False)
        else:
            response = browser.post(url, data={"csrf_token": token}, follow_redirects=False)
        check(role, f"{method} {url}", response, expected, problems)
    assert not problems, "\n".join(problems)


def test_the_world_is_what_the_table_assumes(site):
    """The tables are only worth something if the secrets are there to be seen by those who may."""
    app, keys = site
    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.id == keys["booking"]))
        assert booking.purpose == PEOPLE["scientist_a"][5]
    admin = PageClient(app.test_client())
    admin.sign_in(PEOPLE["admin"][0])
    week = admin.get("/resources/lab-bsc/week").text
    assert PEOPLE["scientist_a"][1] in week and PEOPLE["scientist_b"][5] in week
    assert PROJECT_OF_A in ApiClient(app.test_client(), keys["tokens"]["admin"]).get("/projects").text
    assert PROJECT_OF_A in ApiClient(app.test_client(), keys["tokens"]["scientist_a"]).get("/projects").text


def test_those_who_may_see_the_details(site):
    """The instrument display and the facility feed name the owner to them and to the managers
    of the facility, and only say "Booked" to the others (the table checks that they do not name)."""
    app, keys = site
    for role, shown in [
        ("scientist_a", "Booked by Alvaro"),
        ("manager_x", "Booked by Birgitta"),
        ("scientist_b", "Booked"),
    ]:
        browser = PageClient(app.test_client())
        browser.sign_in(PEOPLE[role][0])
        assert shown in browser.get("/display/lab-bsc").text, role
    feed = PageClient(app.test_client()).get(page_url("/calendar/<secret>.ics", "manager_x", keys)).text
    feed = feed.replace("\r\n ", "")  # unfolded
    assert PEOPLE["scientist_b"][5] in feed and PEOPLE["colleague_a"][5] in feed
    feed = PageClient(app.test_client()).get(page_url("/calendar/<secret>.ics", "scientist_a", keys)).text
    feed = feed.replace("\r\n ", "")
    assert PEOPLE["scientist_a"][5] in feed and "SUMMARY:Booked" in feed


# --- the rule itself, and the mails ---------------------------------------------------------


class Viewer:
    def __init__(self, id, organisation_id, manages=()):
        self.id, self.organisation_id, self._manages = id, organisation_id, set(manages)

    def manages(self, facility) -> bool:
        return facility in self._manages


def test_the_privacy_rule():
    owner_id = 1
    assert may_see_details(Viewer(1, 10), owner_id, "lab")  # the owner
    assert not may_see_details(Viewer(2, 10), owner_id, "lab")  # a colleague: no more than a stranger
    assert not may_see_details(Viewer(3, 20), owner_id, "lab")  # a stranger
    assert may_see_details(Viewer(4, 30, manages={"lab"}), owner_id, "lab")  # the facility's manager
    assert not may_see_details(Viewer(5, 30, manages={"gmp"}), owner_id, "lab")  # another facility's
    assert not may_see_details(None, owner_id, "lab")  # nobody signed in


@SQLITE_ONLY
def test_mail_about_a_booking_goes_only_to_its_owner_and_the_managers_of_its_facility(app, people, smtp):
    casimir = people.make(qualifications=["gowning-grade-b"])
    gmp_manager = people.make("manager", facilities=["gmp"])
    lab_manager = people.make("manager", facilities=["lab"])
    bystander = people.make()
    start, end = local_slot(14, 10, hours=2)
    made = casimir.post("/bookings", {"resource": "gmp-suite", "start": start, "end": end, "purpose": "batch 12 fill"})
    assert made.status_code == 201 and made.get_json()["status"] == "pending"
    mails = smtp.wait_for(3, timeout=1.0)  # two are due; a third would come within the second
    assert sorted(m["X-Rcpt"] for m in mails) == sorted([casimir.email, gmp_manager.email])
    assert not smtp.to(lab_manager.email) and not smtp.to(bystander.email)


@pytest.mark.parametrize("role", ROLES[1:])
def test_the_bookings_list_is_the_rule_as_a_query(site, role):
    """GET /api/v1/bookings filters in SQL; it lists exactly the bookings the rule lets the caller see."""
    app, keys = site
    listed = ApiClient(app.test_client(), keys["tokens"][role]).get("/bookings")
    assert listed.status_code == 200
    with app.app_context():
        viewer = accounts.get_user_by_email(PEOPLE[role][0])
        expected = {b.id for b in db.session.scalars(select(Booking)) if may_see_details(viewer, b.user_id, b.facility)}
    assert {b["id"] for b in listed.get_json()} == expected
    assert expected  # everyone here has a booking to see: a scientist their own, a manager their facility's
