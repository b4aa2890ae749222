"""A GMP scientist in Debian's Chromium, without JavaScript, over real HTTP: finds the suite in
the catalogue, books suite 1 with its isolator in one form, sees both bookings together, and
the GMP manager's approval of one confirms both."""

from __future__ import annotations

import pytest

from tests.support.clients import PASSWORD
from tests.support.factory import People, next_weekday
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("catalogue_app", ["sqlite"], indirect=True)]


@pytest.fixture
def served(catalogue_app):
    server = LiveServer(catalogue_app).start()
    yield People(catalogue_app), server.url
    server.stop()


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_book_a_suite_with_its_isolator_and_approve_it_once(browser, served):
    people, base = served
    scientist = people.make(qualifications=["gowning-grade-b", "gmp-basic"], password=PASSWORD)
    manager = people.make("manager", facilities=["sus-gmp"], password=PASSWORD)
    day = next_weekday(14, 1)

    page = browser.new_context(java_script_enabled=False).new_page()
    sign_in(page, base, scientist.email)
    page.goto(base + "/catalogue")
    suite = page.locator("#suite-sus-suite-1-fill")
    assert "Aseptic isolator" in suite.inner_text()
    suite.get_by_role("link", name="Book the suite").click()
    assert page.get_by_label("Suite").input_value() == "sus-suite-1-fill"
    page.locator("#start_date").fill(day.isoformat())
    page.locator("#start_time").fill("08:00")
    page.locator("#end_date").fill(day.isoformat())
    page.locator("#end_time").fill("12:00")
    page.get_by_label("Purpose").fill("Fill and finish")
    page.get_by_label("Project").fill("CAR-T 19")
    page.get_by_label("Batch or lot").fill("B-2026-041")
    page.get_by_role("button", name="Book the suite").click()
    rows = page.locator("#bundle-members tbody tr")
    assert rows.count() == 2
    assert all("waiting for approval" in rows.nth(i).inner_text() for i in range(2))
    bundle_url = page.url

    approver = browser.new_context(java_script_enabled=False).new_page()
    sign_in(approver, base, manager.email)
    approver.goto(bundle_url)
    approver.locator("#bundle-members a").first.click()
    assert "Booked together with" in approver.locator("#bundle").inner_text()
    member = approver.url.rsplit("/", 1)[1]
    approver.goto(f"{base}/manage/approvals/{member}")
    assert "Booked together with" in approver.inner_text("body")
    approver.get_by_label("Reason").fill("QA released the batch plan")
    approver.get_by_label("Your password (electronic signature)").fill(PASSWORD)
    approver.get_by_role("button", name="Sign and approve").click()
    page.goto(bundle_url)
    statuses = page.locator("#bundle-members tbody tr td.status").all_inner_texts()
    assert statuses == ["confirmed", "confirmed"]
