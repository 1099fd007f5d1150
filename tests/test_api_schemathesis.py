"""Schemathesis against the served OpenAPI schema: for every operation, generated requests (schema-valid
and schema-violating) as an anonymous caller, a teacher, a school admin and a methodologist, with
every check schemathesis has: no 5xx, every response conforms to the schema (status code, content
type, headers, body), schema-violating input is refused, undocumented methods are a 405 with
`Allow`, authentication is not ignored; schema-valid input is accepted except for the 400s no schema
can express (see positive_data_acceptance_but_semantics).

The WSGI application is called in-process, inside the test's transaction (rolled back afterwards):
no server, no network, and no table flush (which the runtime role could not do). Django closes
"old" connections at the start and end of each request; inside a test that would close the test's
own connection, so those two signal receivers are off during the run (Django's test client does
the same). Bounded: MAX_EXAMPLES per operation and role (SCHEMATHESIS_MAX_EXAMPLES), about a minute in all.
"""

import json
import os
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import CHECKS as CHECK_REGISTRY
from schemathesis.checks import load_all_checks, positive_data_acceptance
from schemathesis.generation import GenerationMode

from curriculum.models import Crosswalk, ExternalFramework, ExternalItem
from tenants.context import super_admin_context
from tests.api_support import token_for
from textbooks.models import ExternalAlignment

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", 6))
WRITES = ("POST", "PUT", "PATCH")


REFERENCES = {"subject", "framework", "section", "subsection", "outcome", "textbook", "chapter", "paragraph", "school"}


def positive_data_acceptance_but_semantics(ctx, response, case):
    """positive_data_acceptance, except for the 400s no OpenAPI schema can foresee: a write whose
    schema-valid body names a row that does not exist (`"outcome": 413`), repeats a unique code or
    breaks a rule across fields (grade_from <= grade_to); a read whose query names a row that does
    not exist (`?framework=3620`: only the fields naming rows are wrong). Everything else is
    checked as schemathesis checks it."""
    if response.status_code == 400:
        if case.method.upper() in WRITES:
            return None
        fields = set(json.loads(response.content)["error"]["fields"])
        if fields and fields <= REFERENCES:
            return None
    return positive_data_acceptance(ctx, response, case)


load_all_checks()
# Every check schemathesis has, positive_data_acceptance narrowed as above.
CHECKS = [
    check if check is not positive_data_acceptance else positive_data_acceptance_but_semantics
    for check in CHECK_REGISTRY.get_all()
]


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
        external = ExternalFramework.objects.create(
            identifier="0b8e7f64-3c1e-4f7a-8a55-2f0c6c1d9e01", uri="https://example.org/d", creator="Cambridge",
            title="Cambridge", original={}, last_synced_at=timezone.now(),
        )
        item = ExternalItem.objects.create(
            framework=external, identifier="0b8e7f64-3c1e-4f7a-8a55-2f0c6c1d9e02", uri="https://example.org/i",
            full_statement="Integers", original={},
        )
        crosswalk = Crosswalk.objects.create(outcome=outcome, external_item=item, association_type="exactMatchOf")
        external_alignments = [ExternalAlignment.objects.create(paragraph=paragraph, external_item=item) for paragraph in paragraphs]
        return {
            "crosswalks": [crosswalk.pk],
            "external-alignments": [alignment.pk for alignment in external_alignments],
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
    generated = st.one_of(operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE))
    names = re.findall(r"{(\w+)}", operation.path)
    if not names:
        return generated
    resource = operation.path.removeprefix("/api/v1/").split("/")[0]
    pinned = [operation.as_strategy(path_parameters={names[0]: row_id}) for row_id in known_ids[resource]]
    return st.one_of(generated, *pinned)


def run_every_operation(app, user, known_ids) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)
    headers = {"Authorization": f"Token {token_for(user)}"} if user is not None else {}
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
        except (Exception, BaseExceptionGroup) as failure:  # collect every operation's failure, report them together
            failures.append(f"{operation.label}: {failure}")
    return failures


@pytest.mark.parametrize("who", ["anonymous", "teacher_a", "admin_a", "methodologist"])
def test_every_operation_conforms_to_the_schema(request, who, wsgi_app, known_ids):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    failures = run_every_operation(wsgi_app, user, known_ids)

    assert not failures, "\n\n".join(failures)
