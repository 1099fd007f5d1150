"""The read-only CASE service at /ims/case/v1p1/ (and the v1p0 aliases): every endpoint of the
specification, its error shape, HTTP caching and CORS, and lookups by identifier in a fixed number of
queries whatever the size."""

import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from curriculum.case import case_identifier, document_identifier, item_identifier
from curriculum.importing import goso_file_import
from curriculum.models import Framework, LearningOutcome, OutcomeVersionLink, Section, Subsection
from tenants.context import super_admin_context
from tests.import_snapshot import in_english  # noqa: F401 (fixture)
from tests.test_case_roundtrip import next_version_with_link, rich_framework, validate
from tests.test_import_goso import write_json

pytestmark = pytest.mark.usefixtures("in_english")
BASE = "https://case.goso.example.kz"
UNKNOWN = "00000000-0000-4000-8000-000000000000"
ENDPOINTS = ("CFDocuments", "CFPackages", "CFItems", "CFItemAssociations", "CFAssociations", "CFAssociationGroupings",
             "CFConcepts", "CFItemTypes", "CFLicenses", "CFRubrics", "CFSubjects")


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.CASE_BASE_URL = BASE + "/"


@pytest.fixture
def imported(db, tmp_path):
    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    return {language: document_identifier("goso_test", language) for language in ("ru", "kk")}


def local(uri):
    assert uri.startswith(BASE + "/ims/case/v1p1/"), uri
    return uri.removeprefix(BASE)


def get(client, path, **headers):
    return client.get(path, **headers)


def test_documents_are_listed_for_anyone_with_uris_from_the_setting(client, imported):
    response = client.get("/ims/case/v1p1/CFDocuments", HTTP_HOST="localhost")
    assert response.status_code == 200
    documents = response.json()["CFDocuments"]
    assert {(d["identifier"], d["language"]) for d in documents} == {(imported["ru"], "ru"), (imported["kk"], "kk")}
    assert {d["uri"] for d in documents} == {f"{BASE}/ims/case/v1p1/CFDocuments/{i}" for i in imported.values()}
    assert response["X-Total-Count"] == "2"


@pytest.mark.parametrize("version", ["v1p1", "v1p0"])
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_package_is_served_valid_and_every_uri_in_it_resolves(client, imported, language, version):
    response = client.get(f"/ims/case/{version}/CFPackages/{imported[language]}")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    package = response.json()
    validate(package)
    assert package["CFDocument"]["identifier"] == imported[language]
    assert len(package["CFItems"]) == 8
    served = {}
    document = package["CFDocument"]
    objects = [document, *package["CFItems"], *package["CFAssociations"],
               *package["CFDefinitions"]["CFItemTypes"], *package["CFDefinitions"]["CFSubjects"]]
    for case_object in objects:
        path = local(case_object["uri"]).replace("/v1p1/", f"/{version}/")
        response = client.get(path)
        assert response.status_code == 200, (path, response.content)
        served[case_object["identifier"]] = response.json()
        assert served[case_object["identifier"]] == case_object
    assert client.get(local(document["CFPackageURI"]["uri"])).json() == package
    for item in package["CFItems"]:
        assert client.get(local(item["CFItemTypeURI"]["uri"])).status_code == 200
    # The links of the kk package to the ru one resolve too.
    for association in package["CFAssociations"]:
        for end in ("originNodeURI", "destinationNodeURI"):
            assert client.get(local(association[end]["uri"])).status_code == 200


def test_replaced_by_associations_resolve_from_both_versions(client, imported, tmp_path):
    next_version_with_link(tmp_path, "goso_test_2")
    for language in ("ru", "kk"):
        for code in ("goso_test", "goso_test_2"):
            package = client.get(f"/ims/case/v1p1/CFPackages/{document_identifier(code, language)}").json()
            validate(package)
            (association,) = [a for a in package["CFAssociations"] if a["associationType"] == "replacedBy"]
            assert client.get(local(association["uri"])).json() == association
            item = client.get(local(association["destinationNodeURI"]["uri"].replace("CFItems", "CFItemAssociations")))
            assert association in item.json()["CFAssociations"]
    with super_admin_context():
        OutcomeVersionLink.objects.update(status="rejected")
    assert_status_info(client.get(local(association["uri"])), 404, "unknownobject")


def test_id_dot_json_is_the_same_resource(client, imported):
    plain = client.get(f"/ims/case/v1p1/CFDocuments/{imported['ru']}")
    assert client.get(f"/ims/case/v1p1/CFDocuments/{imported['ru']}.json").json() == plain.json()


def test_item_associations_are_the_item_and_everything_that_touches_it(client, imported):
    package = client.get(f"/ims/case/v1p1/CFPackages/{imported['kk']}").json()
    section = next(item for item in package["CFItems"] if item["humanCodingScheme"] == "1")
    body = client.get(f"/ims/case/v1p1/CFItemAssociations/{section['identifier']}").json()
    assert body["CFItem"] == section
    expected = [a for a in package["CFAssociations"]
                if section["identifier"] in (a["originNodeURI"]["identifier"], a["destinationNodeURI"]["identifier"])]
    assert sorted(a["identifier"] for a in body["CFAssociations"]) == sorted(a["identifier"] for a in expected)
    assert {a["associationType"] for a in body["CFAssociations"]} == {"isChildOf", "isTranslationOf"}


def assert_status_info(response, status, code_minor):
    assert response.status_code == status
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert set(body) == {"imsx_codeMajor", "imsx_severity", "imsx_description", "imsx_codeMinor"}
    assert (body["imsx_codeMajor"], body["imsx_severity"]) == ("failure", "error")
    fields = body["imsx_codeMinor"]["imsx_codeMinorField"]
    assert [field["imsx_codeMinorFieldValue"] for field in fields] == [code_minor]
    assert body["imsx_description"]


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e != "CFDocuments"] + ["CFDocuments"])
def test_errors_have_the_imsx_shape(client, imported, endpoint):
    assert_status_info(client.get(f"/ims/case/v1p1/{endpoint}/not-a-uuid"), 400, "invaliduuid")
    assert_status_info(client.get(f"/ims/case/v1p0/{endpoint}/{UNKNOWN}"), 404, "unknownobject")
    assert_status_info(client.get(f"/ims/case/v1p1/{endpoint}/{UNKNOWN}.json"), 404, "unknownobject")


def test_identifiers_of_another_kind_are_unknown(client, imported):
    # A CFDocument identifier is not a CFItem, and the other way round.
    assert_status_info(client.get(f"/ims/case/v1p1/CFItems/{imported['ru']}"), 404, "unknownobject")
    item = item_identifier("goso_test", "ru", "section", "1")
    assert_status_info(client.get(f"/ims/case/v1p1/CFPackages/{item}"), 404, "unknownobject")
    assert_status_info(client.get(f"/ims/case/v1p1/CFAssociations/{item}"), 404, "unknownobject")


def test_unpublished_frameworks_are_unknown(client, imported):
    item = item_identifier("goso_test", "ru", "section", "1")
    assert client.get(f"/ims/case/v1p1/CFItems/{item}").status_code == 200
    with super_admin_context():
        Framework.objects.filter(code="goso_test").update(is_active=False)
    assert_status_info(client.get(f"/ims/case/v1p1/CFPackages/{imported['ru']}"), 404, "unknownobject")
    assert_status_info(client.get(f"/ims/case/v1p1/CFItems/{item}"), 404, "unknownobject")
    response = client.get("/ims/case/v1p1/CFDocuments")
    assert response.json() == {"CFDocuments": []} and response["X-Total-Count"] == "0"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_service_is_read_only(imported, method):
    client = Client(enforce_csrf_checks=True)  # as a real client: no CSRF token
    for path in ("/ims/case/v1p1/CFDocuments", f"/ims/case/v1p1/CFPackages/{imported['ru']}"):
        response = getattr(client, method)(path)
        assert_status_info(response, 405, "unsupportedmethod")
        assert response["Allow"] == "GET, HEAD, OPTIONS"


def test_cors_caching_and_conditional_requests(client, imported):
    path = f"/ims/case/v1p1/CFPackages/{imported['ru']}"
    response = client.get(path, HTTP_ORIGIN="https://mirror.example.org")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=60"
    etag, last_modified = response["ETag"], response["Last-Modified"]
    assert etag.startswith('"') and last_modified.endswith("GMT")
    assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    assert client.get(path, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    head = client.head(path)
    assert head.status_code == 200 and head.content == b"" and head["ETag"] == etag
    assert head["Content-Length"] == str(len(response.content))
    missing = client.head(f"/ims/case/v1p1/CFPackages/{UNKNOWN}")
    assert missing.status_code == 404 and missing.content == b"" and int(missing["Content-Length"]) > 0
    preflight = client.options(path, HTTP_ORIGIN="https://mirror.example.org", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Origin"] == "*"


def test_an_edit_changes_the_etag_last_modified_and_only_that_items_change_time(client, imported):
    path = f"/ims/case/v1p1/CFPackages/{imported['ru']}"
    before = client.get(path)
    items = {item["humanCodingScheme"]: item for item in before.json()["CFItems"]}
    with super_admin_context():
        untouched = LearningOutcome.objects.get(code="5.1.1.1")
        untouched.save()  # saved without a change: its time stays
        LearningOutcome.objects.filter(code="5.1.1.2").update(title_ru="цель 2, исправленная")
    after = client.get(path, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    changed = {item["humanCodingScheme"]: item for item in after.json()["CFItems"]}
    assert changed["5.1.1.1"]["lastChangeDateTime"] == items["5.1.1.1"]["lastChangeDateTime"]
    assert changed["1"]["lastChangeDateTime"] == items["1"]["lastChangeDateTime"]
    assert changed["5.1.1.2"]["lastChangeDateTime"] >= items["5.1.1.2"]["lastChangeDateTime"]
    with super_admin_context():
        outcome = LearningOutcome.objects.get(code="5.1.1.2")
        assert changed["5.1.1.2"]["lastChangeDateTime"] == outcome.updated_at.isoformat(timespec="seconds")
    # The document moves with its content (mirrors re-fetch a package when its document's time moves),
    # the same in the list and at its own URI.
    document = after.json()["CFDocument"]
    assert document["lastChangeDateTime"] == changed["5.1.1.2"]["lastChangeDateTime"]
    listed = client.get("/ims/case/v1p1/CFDocuments").json()["CFDocuments"]
    assert [d for d in listed if d["identifier"] == imported["ru"]] == [document]
    assert client.get(f"/ims/case/v1p1/CFDocuments/{imported['ru']}").json() == document


def test_documents_paging_sorting_filtering_and_fields(client, imported):
    url = "/ims/case/v1p1/CFDocuments"
    listed = client.get(url)
    assert client.get(url, HTTP_IF_NONE_MATCH=listed["ETag"]).status_code == 304
    ordered = client.get(url, {"sort": "language", "orderBy": "desc"}).json()["CFDocuments"]
    assert [d["language"] for d in ordered] == ["ru", "kk"]
    page = client.get(url, {"sort": "language", "limit": 1, "offset": 1})
    assert page["X-Total-Count"] == "2" and [d["language"] for d in page.json()["CFDocuments"]] == ["ru"]
    assert page["Link"] == (
        f'<{BASE}/ims/case/v1p1/CFDocuments?sort=language&limit=1&offset=0>; rel="first", '
        f'<{BASE}/ims/case/v1p1/CFDocuments?sort=language&limit=1&offset=1>; rel="last", '
        f'<{BASE}/ims/case/v1p1/CFDocuments?sort=language&limit=1&offset=0>; rel="prev"')
    first = client.get(url, {"limit": 1})
    assert 'offset=1>; rel="next"' in first["Link"] and 'rel="prev"' not in first["Link"]
    filtered = client.get(url, {"filter": "language='kk'"})
    assert filtered["X-Total-Count"] == "1" and filtered.json()["CFDocuments"][0]["identifier"] == imported["kk"]
    assert client.get(url, {"filter": "title~ТЕСТОВАЯ"}).json()["CFDocuments"][0]["language"] == "ru"
    assert client.get(url, {"filter": "language='kk' OR language='ru'"})["X-Total-Count"] == "2"
    assert client.get(url, {"filter": "language='kk' AND title~Тестовая"})["X-Total-Count"] == "0"
    selected = client.get(url, {"fields": "identifier,title", "sort": "language"}).json()["CFDocuments"]
    assert [set(d) for d in selected] == [{"identifier", "title"}] * 2
    for params, code_minor in (
        ({"limit": "0"}, "invaliddata"), ({"offset": "-1"}, "invaliddata"), ({"limit": "many"}, "invaliddata"),
        ({"sort": "colour"}, "invalid_sort_field"), ({"sort": "title", "orderBy": "up"}, "invaliddata"),
        ({"filter": "colour='red'"}, "invalid_filter_field"), ({"filter": "title"}, "invalid_filter_field"),
        ({"fields": "identifier,colour"}, "invalid_selection_field"),
    ):
        assert_status_info(client.get(url, params), 400, code_minor)


def add_outcomes(count):
    """`count` more outcomes in subsection 1.1 of goso_test, grade 5."""
    with super_admin_context():
        framework = Framework.objects.get(code="goso_test")
        subsection = Subsection.objects.get(section__framework=framework, code="1.1")
        LearningOutcome.objects.bulk_create([
            LearningOutcome(framework=framework, subsection=subsection, grade=5, code=f"5.1.1.{number}",
                            title_ru=f"цель {number}")
            for number in range(100, 100 + count)
        ])


CAPTURED = []


def queries_of(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    CAPTURED.append(queries.captured_queries)
    assert response.status_code in (200, 404)
    return len(queries)


def test_lookups_take_a_fixed_number_of_queries_whatever_the_size(client, imported):
    def paths():
        item = item_identifier("goso_test", "kk", "outcome", "5.1.1.2")
        package = client.get(f"/ims/case/v1p1/CFPackages/{imported['kk']}").json()
        association = next(a for a in package["CFAssociations"] if a["originNodeURI"]["identifier"] == item)
        return [f"/ims/case/v1p1/CFItems/{item}", f"/ims/case/v1p1/CFItems/{UNKNOWN}",
                f"/ims/case/v1p1/CFDocuments/{imported['kk']}", f"/ims/case/v1p1/CFAssociations/{association['identifier']}",
                f"/ims/case/v1p1/CFItemAssociations/{item_identifier('goso_test', 'kk', 'subsection', '1.1')}",
                f"/ims/case/v1p1/CFPackages/{imported['kk']}"]

    small = {path: queries_of(client, path) for path in paths()}
    add_outcomes(300)
    large = {path: queries_of(client, path) for path in paths()}
    assert large == small, [q["sql"] for q in CAPTURED[-1]]
    # The request's own queries (host, context, transaction) are those of an endpoint that reads nothing.
    baseline = queries_of(client, f"/ims/case/v1p1/CFConcepts/{UNKNOWN}")
    assert small[f"/ims/case/v1p1/CFItems/{UNKNOWN}"] == baseline + 1  # the one indexed lookup
    assert max(small.values()) <= baseline + 10


def test_stored_identifiers_are_the_published_ones_and_stay_through_renumbering(db, imported):
    with super_admin_context():
        for model, kind in ((Section, "section"), (Subsection, "subsection"), (LearningOutcome, "outcome")):
            for row in model.objects.all():
                for language in ("ru", "kk"):
                    assert str(getattr(row, f"case_id_{language}")) == item_identifier("goso_test", language, kind, row.code)
        # A CASE identifier is permanent: a new framework code (or a renumbered item) keeps it.
        Framework.objects.filter(code="goso_test").update(code="goso_renamed")
        outcome = LearningOutcome.objects.get(code="7.2.1.10")
        assert str(outcome.case_id_kk) == item_identifier("goso_test", "kk", "outcome", "7.2.1.10")
        framework = Framework.objects.get(code="goso_renamed")
        assert str(framework.case_id_ru) == document_identifier("goso_test", "ru")
        subsection = Subsection.objects.get(code="2.1")
        parent = str(Section.objects.get(code="2").case_id_ru)
        assert str(subsection.case_link_ru) == case_identifier(
            "goso_test", "ru", "isChildOf", str(subsection.case_id_ru), parent)


def test_a_deactivated_item_is_served_as_deprecated(client, imported):
    item = item_identifier("goso_test", "ru", "outcome", "5.1.1.2")
    with super_admin_context():
        LearningOutcome.objects.filter(code="5.1.1.2").update(is_active=False)
    response = client.get(f"/ims/case/v1p1/CFItems/{item}")
    assert response.status_code == 200
    body = response.json()
    assert body["statusEndDate"] and body["extensions"]["goso"]["is_active"] is False
    package = client.get(f"/ims/case/v1p1/CFPackages/{imported['ru']}").json()
    assert item not in {i["identifier"] for i in package["CFItems"]}


def test_unknown_identifier_is_not_a_framework_scan(client, imported):
    # A random identifier answers from the index, not by hashing codes.
    assert_status_info(client.get(f"/ims/case/v1p1/CFItems/{uuid.uuid4()}"), 404, "unknownobject")


@pytest.mark.parametrize("function", ["goso_case_uuid", "portable"])
def test_the_database_computes_the_published_uuid5(db, function):
    """Both SQL implementations (uuid-ossp's where available, the portable PL/pgSQL SHA-1 elsewhere) give
    Python's uuid5 for any name: short, one and two SHA-1 blocks, non-ASCII."""
    from curriculum.case import CASE_NAMESPACE

    names = ["", "a", "goso_test/kk", "goso_hist_kz_2022_09_16/kk/outcome/11.10.10.100", "история/ru/section/1",
             "x" * 55, "x" * 56, "x" * 64, "x" * 119, "y" * 200]
    sql = ("SELECT goso_case_uuid(%s)" if function == "goso_case_uuid"
           else f"SELECT goso_uuid5('{CASE_NAMESPACE}'::uuid, %s)")
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(sql, [name])
            assert cursor.fetchone()[0] == uuid.uuid5(CASE_NAMESPACE, name), name


@pytest.mark.django_db(databases=["default", "owner"])
def test_the_triggers_give_the_published_identifiers_with_the_portable_uuid5_too():
    """As on a PostgreSQL without uuid-ossp (the pgserver wheel): the triggers, with goso_ext.uuid5 on the
    PL/pgSQL SHA-1, store the identifiers Python publishes (all rolled back with the test)."""
    from django.db import connections

    with connections["owner"].cursor() as cursor:
        cursor.execute("""
            CREATE OR REPLACE FUNCTION goso_ext.uuid5(namespace uuid, name text) RETURNS uuid IMMUTABLE STRICT
            LANGUAGE sql AS $f$ SELECT public.goso_uuid5(namespace, name) $f$""")
        # framework_changes: written by the sections' change trigger (migration 0013), as the same role.
        for table in ("subjects", "frameworks", "goso_sections", "framework_changes"):
            cursor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        cursor.execute("""
            INSERT INTO subjects (code, name_ru, name_kz, grade_from, grade_to, is_active, created_at, updated_at)
            VALUES ('portable', 'x', '', 5, 9, true, now(), now())""")
        cursor.execute("""
            INSERT INTO frameworks (code, subject_id, title_ru, title_kz, document_type, order_number, ministry_ru,
                                    ministry_kz, amendments, is_active, created_at, updated_at)
            SELECT 'алгебра_2022', id, 't', '', '', '', '', '', '[]', true, now(), now() FROM subjects
            WHERE code = 'portable' RETURNING id, case_id_ru, case_id_kk""")
        framework_id, *document_ids = cursor.fetchone()
        cursor.execute("""
            INSERT INTO goso_sections (framework_id, code, name_ru, name_kz, description_ru, description_kz,
                                       display_order, is_active)
            VALUES (%s, '12', 's', '', '', '', 1, true) RETURNING case_id_kk, case_link_kk, updated_at""",
            [framework_id])  # as set-based writers do (textbooks/scale_data.py): no updated_at given
        section_id, link_id, updated_at = cursor.fetchone()
    assert updated_at is not None
    assert [str(i) for i in document_ids] == [document_identifier("алгебра_2022", language) for language in ("ru", "kk")]
    assert str(section_id) == item_identifier("алгебра_2022", "kk", "section", "12")
    assert str(link_id) == case_identifier("алгебра_2022", "kk", "isChildOf", str(section_id), str(document_ids[1]))
