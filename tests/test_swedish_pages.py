"""Every page, as each role sees it with Swedish chosen, is in Swedish (issue 15): no English
message of the catalogue, no English word of the interface, no raw code (``out_of_service``,
``no_show``) and no number in English format ("0.5") in what a reader sees: the text, and the
attributes a reader meets (placeholders, titles, labels, button values).

The pages are those of the authorization table (tests/test_authorization.py: every page route,
in the same world) that answer the role with an HTML page. What the world holds is data, not
interface, and stays in the language it was typed in: names of people, organisations,
resources and facilities, purposes and reasons; it is taken out of the text before it is read.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import text as sql

from facility.core.extensions import db
from tests.support.clients import PageClient
from tests.test_authorization import OK, PAGES, PEOPLE, page_routes, page_url, site, world  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "translations" / "sv" / "LC_MESSAGES" / "messages.po"
ROLES = ("scientist_a", "manager_x", "manager_y", "admin")

# Words of the interface that are English and not Swedish: any of them on a Swedish page is a
# text that was not translated (or not marked for translation at all).
ENGLISH_WORDS = set(
    """the and with your you this that from are not has have will been which when there here
    booking bookings book booked hours hour days day week weeks month months free busy cancel
    save edit remove approve reject pending confirmed cancelled completed none next previous
    today tomorrow yesterday user users manager managers resource resources facility facilities
    report reports request requests waiting approval room rooms company companies small medium
    large micro university hospital other maintenance cleaning holiday out service available
    show hide back more less all any only each every new open closed""".split()
)
RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
ENGLISH_NUMBER = re.compile(r"(?<![\d.:/-])\d+\.\d+(?![\d.:/-])")
# Addresses are not words: links, e-mail addresses, the otpauth:// of a second factor.
ADDRESS = re.compile(r"\S+://\S+|\S+@\S+")
# Not numbers but names: the programme's activities (3.2, 3.4, 4.2-4.4) and its table 1.7.
SECTIONS = re.compile(r"\b(?:[34]\.[2-4]|1\.7)\b")
ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
# Not shown: scripts, styles, and the data of a chart's tooltips (<desc>: positions, for scripts).
HIDDEN = ("script", "style", "template", "desc")
# Machine text, kept exactly as recorded: an audit event's action and its before and after.
VERBATIM = ("code",)
# Quoted, a text is named as it is, such as the English labels of a calendar program.
QUOTED = re.compile(r"[\"”“][^\"”“]*[\"”“]")


class VisibleText(HTMLParser):
    """The text a reader meets: text outside scripts and styles, and the attributes they read."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN or tag in VERBATIM:
            self._hidden += 1
        found = dict(attrs)
        self.parts += [found[name] for name in ATTRIBUTES if found.get(name)]
        if tag == "input" and found.get("type") in ("submit", "button") and found.get("value"):
            self.parts.append(found["value"])

    def handle_endtag(self, tag):
        if (tag in HIDDEN or tag in VERBATIM) and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def visible_texts(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


def data_of_the_world(app) -> list[str]:
    """What people typed or named: the product's name, and the names of people, organisations,
    facilities, resources, qualifications and projects, purposes and reasons, as the database
    holds them; longest first, so that a name is taken out before a part of it."""
    tables = {
        "users": ("name", "email"),
        "organisations": ("name", "key"),
        "facilities": ("name", "key", "organisation", "location"),
        "resources": ("name", "key", "description"),
        "qualifications": ("name",),
        "projects": ("name",),
        "bookings": ("purpose",),
        "blackouts": ("reason",),
        "user_sessions": ("user_agent",),
    }
    strings = {"facility"}
    with app.app_context():
        for table, columns in tables.items():
            for column in columns:
                strings |= {value for (value,) in db.session.execute(sql(f"SELECT {column} FROM {table}"))}
    return sorted((s for s in strings if s and len(s) > 2), key=len, reverse=True)


def english_messages() -> set[str]:
    """The catalogue's messages whose Swedish differs from the English, as a page shows them."""
    with PO.open("rb") as f:
        catalogue = read_po(f)
    found = set()
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple) or not message.string:
            continue
        english = " ".join(message.id.split())
        if "%(" not in english and english != " ".join(str(message.string).split()) and len(english) > 3:
            found.add(english)
    return found


def problems_of(url: str, html: str, data: list[str], messages: set[str]) -> list[str]:
    problems = []
    for text in visible_texts(html):
        if text in data:
            continue
        if text in messages:
            problems.append(f"{url}: English message {text!r}")
            continue
        text = ADDRESS.sub(" ", QUOTED.sub(" ", text))
        for value in data:
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", text)
        words = {word.lower() for word in re.findall(r"[A-Za-z]+", text)}
        english = sorted(words & ENGLISH_WORDS)
        if english:
            problems.append(f"{url}: English words {english} in {text!r}")
        for code in RAW_CODE.findall(text):
            problems.append(f"{url}: raw code {code!r} in {text!r}")
        for number in ENGLISH_NUMBER.findall(SECTIONS.sub(" ", text)):
            problems.append(f"{url}: number in English format {number!r} in {text!r}")
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_swedish_when_swedish_is_chosen(site, role):  # noqa: F811
    app, keys = site
    browser = PageClient(app.test_client())
    assert browser.sign_in(PEOPLE[role][0]).status_code == 302
    browser.post_form("/language", {"lang": "sv"}, page="/account/tokens")
    data, messages = data_of_the_world(app), english_messages()
    problems, pages = [], 0
    for method, rule in page_routes(app):
        if method != "GET" or PAGES[(method, rule)][role] != OK:
            continue
        url = page_url(rule, role, keys)
        response = browser.get(url, follow_redirects=False)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        pages += 1
        assert 'lang="sv"' in response.text, f"{url} is not served in Swedish"
        problems += problems_of(url, response.text, data, messages)
    assert pages >= 10, f"only {pages} pages were read"
    assert not problems, "\n".join(problems)


def test_the_sweep_finds_english():
    """The sweep itself: an English message, an English word, a code and an English number are found; a chart's tooltip data is not read."""
    html = (
        '<p>Bokningar</p><p>Cancel booking</p><input placeholder="Search"><p>out_of_service</p>'
        "<p>0.5 timmar</p><script>var the = 1;</script><svg><desc>219.6923</desc></svg>"
    )
    found = problems_of("/x", html, [], {"Cancel booking"})
    assert any("English message 'Cancel booking'" in p for p in found)
    assert any("raw code 'out_of_service'" in p for p in found)
    assert any("'0.5'" in p for p in found)
    assert not any("var the" in p or "219" in p for p in found)
    assert problems_of("/x", "<p>Bokningar 0,5 timmar, klockan 08:00 den 2026-12-02</p>", [], set()) == []
