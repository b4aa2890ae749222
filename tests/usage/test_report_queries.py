"""The monthly report page makes a bounded number of SQL statements, whatever the number of
resources, organisations and months it shows (counted with a ``before_cursor_execute`` listener
while a signed-in manager opens the page through Flask's test client)."""

from __future__ import annotations

from sqlalchemy import select

from facility.accounts import services as accounts
from facility.catalog.models import Facility, Resource
from facility.core.extensions import db
from facility.usage import reports
from tests.support.clients import PASSWORD, csrf_token
from tests.support.factory import add_booking, add_usage, local
from tests.support.statements import statements_sent

# What the page may cost: the signed-in user and their facilities, the facility list, the
# month's report (the facility, its closed days, resources, organisations, three aggregations by
# resource and three by organisation) and one aggregation per table (bookings, usage records) for
# the month-over-month chart, however many months it shows. It is 15 (it was 58, one report per month).
QUERY_BUDGET = 16


def signed_in_manager(app):
    with app.app_context():
        accounts.create_user(
            "reports-manager@example.org", "Report Manager", "lu", "manager", facilities=("lab",), password=PASSWORD
        )
    client = app.test_client()
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    response = client.post(
        "/sign-in", data={"csrf_token": token, "email": "reports-manager@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def make_people(count: int, prefix: str) -> list[str]:
    """``count`` users, each of a new organisation (every other one a company)."""
    emails = []
    for n in (f"{prefix}{i}" for i in range(count)):
        kind = "company" if n[-1] in "13579" else "university"
        accounts.create_organisation(f"org-{n}", f"Organisation {n}", kind, "small" if kind == "company" else None)
        email = f"user-{n}@example.org"
        accounts.create_user(email, f"User {n}", f"org-{n}", "scientist")
        emails.append(email)
    return emails


def add_resources(count: int) -> list[str]:
    """``count`` more resources in the lab, copies of its cabinet."""
    lab = db.session.scalar(select(Facility).where(Facility.key == "lab"))
    model = db.session.scalar(select(Resource).where(Resource.key == "lab-bsc"))
    columns = [c.key for c in Resource.__table__.columns if c.key not in ("id", "key", "name")]
    keys = []
    for n in range(count):
        resource = Resource(key=f"lab-extra-{n:02d}", name=f"Extra {n}", **{c: getattr(model, c) for c in columns})
        resource.facility_id = lab.id
        db.session.add(resource)
        keys.append(resource.key)
    db.session.commit()
    return keys


def use(resource: str, email: str, day: str, status: str = "confirmed") -> None:
    booking = add_booking(resource, email, local(f"{day} 09:00"), local(f"{day} 12:00"), status)
    if status == "confirmed":
        add_usage(resource, email, local(f"{day} 09:00"), local(f"{day} 11:00"), booking_id=booking)


def page_statements(app, client, month: str) -> tuple[int, str]:
    with statements_sent(app) as statements:
        response = client.get(f"/manage/reports?facility=lab&month={month}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return len(statements), response.get_data(as_text=True)


def test_the_report_page_makes_the_same_bounded_number_of_queries_for_a_small_and_a_big_month(app):
    client = signed_in_manager(app)
    with app.app_context():
        few = make_people(1, "few-")
        use("lab-bsc", few[0], "2026-10-06")
    small, _text = page_statements(app, client, "2026-10")
    first, _text = page_statements(app, client, "2000-01")  # the month over month chart shows one month only

    with app.app_context():
        resources = add_resources(20)
        many = make_people(12, "")
        for month in ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"):
            for n, resource in enumerate(resources + ["lab-bsc", "lab-bioreactor"]):
                email = many[n % len(many)]
                use(resource, email, f"{month}-{(n % 27) + 1:02d}")
                if n % 5 == 0:
                    use(resource, email, f"{month}-28", "no_show")
        crossing = add_booking("lab-bioreactor", many[0], local("2026-08-30 20:00"), local("2026-09-02 10:00"))
        add_usage("lab-bioreactor", many[0], local("2026-08-30 20:00"), local("2026-09-02 09:00"), booking_id=crossing)
    big, text = page_statements(app, client, "2026-10")

    assert "Extra 19" in text and "Organisation 11" in text and "2026-05" in text  # it did show them all
    assert small == first == big, (small, first, big)
    assert big <= QUERY_BUDGET, big


def test_the_month_over_month_figures_are_those_of_each_months_report(app):
    with app.app_context():
        emails = make_people(3, "")
        for n, day in enumerate(("2026-07-03", "2026-08-14", "2026-09-30", "2026-10-01")):
            use(("lab-bsc", "lab-bioreactor")[n % 2], emails[n % 3], day)
        crossing = add_booking("lab-bioreactor", emails[0], local("2026-08-30 20:00"), local("2026-09-02 10:00"))
        add_usage(
            "lab-bioreactor", emails[0], local("2026-08-30 20:00"), local("2026-09-02 09:00"), booking_id=crossing
        )
        report, trend = reports.report_with_trend(None, "2026-10", "lab", 6)
        assert report == reports.monthly_report(None, "2026-10", "lab")
        assert [t["month"] for t in trend] == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
        for entry in trend:
            resources = reports.monthly_report(None, entry["month"], "lab")["facilities"][0]["resources"]
            assert entry["booked_hours"] == round(sum(r["booked_hours"] for r in resources), 1)
            assert entry["used_hours"] == round(sum(r["used_hours"] for r in resources), 1)
        assert trend[3]["used_hours"] > 0 and trend[4]["used_hours"] > 0  # the crossing use counts in both
        assert reports.months_ending("2000-02", 6) == ["2000-01", "2000-02"]
