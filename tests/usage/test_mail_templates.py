"""Every mail template (templates/<domain>/mail/*.txt) rendered in English and in Swedish with realistic
context: the subject and the key facts (resource, facility-local time, link) are there, the
English texts are those the jobs always sent, and nothing is left in English in Swedish.
Then send_template: each recipient gets the mail in their own language."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from email.header import decode_header, make_header
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from facility.accounts import services as accounts
from facility.accounts.models import User
from facility.aid import rules as aid_rules
from facility.aid.services import warning_context
from facility.bookings.models import Booking
from facility.catalog.models import Facility
from facility.core.extensions import db
from facility.core.mail import mail_language, render_mail, send_template
from tests.support.databases import sqlite_url
from tests.support.factory import add_booking, local

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
URL = "http://facility.test/bookings/"
START = "2030-03-05 10:00 CET"  # facility-local, as every mail shows times
END = "2030-03-05 12:00 CET"
SUMMER = "2030-07-02 09:00 CEST"


@pytest.fixture
def database_url(tmp_path, sqlite_template):
    return sqlite_url(sqlite_template, tmp_path)


@pytest.fixture
def ctx(app):
    """An app context with Alice, a pending and a confirmed booking of the biosafety cabinet."""
    with app.app_context():
        accounts.create_user("alice@example.org", "Alice Andersson", "lu")
        start = local("2030-03-05 10:00")
        pending = db.session.get(
            Booking, add_booking("lab-bsc", "alice@example.org", start, start + timedelta(hours=2), "pending")
        )
        pending.purpose = "CAR-T expansion, batch 7"
        db.session.commit()
        summer = local("2030-07-02 09:00")
        confirmed = add_booking("lab-bsc", "alice@example.org", summer, summer + timedelta(hours=1))
        yield {"pending": pending, "confirmed": db.session.get(Booking, confirmed)}


def booking_mail(which: str, **extra):
    def context(c):
        booking = c[which]
        return {"booking": booking, "url": f"{URL}{booking.id}", **extra}

    return context


def decided(action: str, reason: str):
    def context(c):
        booking = c["pending"]
        booking.decision_reason = reason
        return {"booking": booking, "url": f"{URL}{booking.id}", "action": action}

    return context


def monthly_report(c):
    facility = db.session.scalar(select(Facility).where(Facility.key == "lab"))
    rows = [
        {"resource": "lab-bsc", "booked_hours": 12.0, "used_hours": 10.5, "utilisation": 0.0625},
        {"resource": "lab-bioreactor", "booked_hours": 0.0, "used_hours": 1.5, "utilisation": 0.0089},
    ]
    return {"facility": facility, "month": "2026-10", "resources": rows}


def state_aid(threshold: str):
    entry = {
        "organisation": "cellco",
        "name": "CellCo AB",
        "id": 2,
        "subsidised_sek": 45600.0,
        "subsidised_eur": 4145.45,
        "from": "2023-11-02T13:00:00+01:00",
        "to": "2026-11-02T13:00:00+01:00",
        "percent": 82.9,
        "ceiling_eur": 5000.0,
        "remaining_eur": 854.55,
    }
    return lambda c: warning_context(entry, Decimal(threshold))


# The GMP records' mails take plain objects: a resource, a logbook entry, a plan's state.
GMP_SUITE = SimpleNamespace(
    key="gmp-suite", name="GMP suite", facility=SimpleNamespace(name="GMP unit", timezone="Europe/Stockholm")
)
PLAN_DUE = SimpleNamespace(
    name="Particle counter calibration",
    task="calibration",
    due_at=local("2030-03-05 10:00"),
    every_hours_of_use=None,
    hours_used=None,
)


def gmp_failure() -> dict:
    at = local("2030-03-05 10:00")
    entry = SimpleNamespace(
        resource=GMP_SUITE, occurred_at=at, recorded_by=SimpleNamespace(name="Maria Ekström"), number="E12"
    )
    since = SimpleNamespace(number="E7", occurred_at=at - timedelta(days=30))
    batch = SimpleNamespace(
        product="CAR-T-1", batch="2611-01", uses=2, first_use=at - timedelta(days=20), last_use=at - timedelta(days=19)
    )
    return {"entry": entry, "impact": SimpleNamespace(since=since, batches=[batch])}


# (template, context, facts both languages show, the English text as the jobs sent it before:
# (subject, body) with {id} the booking's id, or None)
def blackout_mail(c):
    booking = c["pending"]
    blackout = SimpleNamespace(
        start_at=local("2030-03-05 08:00"), end_at=local("2030-03-05 12:00"), reason="Filter change"
    )
    return {"booking": booking, "blackout": blackout, "url": f"{URL}{booking.id}"}


CASES = {
    "bookings/mail/blackout_collision": (
        "bookings/mail/blackout_collision",
        blackout_mail,
        ["Biosafety cabinet", "2030-03-05 08:00", "2030-03-05 12:00", "Filter change", START, URL],
        ("Your booking is hit by a blackout: Biosafety cabinet", None),
    ),
    "bookings/mail/reminder": (
        "bookings/mail/reminder",
        booking_mail("confirmed", hours=24),
        ["Biosafety cabinet", "lab-bsc", SUMMER, URL],
        (
            "Reminder: Biosafety cabinet in 24 h",
            (
                f"Your booking starts soon: Biosafety cabinet (lab-bsc), {SUMMER} to 2030-07-02 10:00 CEST.\n"
                f"Check in at the instrument or at {URL}{{id}}\n"
            ),
        ),
    ),
    "bookings/mail/nudge": (
        "bookings/mail/nudge",
        booking_mail("pending"),
        ["Biosafety cabinet", START, END, "alice@example.org", URL],
        (
            "Waiting for approval: Biosafety cabinet",
            (
                f"Alice Andersson (alice@example.org) asked for Biosafety cabinet (lab-bsc), {START} to {END} "
                f"more than a day ago.\nApprove or reject it at {URL}{{id}}\n"
            ),
        ),
    ),
    "bookings/mail/request_to_approve": (
        "bookings/mail/request_to_approve",
        booking_mail("pending"),
        ["Biosafety cabinet", START, "CAR-T expansion, batch 7", URL],
        (
            "Request to approve: Biosafety cabinet",
            (
                f"Alice Andersson (alice@example.org) asks for Biosafety cabinet (lab-bsc), {START} to {END}.\n"
                f"Purpose: CAR-T expansion, batch 7\nApprove or reject it at {URL}{{id}}\n"
            ),
        ),
    ),
    "requested-pending": (
        "bookings/mail/booking_requested",
        booking_mail("pending"),
        ["Biosafety cabinet", START, URL],
        (
            "Booking pending: Biosafety cabinet",
            (
                f"Your booking of Biosafety cabinet (lab-bsc), {START} to {END} is pending and waits for approval.\n"
                f"{URL}{{id}}\n"
            ),
        ),
    ),
    "requested-confirmed": (
        "bookings/mail/booking_requested",
        booking_mail("confirmed"),
        ["Biosafety cabinet", SUMMER, URL],
        (
            "Booking confirmed: Biosafety cabinet",
            (
                f"Your booking of Biosafety cabinet (lab-bsc), {SUMMER} to 2030-07-02 10:00 CEST is confirmed.\n"
                f"{URL}{{id}}\n"
            ),
        ),
    ),
    "approved": (
        "bookings/mail/booking_decision",
        decided("approved", "batch 7 scheduled"),
        ["Biosafety cabinet", START, "batch 7 scheduled", URL],
        (
            "Your booking is confirmed: Biosafety cabinet",
            (
                f"Your booking is confirmed: Biosafety cabinet (lab-bsc), {START} to {END}.\n"
                f"Reason: batch 7 scheduled\n{URL}{{id}}\n"
            ),
        ),
    ),
    "rejected": (
        "bookings/mail/booking_decision",
        decided("rejected", "suite requalification"),
        ["Biosafety cabinet", START, "suite requalification", URL],
        (
            "Your request was rejected: Biosafety cabinet",
            (
                f"Your request was rejected: Biosafety cabinet (lab-bsc), {START} to {END}.\n"
                f"Reason: suite requalification\n{URL}{{id}}\n"
            ),
        ),
    ),
    "cancelled": (
        "bookings/mail/booking_decision",
        decided("cancelled", ""),
        ["Biosafety cabinet", START, URL],
        (
            "Your booking is cancelled: Biosafety cabinet",
            f"Your booking is cancelled: Biosafety cabinet (lab-bsc), {START} to {END}.\n{URL}{{id}}\n",
        ),
    ),
    "expired": (
        "bookings/mail/booking_decision",
        decided("expired", "expired"),
        ["Biosafety cabinet", START, URL],
        (
            "Your request expired without a decision: Biosafety cabinet",
            (
                f"Your request expired without a decision: Biosafety cabinet (lab-bsc), {START} to {END}.\n"
                f"Reason: expired\n{URL}{{id}}\n"
            ),
        ),
    ),
    "accounts/mail/qualification_expiry": (
        "accounts/mail/qualification_expiry",
        lambda c: {"qualification": "Bioreactor operation", "valid_until": "2030-04-30"},
        ["Bioreactor operation", "2030-04-30"],
        (
            "Your qualification 'Bioreactor operation' expires on 2030-04-30",
            (
                "Your qualification 'Bioreactor operation' is valid until 2030-04-30.\n"
                "Book a requalification in time: without it you cannot book the resources that need it.\n"
            ),
        ),
    ),
    "usage/mail/monthly_report": (
        "usage/mail/monthly_report",
        monthly_report,
        ["Test cell lab", "2026-10", "lab-bsc", "10.5", "6.2"],
        (
            "Test cell lab: usage report 2026-10",
            (
                "The usage report of Test cell lab for 2026-10 is attached.\n\n"
                "lab-bsc: booked 12.0 h, used 10.5 h, utilisation 6.2 %\n"
                "lab-bioreactor: booked 0.0 h, used 1.5 h, utilisation 0.9 %\n"
            ),
        ),
    ),
    "state-aid-80": (
        "aid/mail/state_aid_warning",
        state_aid("0.8"),
        ["CellCo AB", "45 600.00 SEK = 4 145.45 EUR", "82.9 %", "2023-11-02", "854.55 EUR"],
        (
            "State aid: CellCo AB has reached 80 % of the de minimis ceiling",
            (
                "CellCo AB (cellco) has received 45 600.00 SEK = 4 145.45 EUR of subsidised access in the three years "
                "2023-11-02 to 2026-11-02: 82.9 % of the ceiling of 5 000.00 EUR "
                f"({aid_rules.REGULATION}).\nRemaining: 854.55 EUR. Check before granting more subsidised access, "
                "and ask the company about other de minimis aid it has received.\n"
            ),
        ),
    ),
    "state-aid-ceiling": (
        "aid/mail/state_aid_warning",
        state_aid("1"),
        ["CellCo AB", "45 600.00 SEK"],
        ("State aid: CellCo AB has reached the de minimis ceiling", None),
    ),
    "waitlist-offer": (
        "waitlist/mail/offer",
        booking_mail("pending", hold_until=local("2030-03-04 11:30")),
        ["Biosafety cabinet", START, END, "2030-03-04 11:30 CET", URL],
        (
            "Time offered to you: Biosafety cabinet",
            (
                f"You were waiting for Biosafety cabinet. This time has come free and is held for you: "
                f"Biosafety cabinet (lab-bsc), {START} to {END}.\n"
                f"Accept or decline it by 2030-03-04 11:30 CET; after that it goes to the next in line.\n"
                f"{URL}{{id}}\n"
            ),
        ),
    ),
    "gmp-calibration-failed": (
        "gmp/mail/calibration_failed",
        lambda c: gmp_failure(),
        ["GMP suite", "E12", "E7", "CAR-T-1 / 2611-01", START],
        ("Calibration failed: GMP suite", None),
    ),
    "gmp-plan-due": (
        "gmp/mail/plan_due",
        lambda c: {"resource": GMP_SUITE, "status": PLAN_DUE},
        ["Particle counter calibration", "GMP suite", START],
        ("Due: Particle counter calibration of GMP suite", None),
    ),
}


def test_every_mail_template_has_a_case():
    mails = {
        str(path.relative_to(TEMPLATES).with_suffix(""))
        for path in TEMPLATES.glob("*/mail/*.txt")
        if not path.name.startswith("_")
    }
    assert mails == {template for template, *_ in CASES.values()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_mail_renders_in_english_and_swedish(ctx, case):
    template, make_context, facts, (old_subject, old_body) = CASES[case]
    context = make_context(ctx)
    en_subject, en_body = render_mail(template, "en", **context)
    sv_subject, sv_body = render_mail(template, "sv", **context)
    ids = {"id": context["booking"].id} if "booking" in context else {}
    assert en_subject == old_subject
    if old_body is not None:
        assert en_body == old_body.format(**ids)
    for text in (en_subject, sv_subject):
        assert text and "\n" not in text and "%(" not in text
    for fact in facts:
        assert fact in en_subject + en_body and fact in sv_subject + sv_body, fact
    # nothing left in English: the subject, the body and every sentence of it are translated
    assert sv_subject != en_subject and sv_body != en_body
    untranslated = [
        line
        for line in en_body.splitlines()
        if line.strip() and not line.startswith(URL) and line in sv_body.splitlines()
    ]
    assert untranslated == []


def test_swedish_mails_read_swedish(ctx):
    booking = ctx["pending"]
    subject, body = render_mail("bookings/mail/request_to_approve", "sv", booking=booking, url=f"{URL}{booking.id}")
    assert subject == "Förfrågan att godkänna: Biosafety cabinet"
    assert f"ber om Biosafety cabinet (lab-bsc), {START} till {END}." in body
    assert f"Godkänn eller avslå den på {URL}{booking.id}" in body


def test_an_unknown_or_missing_language_is_the_default(app):
    with app.app_context():
        assert mail_language("sv") == "sv"
        assert mail_language(None) == mail_language("de") == "en"


def set_locale(address: str, locale: str | None) -> None:
    db.session.scalars(select(User).where(User.email == address)).one().locale = locale
    db.session.commit()


def test_each_recipient_gets_the_mail_in_their_language(app, smtp):
    with app.app_context():
        for address in ("sven@example.org", "erik@example.org", "emma@example.org"):
            accounts.create_user(address, address.split("@")[0].title(), "lu", "manager", facilities=["lab"])
        set_locale("sven@example.org", "sv")
        set_locale("erik@example.org", "de")  # no German catalogue: the default
        assert send_template(
            ["sven@example.org", "erik@example.org", "emma@example.org", "nobody@example.org"],
            "accounts/mail/qualification_expiry",
            qualification="Bioreactor operation",
            valid_until="2030-04-30",
        )
        assert send_template(
            ["sven@example.org"],
            "accounts/mail/qualification_expiry",
            language="en",
            qualification="Bioreactor operation",
            valid_until="2030-04-30",
        )
    first, second, forced = smtp.wait_for(3)
    by_recipient = {first["X-Rcpt"]: first, second["X-Rcpt"]: second}
    english = by_recipient["emma@example.org, erik@example.org, nobody@example.org"]
    swedish = by_recipient["sven@example.org"]
    assert english["Subject"] == "Your qualification 'Bioreactor operation' expires on 2030-04-30"
    assert (
        str(make_header(decode_header(swedish["Subject"]))) == "Din behörighet 'Bioreactor operation' går ut 2030-04-30"
    )
    assert "Boka en omkvalificering i tid" in swedish.get_payload(decode=True).decode()
    assert forced["X-Rcpt"] == "sven@example.org" and forced["Subject"].startswith("Your qualification")
