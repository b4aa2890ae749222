"""The week and day pages name the holiday on a closed day, in the page's language; the catalogue
says which days close the facility. The test lab gets `public_holidays: SE` and named days here
(from a copy of tests/catalog.yaml), so other tests keep their catalogue as it is."""

from __future__ import annotations

import html

import pytest

from facility.accounts import services as accounts
from facility.catalog.services import load_catalog
from facility.core.extensions import db
from tests.support.clients import PASSWORD, csrf_token
from tests.support.databases import SQLITE_ONLY, TEST_CATALOG

CLOSED_DAYS = """\
    public_holidays: SE
    closed_days:
      - julafton
      - Midsummer Eve
      - nyårsafton
      - {from: 2030-07-15, to: 2030-07-19, name: Summer shutdown}
      - 2030-12-23
"""

pytestmark = SQLITE_ONLY  # the pages on SQLite; the rules and races run on both databases elsewhere


@pytest.fixture
def client(app, tmp_path):
    text = TEST_CATALOG.read_text(encoding="utf-8")
    assert "    closed_days: []\n" in text
    catalogue = tmp_path / "catalog.yaml"
    catalogue.write_text(text.replace("    closed_days: []\n", CLOSED_DAYS, 1), encoding="utf-8")
    with app.app_context():
        summary = load_catalog(catalogue)
        assert summary.facilities["updated"] == 1
        accounts.create_user("closed-days@example.org", "Test Scientist", "lu", "scientist", password=PASSWORD)
        db.session.remove()
    client = app.test_client()
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    signed_in = client.post(
        "/sign-in", data={"csrf_token": token, "email": "closed-days@example.org", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    return client


def page(client, path: str, language: str) -> str:
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return html.unescape(response.get_data(as_text=True))


def test_the_week_page_names_the_holiday_in_the_pages_language(client):
    english = page(client, "/resources/lab-bsc/week?date=2030-12-24", "en")
    assert "Tue 24 Dec · Christmas Eve" in english
    assert "Wed 25 Dec · Christmas Day" in english
    assert "Mon 23 Dec · Closed" in english  # an own closure without a name
    assert "Fri 27 Dec" in english and "Fri 27 Dec ·" not in english  # an ordinary day
    swedish = page(client, "/resources/lab-bsc/week?date=2030-12-24", "sv")
    assert "tis 24 dec. · Julafton" in swedish and "ons 25 dec. · Juldagen" in swedish
    assert "mån 23 dec. · Stängt" in swedish and "Christmas" not in swedish


def test_a_year_no_list_names_and_a_period_of_the_facilitys_own(client):
    midsummer = page(client, "/resources/lab-bsc/week?date=2041-06-21", "en")
    assert "Fri 21 Jun · Midsummer Eve" in midsummer and "Sat 22 Jun · Midsummer Day" in midsummer
    summer = page(client, "/resources/lab-bsc/week?date=2030-07-15", "sv")
    assert "mån 15 juli · Summer shutdown" in summer and "fre 19 juli · Summer shutdown" in summer
    assert "lör 20 juli ·" not in summer and "sön 14 juli ·" not in summer


def test_the_day_page_shows_the_name_under_its_title(client):
    assert "Closed: Christmas Eve" in page(client, "/facilities/lab/day?date=2030-12-24", "en")
    assert "Stängt: Julafton" in page(client, "/facilities/lab/day?date=2030-12-24", "sv")
    assert "Closed:" not in page(client, "/facilities/lab/day?date=2030-12-27", "en")


def test_the_catalogue_says_which_days_close_the_facility(client):
    english = page(client, "/catalogue", "en")
    assert "closed on public holidays (SE) and Christmas Eve, Midsummer Eve, New Year's Eve" in english
    swedish = page(client, "/catalogue", "sv")
    assert "Julafton, Midsommarafton, Nyårsafton" in swedish
