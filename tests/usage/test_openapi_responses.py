"""The OpenAPI document describes every response: each GET answers 200 with a JSON schema that has
properties, and real answers of the monthly report, the indicators and the state-aid ledger and
statement validate against the schema the document gives for them (read through Flask's test
client; a small validator of the OpenAPI 3.0 subset the document uses, no undeclared fields)."""

from __future__ import annotations

from datetime import date

import pytest

from facility.accounts import organisations
from facility.accounts import services as accounts
from facility.accounts.models import User
from facility.core.extensions import db
from facility.usage import register
from tests.support.factory import add_booking, add_usage, local

# The answers of these paths are checked field by field, and so is their schema: every
# property typed, objects with their properties.
CHECKED = (
    "/api/v1/reports/monthly",
    "/api/v1/indicators",
    "/api/v1/indicators/{name}",
    "/api/v1/state-aid",
    "/api/v1/state-aid/organisations/{key}/statement",
    "/api/v1/usage",
    "/api/v1/projects",
    "/api/v1/indicators/table",
    "/api/v1/indicator-register",
    "/api/v1/organisations",
)


@pytest.fixture
def spec(app) -> dict:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def json_schema(spec: dict, path: str) -> dict:
    content = spec["paths"][path]["get"]["responses"]["200"].get("content", {})
    assert "application/json" in content, f"GET {path}: no JSON response documented"
    return content["application/json"]["schema"]


def typed(spec: dict, schema: dict, where: str, seen: set) -> None:
    """Every property has a type (or alternatives), every object its properties, every array its items."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen.add(schema["$ref"])
    schema = resolve(spec, schema)
    for keyword in ("oneOf", "allOf"):  # allOf: a $ref with a description of its own
        if keyword in schema:
            for n, alternative in enumerate(schema[keyword]):
                typed(spec, alternative, f"{where}|{n}", seen)
            return
    assert "type" in schema, f"{where}: untyped"
    if schema["type"] == "object":
        assert schema.get("properties"), f"{where}: an object without properties"
        for name, prop in schema["properties"].items():
            typed(spec, prop, f"{where}.{name}", seen)
    if schema["type"] == "array":
        typed(spec, schema["items"], f"{where}[]", seen)


TYPES = {
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def validate(spec: dict, value, schema: dict, where: str = "$") -> None:
    schema = resolve(spec, schema)
    if value is None:
        assert schema.get("nullable"), f"{where}: null where the document says it is not nullable"
        return
    if "oneOf" in schema:
        fits = []
        for alternative in schema["oneOf"]:
            try:
                validate(spec, value, alternative, where)
                fits.append(alternative)
            except AssertionError:
                pass
        assert len(fits) == 1, f"{where}: {value!r} fits {len(fits)} of the alternatives"
        return
    if "allOf" in schema:
        for part in schema["allOf"]:
            validate(spec, value, part, where)
        return
    assert TYPES[schema["type"]](value), f"{where}: {value!r} is not {schema['type']}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if schema["type"] == "array":
        for n, item in enumerate(value):
            validate(spec, item, schema["items"], f"{where}[{n}]")
    if schema["type"] == "object":
        properties = schema.get("properties", {})
        undeclared = set(value) - set(properties)
        assert not undeclared, f"{where}: fields the document does not declare: {sorted(undeclared)}"
        missing = set(schema.get("required", [])) - set(value)
        assert not missing, f"{where}: required fields missing: {sorted(missing)}"
        for name, item in value.items():
            validate(spec, item, properties[name], f"{where}.{name}")


def test_every_get_answers_200_with_a_schema_that_has_properties(spec):
    gets = {path: ops["get"] for path, ops in spec["paths"].items() if "get" in ops}
    assert set(CHECKED) <= set(gets)
    for path in gets:
        if path.endswith("openapi.json"):
            continue
        schema = resolve(spec, json_schema(spec, path))
        if schema.get("type") == "array":
            schema = resolve(spec, schema["items"])
        assert schema.get("type") == "object" and schema.get("properties"), f"GET {path}: an untyped response"
    for path in CHECKED:
        typed(spec, json_schema(spec, path), path, set())


def test_the_file_formats_are_documented_too(spec):
    report = spec["paths"]["/api/v1/reports/monthly"]["get"]["responses"]["200"]["content"]
    assert {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} <= set(report)
    statement = spec["paths"]["/api/v1/state-aid/organisations/{key}/statement"]["get"]["responses"]["200"]
    assert {"text/plain", "text/csv"} <= set(statement["content"])


@pytest.fixture
def api(app):
    """get(role, path, **params) -> the JSON answer of a new manager of the lab, or an admin, with a token."""
    tokens = {}
    with app.app_context():
        for role in ("manager", "admin"):
            email = f"openapi-{role}@example.org"
            accounts.create_user(email, f"Test {role}", "lu", role, facilities=("lab",) if role == "manager" else ())
            tokens[role] = accounts.issue_token(email)[1]
        alice = "openapi-alice@example.org"
        carl = "openapi-carl@example.org"
        accounts.create_user(alice, "Alice", "lu", "scientist")
        accounts.create_user(carl, "Carl", "cellco", "scientist")
        b1 = add_booking("lab-bsc", alice, local("2026-10-06 09:00"), local("2026-10-06 12:00"))
        add_usage("lab-bsc", alice, local("2026-10-06 09:00"), local("2026-10-06 11:30"), booking_id=b1)
        b2 = add_booking("lab-bioreactor", carl, local("2026-10-12 08:00"), local("2026-10-14 08:00"))
        add_usage("lab-bioreactor", carl, local("2026-10-12 08:00"), local("2026-10-14 08:00"), booking_id=b2)
        add_booking("lab-bsc", carl, local("2026-10-20 09:00"), local("2026-10-20 10:00"), "no_show")
        add_booking("lab-bsc", carl, local("2026-10-21 09:00"), local("2026-10-21 10:00"), "cancelled")
        add_usage("gmp-suite", carl, local("2026-10-19 09:00"), local("2026-10-19 10:00"))
        office = db.session.scalar(db.select(User).where(User.email == "openapi-admin@example.org"))
        organisations.set_org_number(office, "cellco", "556036-0793")
        organisations.record_size_class(office, "cellco", "small", date(2024, 1, 1), "Annual report 2023")
        register.add_entry(office, "activity_3_2", "cellco", date(2026, 10, 5), "Attendance list")
        register.add_entry(office, "private_investment", "cellco", date(2026, 10, 6), "Minutes", amount_sek=5000)
        db.session.remove()
    client = app.test_client()

    def get(role: str, path: str, **params):
        response = client.get(path, query_string=params, headers={"Authorization": f"Bearer {tokens[role]}"})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.content_type.startswith("application/json")
        return response.get_json()

    return get


def test_real_answers_validate_against_their_schemas(spec, api):
    october = {"from": "2026-10-01", "to": "2026-10-31"}
    report = api("manager", "/api/v1/reports/monthly", month="2026-10", facility="lab")
    assert {r["resource"] for r in report["facilities"][0]["resources"]} == {"lab-bsc", "lab-bioreactor"}
    assert {o["organisation"] for o in report["facilities"][0]["organisations"]} == {"lu", "cellco"}
    validate(spec, report, json_schema(spec, "/api/v1/reports/monthly"))
    for wrong in ({**report, "extra": 1}, {**report, "month": 202610}, {"month": "2026-10"}):
        with pytest.raises(AssertionError):  # the validator does refuse what the document does not say
            validate(spec, wrong, json_schema(spec, "/api/v1/reports/monthly"))
    validate(
        spec, api("admin", "/api/v1/reports/monthly", month="2026-10"), json_schema(spec, "/api/v1/reports/monthly")
    )

    figures = api("admin", "/api/v1/indicators", **october)
    assert figures["companies_supported"]["small"] == 1
    validate(spec, figures, json_schema(spec, "/api/v1/indicators"))
    for name in figures:
        detail = api("admin", f"/api/v1/indicators/{name}", **october)
        assert detail["indicator"] == name and detail["value"] == figures[name]
        validate(spec, detail, json_schema(spec, "/api/v1/indicators/{name}"), f"${name}")

    ledger = api("manager", "/api/v1/state-aid", **october)
    assert [o["organisation"] for o in ledger["organisations"]] == ["cellco"]
    assert ledger["organisations"][0]["period"]["subsidised_sek"] > 0
    validate(spec, ledger, json_schema(spec, "/api/v1/state-aid"))
    statement = api("manager", "/api/v1/state-aid/organisations/cellco/statement", **october)
    assert {line["resource"] for line in statement["lines"]} == {"lab-bioreactor", "gmp-suite"}
    validate(spec, statement, json_schema(spec, "/api/v1/state-aid/organisations/{key}/statement"))

    validate(spec, api("manager", "/api/v1/usage", facility="lab"), json_schema(spec, "/api/v1/usage"))
    progress = api("admin", "/api/v1/indicators/table", as_of="2026-10-31")
    assert len(progress["indicators"]) == 12
    validate(spec, progress, json_schema(spec, "/api/v1/indicators/table"))
    entries = api("admin", "/api/v1/indicator-register")
    assert [e["kind"] for e in entries] == ["private_investment", "activity_3_2"]
    validate(spec, entries, json_schema(spec, "/api/v1/indicator-register"))
    validate(spec, api("admin", "/api/v1/organisations"), json_schema(spec, "/api/v1/organisations"))
    validate(spec, api("manager", "/api/v1/projects"), json_schema(spec, "/api/v1/projects"))


def test_the_indicator_schemas_name_every_indicator_and_size_class():
    """The response schema says what the service computes: a new indicator needs its field."""
    from facility.core.vocabulary import SIZE_CLASSES
    from facility.usage.indicators import INDICATORS
    from facility.usage.schemas import CompaniesBySizeSchema, IndicatorsSchema

    assert tuple(IndicatorsSchema().fields) == INDICATORS
    assert tuple(CompaniesBySizeSchema().fields) == SIZE_CLASSES
