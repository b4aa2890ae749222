"""Each fact in one place: who manages what, and when a qualification counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from facility.accounts.models import User
from facility.accounts.qualifications import expired_on, valid_on
from facility.catalog.models import Facility
from facility.core.access import require_a_manager, require_manager_of
from facility.core.errors import ServiceError
from tests.support import clock as clocks
from tests.support.clients import PASSWORD

LAB, GMP = Facility(id=1, key="lab"), Facility(id=2, key="gmp")


def user(role: str, *facilities: Facility) -> User:
    return User(email=f"{role}@example.org", role=role, facilities=list(facilities))


# --- qualifications ---------------------------------------------------------------------------


def test_a_qualification_counts_through_its_last_local_day_and_no_longer():
    until = date(2026, 12, 31)
    assert valid_on(until, date(2026, 12, 30)) and valid_on(until, until)
    assert not valid_on(until, date(2027, 1, 1)) and expired_on(until, date(2027, 1, 1))


def test_the_catalogue_judges_a_qualification_by_the_facility_s_today_not_the_server_s(app):
    from facility.bookings.pages.catalogue import qualification_in_words
    from facility.catalog.services import get_resource

    # 00:30 on 1 January in Stockholm is still 31 December in UTC (the server's zone here)
    with clocks.travel(clocks.local(2027, 1, 1, 0, 30)), app.test_request_context():
        assert clocks.now().date() == date(2026, 12, 31)
        resource = get_resource("lab-bioreactor")
        key = resource.qualification.key
        words, may_book = qualification_in_words(resource, {key: date(2026, 12, 31)})
        assert not may_book and "expired on 2026-12-31" in words
        words, may_book = qualification_in_words(resource, {key: date(2027, 1, 1)})
        assert may_book and "qualified until 2027-01-01" in words
        # an explicit day is the facility's day asked about
        assert qualification_in_words(resource, {key: date(2026, 12, 31)}, today=date(2026, 12, 31))[1]


# --- who manages what ---------------------------------------------------------------------------


def test_manages_one_facility_and_manages_any():
    lab_manager, admin = user("manager", LAB), user("admin")
    assert lab_manager.manages(LAB) and not lab_manager.manages(GMP)
    assert admin.manages(GMP) and admin.manages_any and lab_manager.manages_any
    assert not user("manager").manages_any  # a manager without facilities manages nothing
    assert not user("scientist").manages_any


def test_the_checks_raise_the_one_error_type_with_a_403():
    with pytest.raises(ServiceError) as refused:
        require_manager_of(user("manager", LAB), GMP, "decide this request")
    assert refused.value.status == 403
    assert refused.value.violations[0].message == "Only a manager of this facility can decide this request."
    for someone in (user("manager"), user("scientist"), None):
        with pytest.raises(ServiceError) as refused:
            require_a_manager(someone, "Only lab managers can open this page.")
        assert refused.value.status == 403
    require_a_manager(user("manager", LAB))
    require_manager_of(user("admin"), GMP)


def test_a_manager_of_another_facility_cannot_decide_their_own_request(people):
    # a lab manager may see their own GMP request, but deciding it is for the GMP unit's managers
    manager = people.make("manager", facilities=["lab"], qualifications=["gowning-grade-b"], password=PASSWORD)
    day = clocks.today() + timedelta(days=10)
    day += timedelta(days=(1 - day.weekday()) % 7)
    start = datetime(day.year, day.month, day.day, 8, tzinfo=clocks.STOCKHOLM)
    booking = manager.post(
        "/bookings",
        {
            "resource": "gmp-suite",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=4)).isoformat(),
            "purpose": "run",
        },
    )
    assert booking.status_code == 201 and booking.get_json()["status"] == "pending", booking.text
    browser = people.visitor()
    browser.sign_in(manager.email)
    page = browser.get(f"/manage/approvals/{booking.get_json()['id']}")
    assert page.status_code == 403
    assert "Not allowed" in page.text and "Only a manager of this facility can decide this request." in page.text


def test_admin_pages_refuse_others_with_the_one_error_page(people):
    scientist = people.make(password=PASSWORD)
    browser = people.visitor()
    browser.sign_in(scientist.email)
    page = browser.get("/admin")
    assert page.status_code == 403
    assert "Only administrators can open this page." in page.text
