"""Bad input of any kind is a clear 4xx naming what is wrong, never a 500, never a half-written
change: text that cannot be stored (a lone surrogate, NUL), ids beyond the id columns, far-off years,
a JSON body nested too deep."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from facility.bookings.models import Booking
from facility.core.extensions import db
from facility.usage.models import UsageRecord
from tests.support.clients import PASSWORD, error_codes
from tests.support.factory import local_slot

SURROGATE = "\\ud800"  # as JSON text: a lone surrogate, which no UTF-8 encoder accepts


def raw_json(client, method: str, path: str, text: str):
    """Send ``text`` as the JSON body, byte for byte (json= would refuse to encode a surrogate)."""
    return client.request(method, path, data=text.encode(), headers={"Content-Type": "application/json"})


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def booking_json(**values) -> str:
    start, end = local_slot(14, 10)
    fields = {"resource": '"lab-bsc"', "start": f'"{start}"', "end": f'"{end}"', "purpose": '"expansion"', **values}
    return "{" + ", ".join(f'"{name}": {value}' for name, value in fields.items()) + "}"


@pytest.mark.parametrize(
    "field, value",
    [
        ("resource", f'"{SURROGATE}"'),
        ("purpose", f'"{SURROGATE}"'),
        ("purpose", '"cells\\u0000"'),
        ("resource", '"lab-bsc\\u0000"'),
        ("project", '"a \\udfff b"'),
    ],
)
def test_text_that_cannot_be_stored_is_refused_when_booking(app, people, field, value):
    alice = people.make()
    before = count(app, Booking)
    response = raw_json(alice, "POST", "/bookings", booking_json(**{field: value}))
    assert response.status_code == 422, response.text
    assert response.get_json()["errors"] == [
        {"code": "invalid_text", "field": field, "message": response.get_json()["errors"][0]["message"]}
    ]
    assert count(app, Booking) == before

    booked = raw_json(alice, "POST", "/bookings", booking_json())
    assert booked.status_code == 201, booked.text
    path = f"/bookings/{booked.get_json()['id']}"
    patched = raw_json(alice, "PATCH", path, f'{{"purpose": {value}}}')
    assert patched.status_code == 422 and error_codes(patched) == ["invalid_text"]
    assert alice.get(path).get_json()["purpose"] == "expansion"


def test_a_key_nested_in_the_body_names_its_path_and_every_bad_field_is_named(people):
    alice = people.make()
    response = raw_json(alice, "POST", "/bookings", booking_json(purpose='"\\u0000"', extra='[1, {"x": "\\ud800"}]'))
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.get_json()["errors"]) == ["extra.1.x", "purpose"]
    key = raw_json(alice, "POST", "/bookings", '{"\\ud800": 1}')
    assert key.status_code == 422 and error_codes(key) == ["invalid_text"]


def test_text_that_cannot_be_stored_is_refused_when_recording_usage(app, people):
    manager = people.make("manager", facilities=["lab"])
    alice = people.make()
    start, end = local_slot(-7, 10)
    before = count(app, UsageRecord)
    for field, value in (("reason", f'"{SURROGATE}"'), ("reason", '"walk-up\\u0000"'), ("user", f'"{SURROGATE}"')):
        body = {"resource": '"lab-bsc"', "user": f'"{alice.email}"', "start": f'"{start}"', "end": f'"{end}"'}
        body["reason"] = '"walk-up"'
        body[field] = value
        text = "{" + ", ".join(f'"{k}": {v}' for k, v in body.items()) + "}"
        response = raw_json(manager, "POST", "/usage", text)
        assert response.status_code == 422, response.text
        assert [(e["code"], e["field"]) for e in response.get_json()["errors"]] == [("invalid_text", field)]
    assert count(app, UsageRecord) == before


def test_nul_in_a_query_or_a_path_is_refused(people):
    alice = people.make()
    response = alice.get("/bookings", query_string={"resource": "lab\x00bsc"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0] == {
        "code": "invalid_text",
        "field": "resource",
        "message": "The text contains a NUL character.",
    }
    assert error_codes(alice.get("/resources/lab%00bsc")) == ["not_found"]  # no such thing can exist


def test_nul_in_a_page_form_is_refused_with_the_error_page(app, people):
    alice = people.make(password=PASSWORD)
    browser = people.signed_in(alice.email)
    before = count(app, Booking)
    start, _end = local_slot(14, 10)
    form = {"resource": "lab-bsc", "day": start[:10], "start": "10:00", "end": "11:00", "purpose": "cells\x00"}
    response = browser.post_form("/bookings/new", form)
    assert response.status_code == 422 and "NUL character" in response.text
    assert count(app, Booking) == before
    assert browser.get("/bookings", query_string={"page": "\x00"}).status_code == 422


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/bookings/99999999999999999999"),
        ("GET", "/bookings/2147483648"),
        ("PATCH", "/bookings/99999999999999999999"),
        ("POST", "/bookings/99999999999999999999/approve"),
        ("POST", "/bookings/99999999999999999999/check-in"),
        ("DELETE", "/calendar-feeds/99999999999999999999"),
    ],
)
def test_ids_beyond_the_id_columns_are_not_found_whatever_the_method(people, method, path):
    admin = people.make("admin")
    response = admin.request(method, path, json={} if method in ("POST", "PATCH") else None)
    assert response.status_code == 404, response.text
    assert error_codes(response) == ["not_found"]


def test_the_largest_id_reaches_the_database_and_is_not_found(people):
    admin = people.make("admin")
    response = admin.get("/bookings/2147483647")
    assert response.status_code == 404 and error_codes(response) == ["not_found"]


def test_page_ids_beyond_the_id_columns_are_not_found(app, people):
    admin = people.make("admin", password=PASSWORD)
    browser = people.signed_in(admin.email)
    huge = "99999999999999999999"
    for path in (f"/bookings/{huge}", f"/bookings/{huge}/edit", f"/admin/users/{huge}", f"/projects/{huge}"):
        assert browser.get(path).status_code == 404, path
        assert browser.get(path.replace(huge, "2147483647")).status_code in (403, 404), path


@pytest.mark.parametrize("query", [{"to": "9999-12-31"}, {"from": "0001-01-01"}, {"to": "9999-12-31T00:00:00+00:00"}])
def test_far_off_years_in_a_statement_period_name_the_field(people, query):
    manager = people.make("manager", facilities=["lab"])
    response = manager.get("/state-aid/organisations/cellco/statement", query_string=query)
    assert response.status_code == 422, response.text
    [error] = response.get_json()["errors"]
    assert error["field"] == next(iter(query)) and error["code"] == "invalid_period"
    assert "2000" in error["message"] and "2100" in error["message"]


@pytest.mark.parametrize("path", ["/state-aid", "/reports/monthly", "/indicators", "/usage"])
def test_far_off_years_in_other_periods_are_refused(people, path):
    admin = people.make("admin")
    query = {"from": "2026-01-01", "to": "9999-12-31", "facility": "lab", "month": "9999-12"}
    response = admin.get(path, query_string=query)
    assert 400 <= response.status_code < 500, (path, response.text)


def test_a_json_body_nested_too_deep_is_malformed_and_logs_nothing(app, people, caplog):
    alice = people.make()
    depth = 100_000
    with caplog.at_level(logging.DEBUG):
        for text in ("[" * depth + "]" * depth, '{"purpose": ' + "[" * depth + "]" * depth + "}"):
            response = raw_json(alice, "POST", "/bookings", text)
            assert response.status_code == 400
            assert error_codes(response) == ["malformed_json"]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_a_correction_of_a_record_beyond_the_id_columns_is_refused(app, people):
    manager = people.make("manager", facilities=["lab"], password=PASSWORD)
    alice = people.make()
    start, end = local_slot(-7, 10)
    body = {"resource": "lab-bsc", "user": alice.email, "start": start, "end": end, "reason": "walk-up"}
    response = manager.post("/usage", {**body, "corrects": 99999999999999999999})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "corrects"
    assert manager.post("/usage", {**body, "corrects": 2147483647}).status_code == 404
    page = people.signed_in(manager.email)
    for typed in ("99999999999999999999", "²"):
        assert page.get("/manage/usage", query_string={"corrects": typed}).status_code == 200
    assert count(app, UsageRecord) == 0
