"""Contract tests: every response of the CASE service, success and error, matches the service's own
OpenAPI description (/ims/case/v1p1/discovery), whose shapes come from the CASE schema's definitions;
and the description covers every route the service has."""

import jsonschema
import pytest
from django.urls import get_resolver

from curriculum import case_views
from curriculum.case import case_format_checker, document_identifier
from curriculum.importing import goso_file_import
from tests.import_snapshot import in_english  # noqa: F401 (fixture)
from tests.test_case_roundtrip import next_version_with_link, rich_framework
from tests.test_import_goso import write_json

pytestmark = pytest.mark.usefixtures("in_english")
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def openapi(db, client):
    response = client.get("/ims/case/v1p1/discovery")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    return response.json()


@pytest.fixture
def world(db, tmp_path):
    """Two versions of a framework and an accepted version link: every kind of object exists."""
    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    next_version_with_link(tmp_path, "goso_next")


def check(openapi, path, response, schema=None):
    operation = openapi["paths"][path]["get"]
    expected = operation["responses"].get(str(response.status_code))
    assert expected is not None, (path, response.status_code, response.content[:300])
    schema = schema or expected["content"]["application/json"]["schema"]
    validator = jsonschema.Draft4Validator(
        {"components": openapi["components"], "allOf": [schema]}, format_checker=case_format_checker())
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(response.json())]
    assert not errors, (path, errors[:5])


def identifiers(client):
    """Real identifiers per endpoint, gathered from the packages themselves."""
    found = {name: set() for name in case_views_endpoints()}
    for code in ("goso_test", "goso_next"):
        for language in ("ru", "kk"):
            identifier = document_identifier(code, language)
            found["CFDocuments"].add(identifier)
            found["CFPackages"].add(identifier)
            package = client.get(f"/ims/case/v1p1/CFPackages/{identifier}").json()
            items = {item["identifier"] for item in package["CFItems"]}
            found["CFItems"] |= items
            found["CFItemAssociations"] |= items
            found["CFAssociations"] |= {a["identifier"] for a in package["CFAssociations"]}
            found["CFItemTypes"] |= {t["identifier"] for t in package["CFDefinitions"]["CFItemTypes"]}
            found["CFSubjects"] |= {s["identifier"] for s in package["CFDefinitions"]["CFSubjects"]}
    return found


def case_views_endpoints():
    return sorted({str(pattern.pattern).split("/")[0] for pattern in case_views.urlpatterns} - {"discovery"})


def test_the_description_covers_every_route(openapi):
    described = {path.strip("/").split("/")[0] for path in openapi["paths"]}
    assert described == set(case_views_endpoints())
    assert {"CFDocuments", "CFPackages", "CFItems", "CFItemAssociations", "CFAssociations", "CFAssociationGroupings",
            "CFConcepts", "CFItemTypes", "CFLicenses", "CFRubrics", "CFSubjects"} <= described
    # The v1p0 aliases are the same routes.
    resolver = get_resolver()
    for path in openapi["paths"]:
        concrete = path.replace("{sourcedId}", UNKNOWN)
        assert resolver.resolve(f"/ims/case/v1p0{concrete}").func is resolver.resolve(f"/ims/case/v1p1{concrete}").func


def test_every_response_matches_the_description(client, openapi, world):
    real = identifiers(client)
    checked = 0
    for path in openapi["paths"]:
        endpoint = path.strip("/").split("/")[0]
        if "{sourcedId}" not in path:
            for params in ({}, {"limit": 1, "offset": 1, "sort": "title", "orderBy": "desc"}, {"fields": "identifier"},
                           {"filter": "language='kk'"}, {"limit": "x"}, {"sort": "nope"}, {"filter": "bad"},
                           {"fields": "nope"}):
                response = client.get(f"/ims/case/v1p1{path}", params)
                check(openapi, path, response)
                if response.status_code == 200 and "fields" not in params:  # whole documents
                    check(openapi, path, response, {"$ref": "#/components/schemas/CFDocumentSet"})
                checked += 1
            check(openapi, path, client.post(f"/ims/case/v1p1{path}"))
            continue
        for identifier in [*sorted(real[endpoint]), UNKNOWN, "not-a-uuid"]:
            for version in ("v1p1", "v1p0"):
                check(openapi, path, client.get(f"/ims/case/{version}{path.replace('{sourcedId}', identifier)}"))
                checked += 1
        check(openapi, path, client.delete(f"/ims/case/v1p1{path.replace('{sourcedId}', UNKNOWN)}"))
    assert len(real["CFAssociations"]) > 20 and checked > 200
