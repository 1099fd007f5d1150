"""The OpenAPI 3 schema: generated without warnings, served with an interactive page, and every
operation documents its errors."""

import re

import pytest
from django.core.management import call_command

from tests.api_support import API


def test_the_schema_generates_and_validates_without_warnings(tmp_path):
    # --fail-on-warn turns any drf-spectacular warning into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/v1/frameworks/{id}/structure/:" in (tmp_path / "schema.yaml").read_text()


@pytest.fixture
def served_schema(client, db):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_every_operation_documents_its_errors(served_schema):
    for path, operations in served_schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if path != f"{API}/auth/token/":
                assert {"401", "403"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if method in ("post", "put", "patch"):
                assert "400" in responses, (method, path)
            for code, response in responses.items():
                if code >= "400":
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_list_filters_are_described(served_schema):
    parameters = {p["name"]: p for p in served_schema["paths"][f"{API}/outcomes/"]["get"]["parameters"]}

    assert {"framework", "grade", "section", "subsection", "code", "is_active", "search", "page", "page_size"} <= set(parameters)
    assert parameters["grade"]["schema"]["type"] == "integer"
    assert parameters["search"]["description"]


def test_the_interactive_page_is_served(client, db):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in response.content  # served here, no CDN
    assert b"cdn.jsdelivr.net" not in response.content


def test_every_operation_is_401_for_anonymous_callers(served_schema, client, outcome):
    """Driven by the served schema, so a new endpoint is covered the day it appears."""
    checked = 0
    for path, operations in served_schema["paths"].items():
        if path == f"{API}/auth/token/":
            continue
        url = re.sub(r"{\w+}", str(outcome.pk), path)
        for method in operations:
            response = getattr(client, method)(url, {}, content_type="application/json")
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.json()["error"]["code"] == "not_authenticated"
            checked += 1
    assert checked > 40
