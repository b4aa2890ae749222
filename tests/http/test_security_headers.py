"""Every response carries the security headers: each route of app.url_map (pages, API, feeds,
static), each of its methods, whatever the answer; and no page needs an inline script."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from facility import create_app
from facility.core.extensions import db
from tests.support.clients import PASSWORD
from tests.support.databases import SQLITE_ONLY

pytestmark = SQLITE_ONLY

ARGUMENTS = {"int": "1", "default": "x", "path": "facility.css"}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def every_request(app):
    """(method, path) for every rule and method of the app, its arguments filled in."""
    for rule in app.url_map.iter_rules():
        path = rule.rule
        for name, converter in rule._converters.items():
            kind = {"IntegerConverter": "int", "BoundedInt": "int", "PathConverter": "path"}.get(
                type(converter).__name__, "default"
            )
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", ARGUMENTS[kind], path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


def assert_security_headers(response, where):
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives.get("script-src") == "'self'", where
    assert "'unsafe-inline'" not in directives.get("style-src", ""), where
    assert directives.get("frame-ancestors") == "'none'", where
    assert directives.get("object-src") == "'none'", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", where
    assert "Strict-Transport-Security" not in headers, where  # FACILITY_BASE_URL is http here


def test_every_route_and_method_answers_with_the_security_headers(app, people):
    admin = people.make("admin", password=PASSWORD)
    clients = {"anonymous": people.visitor(), "admin": people.signed_in(admin.email)}
    requests = list(every_request(app))
    assert len(requests) > 60 and ("GET", "/static/facility.css") in requests
    seen_pages = 0
    for who, visitor in clients.items():
        for method, path in requests:
            response = visitor.client.open(path, method=method, follow_redirects=False)
            where = f"{who} {method} {path} -> {response.status_code}"
            assert response.status_code < 500, where
            assert_security_headers(response, where)
            if response.mimetype == "text/html" and response.status_code == 200:
                seen_pages += 1
                assert not INLINE_SCRIPT.search(response.text), where
                assert not EVENT_HANDLER.search(response.text), where
    assert seen_pages > 15
    # ... and an API client with a token, a 404 and an error body included.
    for path in ("/api/v1/openapi.json", "/api/v1/resources", "/api/v1/bookings/12345", "/api/v1/nowhere"):
        assert_security_headers(admin.get(path.removeprefix("/api/v1")), path)


def test_the_inline_styles_of_the_report_charts_carry_the_nonce_of_the_policy(app, people):
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    page = people.signed_in(manager.email).get("/manage/reports")
    assert page.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
    styles = re.findall(r"<style[^>]*>", page.text)
    assert styles and all(f'nonce="{nonce}"' in tag for tag in styles)
    again = people.signed_in(manager.email).get("/manage/reports")
    assert re.search(r"'nonce-([^']+)'", again.headers["Content-Security-Policy"]).group(1) != nonce


def test_hsts_only_when_the_service_is_served_over_https(app, database_url):
    assert "Strict-Transport-Security" not in app.test_client().get("/sign-in").headers
    secure = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "t", "FACILITY_BASE_URL": "https://x"}
    )
    try:
        for path in ("/sign-in", "/api/v1/openapi.json", "/static/facility.css"):
            hsts = secure.test_client().get(path).headers.get("Strict-Transport-Security", "")
            assert hsts.startswith("max-age=31536000"), path
    finally:
        with secure.app_context():
            db.engine.dispose()


@pytest.mark.browser
def test_in_a_browser_the_calendar_and_the_report_work_under_the_policy(browser, live_server, people, app):
    from tests.bookings.test_browser import sign_in
    from tests.support.factory import add_booking, local_slot

    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    with app.app_context():
        start, end = (datetime.fromisoformat(t) for t in local_slot(1, 10, 2))
        add_booking("lab-bsc", manager.email, start, end)
    page = browser.new_page()
    refused = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    sign_in(page, live_server.url, manager.email)

    page.goto(live_server.url + "/resources/lab-bsc/week")
    block = page.locator(".calendar li.block:not(.none)").first
    # The block's position comes from its style attribute (allowed by style-src-attr only).
    assert block.evaluate("e => e.style.top").endswith("%")  # empty when the policy refuses it
    # The interactive calendar's script (a static file) ran, and its <style> carries the nonce.
    page.locator(".fc-timegrid-col").first.wait_for()
    assert page.evaluate("() => document.querySelector('style[data-fullcalendar]').sheet.cssRules.length > 0")
    page.goto(live_server.url + "/manage/reports")
    # pygal's <style> element carries the nonce: its rules apply (the chart's background).
    assert page.locator("figure.chart svg").first.is_visible()
    assert page.evaluate(
        "() => [...document.styleSheets].some(s => s.ownerNode.tagName.toLowerCase() === 'style' && s.cssRules.length > 0)"
    )
    assert refused == []
    page.close()
