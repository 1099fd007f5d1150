"""The read-only CASE service at /ims/case/v1p1/: anonymous reads of public reference data."""

import pytest

from curriculum.case import document_identifier
from curriculum.importing import goso_file_import
from curriculum.models import Framework
from tenants.context import super_admin_context
from tests.import_snapshot import in_english  # noqa: F401 (fixture)
from tests.test_case_roundtrip import rich_framework, validate
from tests.test_import_goso import write_json

pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def imported(db, tmp_path):
    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    return {language: document_identifier("goso_test", language) for language in ("ru", "kk")}


def test_documents_are_listed_for_anyone(client, imported):
    response = client.get("/ims/case/v1p1/CFDocuments")
    assert response.status_code == 200
    documents = response.json()["CFDocuments"]
    assert {(d["identifier"], d["language"]) for d in documents} == {(imported["ru"], "ru"), (imported["kk"], "kk")}
    assert documents[0]["uri"].startswith("http://testserver/ims/case/v1p1/CFDocuments/")


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_package_is_served_and_valid(client, imported, language):
    response = client.get(f"/ims/case/v1p1/CFPackages/{imported[language]}")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    package = response.json()
    validate(package)
    assert package["CFDocument"]["identifier"] == imported[language]
    assert len(package["CFItems"]) == 8
    document = client.get(f"/ims/case/v1p1/CFDocuments/{imported[language]}").json()
    assert document == package["CFDocument"]


def test_package_download_and_school_host(client, imported, school_a):
    response = client.get(f"/ims/case/v1p1/CFPackages/{imported['kk']}?download=1", HTTP_HOST="school-a.localhost")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="goso_test.kk.case.json"'
    assert response.json()["CFDocument"]["uri"].startswith("http://school-a.localhost/")


def test_unknown_and_unpublished_documents_are_404(client, imported):
    for identifier in ("00000000-0000-4000-8000-000000000000", "not-a-uuid"):
        response = client.get(f"/ims/case/v1p1/CFPackages/{identifier}")
        assert response.status_code == 404
        assert response.json()["imsx_codeMajor"] == "failure"
    with super_admin_context():
        Framework.objects.filter(code="goso_test").update(is_active=False)
    assert client.get(f"/ims/case/v1p1/CFPackages/{imported['ru']}").status_code == 404
    assert client.get("/ims/case/v1p1/CFDocuments").json() == {"CFDocuments": []}


def test_service_is_read_only(client, imported):
    assert client.post("/ims/case/v1p1/CFDocuments").status_code == 405
    assert client.delete(f"/ims/case/v1p1/CFPackages/{imported['ru']}").status_code == 405


def test_item_uris_resolve(client, imported):
    package = client.get(f"/ims/case/v1p1/CFPackages/{imported['kk']}").json()
    item = next(item for item in package["CFItems"] if item["humanCodingScheme"] == "5.1.1.2")
    response = client.get(item["uri"].replace("http://testserver", ""))
    assert response.status_code == 200 and response.json() == item
    assert response.json()["fullStatement"] == "мақсат 2"
    assert client.get("/ims/case/v1p1/CFItems/00000000-0000-4000-8000-000000000000").status_code == 404
