"""Durations and kinds appear as words of the page's language, never as English or codes."""

from __future__ import annotations

import html

from tests.support.clients import PASSWORD


def test_the_catalogue_says_days_in_swedish(people, visitor):
    alice = people.make(password=PASSWORD)
    browser = visitor()
    browser.sign_in(alice.email)
    swedish = html.unescape(browser.get("/catalogue", headers={"Accept-Language": "sv"}).text)
    english = html.unescape(browser.get("/catalogue", headers={"Accept-Language": "en"}).text)
    assert "högst 21 dagar" in swedish and "21 days" not in swedish  # the bioreactor's longest run
    assert "at most 21 days" in english


def test_blackout_kinds_are_words_on_the_managers_page(people, visitor):
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    browser = visitor()
    browser.sign_in(manager.email)
    swedish = html.unescape(browser.get("/manage/blackouts", headers={"Accept-Language": "sv"}).text)
    assert '<option value="requalification">omkvalificering</option>' in swedish


def test_a_resource_status_is_said_in_words(people, visitor):
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    browser = visitor()
    browser.sign_in(manager.email)
    done = browser.post_form(
        "/manage/resources/lab-bsc/status",
        {"status": "out_of_service", "reason": "Broken fan"},
        page="/manage/resources",
        headers={"Accept-Language": "sv"},
    )
    text = html.unescape(done.text)
    flash = text.split('<div class="flash" role="status">', 1)[1].split("</div>", 1)[0]
    assert "ur drift" in flash and "out_of_service" not in flash and "out of service" not in flash


def test_organisation_kinds_and_sizes_are_words_on_the_administrators_page(people, visitor):
    admin = people.make("admin", password=PASSWORD)
    browser = visitor()
    browser.sign_in(admin.email)
    swedish = html.unescape(browser.get("/admin", headers={"Accept-Language": "sv"}).text)
    english = html.unescape(browser.get("/admin", headers={"Accept-Language": "en"}).text)
    cellco = swedish[swedish.index('id="organisation-cellco"') :].split("</tr>")[0]
    assert "<td>företag</td>" in cellco and "<td>små</td>" in cellco and "company" not in cellco
    assert "<td>universitet</td>" in swedish[swedish.index('id="organisation-lu"') :].split("</tr>")[0]
    assert "<td>company</td>" in english[english.index('id="organisation-cellco"') :].split("</tr>")[0]
