"""Schemathesis against the served OpenAPI schema: for every operation, generated requests as a school
admin and as a methodologist; no response may be a 5xx, and every response must conform to the
schema (status code, content type, body).

The WSGI application is called in-process, inside the test's transaction (rolled back afterwards):
no server, no network, and no table flush (which the runtime role could not do). Django closes
"old" connections at the start and end of each request; inside a test that would close the test's
own connection, so those two signal receivers are off during the run (Django's test client does
the same). Bounded: MAX_EXAMPLES per operation, about a minute in all.
"""

import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tenants.context import super_admin_context
from tests.api_support import token_for

MAX_EXAMPLES = 15
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def wsgi_app():
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def known_ids(global_alignment, alignment_a, alignment_b):
    """Per resource, ids of real rows (global, school A's, school B's) for path parameters, so the
    generated requests meet real rows as well as missing ones."""
    with super_admin_context():
        alignments = [global_alignment, alignment_a, alignment_b]
        paragraphs = [alignment.paragraph for alignment in alignments]
        outcome = global_alignment.outcome
        return {
            "subjects": [outcome.framework.subject_id],
            "frameworks": [outcome.framework_id],
            "sections": [outcome.subsection.section_id],
            "subsections": [outcome.subsection_id],
            "outcomes": [outcome.pk],
            "textbooks": [paragraph.chapter.textbook_id for paragraph in paragraphs],
            "chapters": [paragraph.chapter_id for paragraph in paragraphs],
            "paragraphs": [paragraph.pk for paragraph in paragraphs],
            "alignments": [alignment.pk for alignment in alignments],
        }


def cases(operation, known_ids):
    """Generated cases, plus cases whose path names a real row of the operation's resource."""
    generated = operation.as_strategy()
    names = re.findall(r"{(\w+)}", operation.path)
    if not names:
        return generated
    resource = operation.path.removeprefix("/api/v1/").split("/")[0]
    pinned = [operation.as_strategy(path_parameters={names[0]: row_id}) for row_id in known_ids[resource]]
    return st.one_of(generated, *pinned)


def run_every_operation(app, user, known_ids) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)
    headers = {"Authorization": f"Token {token_for(user)}"}
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40  # every endpoint is in the served schema

    for operation in operations:
        @given(case=cases(operation, known_ids))
        @settings(
            max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
            phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except Exception as failure:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {failure}")
    return failures


@pytest.mark.parametrize("who", ["admin_a", "methodologist"])
def test_every_operation_conforms_to_the_schema(request, who, wsgi_app, known_ids):
    failures = run_every_operation(wsgi_app, request.getfixturevalue(who), known_ids)

    assert not failures, "\n\n".join(failures)
