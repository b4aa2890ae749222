"""The whole OpenAPI document (/api/v1/openapi.json) checked by schemathesis, in-process through
the WSGI app: for every operation, requests generated from the document (valid ones and invalid
ones), sent with the tokens of a scientist, a manager and an admin, never get a 5xx, and every
answer matches the response schema the document gives for its status.

Bounded to stay quick: a few derandomized examples per operation and mode, no shrinking, on
SQLite only (the rules and races run on both databases elsewhere)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support.databases import SQLITE_ONLY

pytestmark = SQLITE_ONLY
CHECKS = [not_a_server_error, response_schema_conformance]
EXAMPLES = 15  # per operation and mode
BOUNDED = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def tokens(people) -> dict[str, str]:
    return {
        "scientist": people.make("scientist", qualifications=["gowning-grade-b"]).token,
        "manager": people.make("manager", facilities=["lab"]).token,
        "admin": people.make("admin").token,
    }


# Valid and invalid requests are two tests, so that two test workers can share the time.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda mode: mode.value)
def test_the_api_answers_every_generated_request_as_its_document_says(app, tokens, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 26  # every operation of API.md
    failures = []
    for operation in operations:

        @BOUNDED
        @given(case=operation.as_strategy(generation_mode=mode))
        def answers_as_documented(case):
            for token in tokens.values():
                case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

        try:
            answers_as_documented()
        except (Exception, BaseExceptionGroup) as error:  # every operation is checked, all failures reported
            failures.append(f"{operation.label} ({mode.value}): {describe(error)}")
    assert not failures, "\n\n".join(failures)


def describe(error: BaseException) -> str:
    """A check failure, or each failure of a group (schemathesis groups distinct failures)."""
    if isinstance(error, BaseExceptionGroup):
        return "\n".join(describe(e) for e in error.exceptions)
    return f"{type(error).__name__}: {error}"
