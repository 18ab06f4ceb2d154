"""Schemathesis against the app's own OpenAPI document, in-process: no server error, no answer off its schema.

Bounded: a few examples per operation, with a key holding every scope, so the run stays short.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.api.auth import SCOPES, issue_key
from tests.factories import create_contractor, create_obligation, create_payment, create_unit

EXAMPLES = 8
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@pytest.fixture
def api_schema(app, db):
    """The document the app serves, bound to the app (WSGI), with a little data to find."""
    unit = create_unit(code="UM")
    contractor = create_contractor(legacy_id="K000001")  # the document's example
    create_obligation(contractor=contractor, unit=unit, legacy_id="N00000001")
    create_payment(contractor=contractor, unit=unit, legacy_id="W00000001")
    db.session.commit()
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def token(app, db) -> str:
    """A key holding every scope, with a budget the run cannot exhaust."""
    return issue_key("Schemathesis", list(SCOPES), rate_limit="100000 per minute").token


def test_the_api_keeps_to_its_document(api_schema, token):
    headers = {"Authorization": f"Bearer {token}"}
    failures: dict[str, str] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as error:  # every operation is tried; all failures are reported together
            failures[operation.label] = f"{type(error).__name__}: {str(error)[:1500]}"
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
