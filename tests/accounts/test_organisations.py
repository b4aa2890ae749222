"""Organisations as the funder knows them: the organisation number, checked with python-stdnum's
se.orgnr, and the size class history, through the API (the project office: administrators)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from facility.accounts import services as accounts
from facility.accounts.models import Organisation, OrganisationSize
from facility.audit.models import AuditEvent
from facility.core.errors import ServiceError
from facility.core.extensions import db
from tests.support.clients import error_codes


def counts(app) -> tuple:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(AuditEvent)),
            db.session.scalar(select(func.count()).select_from(OrganisationSize)),
            db.session.scalar(select(Organisation.org_number).where(Organisation.key == "cellco")),
        )


def test_an_administrator_gives_a_company_its_number_and_dated_size_classes(app, people):
    admin = people.make("admin", organisation="lu")
    answer = admin.patch("/organisations/cellco", json={"org_number": "556036 0793", "reason": "Bolagsverket"})
    assert answer.status_code == 200, answer.text
    assert answer.get_json()["org_number"] == "556036-0793"
    for size, since in (("small", "2024-01-01"), ("medium", "2026-07-01")):
        made = admin.post(
            "/organisations/cellco/size-classes",
            json={"size_class": size, "valid_from": since, "source": f"Annual report {since[:4]}"},
        )
        assert made.status_code == 201, made.text
    # a correction of an earlier year does not replace the latest size class
    admin.post(
        "/organisations/cellco/size-classes",
        json={"size_class": "micro", "valid_from": "2023-01-01", "source": "Declaration"},
    )
    cellco = next(o for o in admin.get("/organisations").get_json() if o["key"] == "cellco")
    assert cellco["size_class"] == "medium"
    assert [(s["size_class"], s["valid_from"]) for s in cellco["size_classes"]] == [
        ("micro", "2023-01-01"),
        ("small", "2024-01-01"),
        ("medium", "2026-07-01"),
    ]


@pytest.mark.parametrize(
    "number, problem",
    [("556036-0794", "check digit"), ("55603607", "length"), ("not a number", "format"), ("5560360793x", "format")],
)
def test_a_bad_organisation_number_is_refused_and_nothing_is_written(app, people, number, problem):
    admin = people.make("admin", organisation="lu")
    before = counts(app)
    answer = admin.patch("/organisations/cellco", json={"org_number": number})
    assert answer.status_code == 422
    assert error_codes(answer) == ["invalid_org_number"]
    assert problem in answer.get_json()["errors"][0]["message"]
    assert answer.get_json()["errors"][0]["field"] == "org_number"
    assert counts(app) == before


def test_two_organisations_cannot_share_a_number(app, people):
    admin = people.make("admin", organisation="lu")
    assert admin.patch("/organisations/cellco", json={"org_number": "5560360793"}).status_code == 200
    before = counts(app)
    answer = admin.patch("/organisations/lu", json={"org_number": "556036-0793"})
    assert answer.status_code == 422 and error_codes(answer) == ["duplicate_org_number"]
    assert counts(app) == before


def test_size_classes_need_a_company_a_known_class_and_a_source(app, people):
    admin = people.make("admin", organisation="lu")
    before = counts(app)
    wrong = admin.post(
        "/organisations/cellco/size-classes", json={"size_class": "huge", "valid_from": "2026-01-01", "source": " "}
    )
    assert wrong.status_code == 422
    university = admin.post(
        "/organisations/lu/size-classes", json={"size_class": "large", "valid_from": "2026-01-01", "source": "x"}
    )
    assert university.status_code == 422 and error_codes(university) == ["not_a_company"]
    missing = admin.post(
        "/organisations/nobody/size-classes", json={"size_class": "large", "valid_from": "2026-01-01", "source": "x"}
    )
    assert missing.status_code == 404
    assert counts(app) == before


def test_only_the_project_office_may_see_or_change_organisations(app, people):
    manager = people.make("manager", organisation="lu", facilities=["lab"])
    scientist = people.make("scientist", organisation="cellco")
    for client in (manager, scientist):
        assert client.get("/organisations").status_code == 403
        assert client.patch("/organisations/cellco", json={"org_number": "5560360793"}).status_code == 403
    assert people.api().get("/organisations").status_code == 401
    assert counts(app)[2] is None


def test_a_new_organisation_may_come_with_its_number(app):
    with app.app_context():
        made = accounts.create_organisation("bioco", "BioCo AB", "company", "micro", org_number="559123-4561")
        assert made.org_number == "5591234561"
        with pytest.raises(ServiceError) as refused:
            accounts.create_organisation("badco", "BadCo AB", "company", "micro", org_number="559123-4568")
        assert refused.value.violations[0].code == "invalid_org_number"
        assert db.session.scalar(select(Organisation).where(Organisation.key == "badco")) is None


# --- the administration page -------------------------------------------------------------------


def test_the_administration_page_gives_numbers_and_size_classes(app, people):
    admin = people.make("admin", organisation="lu", password="a-long-password")
    browser = people.signed_in(admin.email)
    bad = browser.post_form(
        "/admin/organisation-numbers",
        {"number-organisation": "cellco", "number-org_number": "556036-0794"},
        page="/admin",
    )
    assert bad.status_code == 422 and "check digit" in bad.text
    assert counts(app)[2] is None
    good = browser.post_form(
        "/admin/organisation-numbers",
        {"number-organisation": "cellco", "number-org_number": "5560360793"},
        page="/admin",
    )
    assert good.status_code == 200 and "556036-0793" in good.text
    size = {
        "size-organisation": "cellco",
        "size-size_class": "medium",
        "size-valid_from": "2026-07-01",
        "size-source": "Annual report 2026",
    }
    recorded = browser.post_form("/admin/organisation-sizes", size, page="/admin")
    assert recorded.status_code == 200 and "Size class recorded." in recorded.text
    wrong_day = browser.post_form("/admin/organisation-sizes", {**size, "size-valid_from": "1 July"}, page="/admin")
    assert wrong_day.status_code == 422
    made = browser.post_form(
        "/admin/organisations",
        {
            "org-key": "bioco",
            "org-name": "BioCo AB",
            "org-kind": "company",
            "org-size_class": "micro",
            "org-org_number": "559123-4561",
        },
        page="/admin",
    )
    assert made.status_code == 200 and "559123-4561" in made.text
    taken = browser.post_form(
        "/admin/organisations",
        {
            "org-key": "copyco",
            "org-name": "CopyCo AB",
            "org-kind": "company",
            "org-size_class": "micro",
            "org-org_number": "559123-4561",
        },
        page="/admin",
    )
    assert taken.status_code == 422 and "taken already" in taken.text
    cellco = next(o for o in admin.get("/organisations").get_json() if o["key"] == "cellco")
    assert (cellco["org_number"], cellco["size_class"]) == ("556036-0793", "medium")
