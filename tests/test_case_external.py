"""External CASE frameworks (issue 11 item 5): any valid CASE package that is not one of our GOSO frameworks
is kept in its own read-only store, nothing lost, re-synced by identifier, deleted, and served back through
the CASE service under its own identifiers."""

import copy
import http.server
import json
import threading
from functools import partial

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from curriculum.case import import_case_file, package_validator
from curriculum.external import (
    external_framework_delete, external_url_import, package_from_url,
)
from curriculum.external_models import ExternalAssociation, ExternalDefinition, ExternalFramework, ExternalItem
from curriculum.importing import ImportFileError, goso_file_import
from tenants.context import super_admin_context, tenant_context
from tests.import_snapshot import database_snapshot, in_english  # noqa: F401 (fixture)
from tests.test_case_roundtrip import case_sample, export, rich_framework
from tests.test_import_goso import write_json

pytestmark = pytest.mark.usefixtures("in_english")
SAMPLES = ("EmptyExternalFramework.json", "ItemTypeTestFramework.json", "MarkdownFramework.json", "Ordering.json",
           "SequenceNumberFramework.json", "Utf8TestFramework.json")
CASE = "/ims/case/v1p1"


def make_crosswalk(outcome):
    """A crosswalk from `outcome` to the single item of a small external framework (committed as super admin)."""
    from django.utils import timezone

    from curriculum.external_models import Crosswalk

    with super_admin_context():
        external = ExternalFramework.objects.create(
            identifier="5e0d2b6e-2a4c-4f4e-9a51-1c0b8f9b2a01", uri="https://example.org/d", creator="Cambridge",
            title="Cambridge", original={}, last_synced_at=timezone.now())
        item = ExternalItem.objects.create(framework=external, identifier="5e0d2b6e-2a4c-4f4e-9a51-000000000001",
                                           uri="https://example.org/i", full_statement="Integers", original={})
        return Crosswalk.objects.create(outcome=outcome, external_item=item, association_type="isRelatedTo")


def sample(name) -> dict:
    return json.loads(case_sample(name).read_text(encoding="utf-8"))


def framework_of(package) -> ExternalFramework:
    return ExternalFramework.objects.get(identifier=package["CFDocument"]["identifier"])


def schema_fields(definition):
    return set(package_validator().schema["definitions"][definition]["properties"])


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_imports_and_is_served_back_unchanged(db, client, name):
    data = sample(name)
    report = import_case_file(path=case_sample(name))
    assert report.counts["framework"].created == 1
    assert report.counts["item"].created == len(data["CFItems"])
    assert report.counts["association"].created == len(data["CFAssociations"])
    framework = framework_of(data)
    assert framework.title == data["CFDocument"]["title"] and framework.creator == data["CFDocument"]["creator"]

    response = client.get(f"{CASE}/CFPackages/{data['CFDocument']['identifier']}")
    assert response.status_code == 200
    served = response.json()
    package_validator().validate(served)
    # Nothing lost: every field the schema defines, on every object, as it came in.
    assert served["CFDocument"] == data["CFDocument"]
    for key, definition in (("CFItems", "CFPackageItem"), ("CFAssociations", "CFPackageAssociation")):
        assert len(served[key]) == len(data[key])
        for given, back in zip(data[key], served[key]):
            assert {f: given.get(f) for f in schema_fields(definition)} == {f: back.get(f) for f in schema_fields(definition)}
    assert served == data  # and beyond the schema, byte for byte as JSON


@pytest.mark.parametrize("name", SAMPLES)
def test_served_back_and_re_imported_changes_nothing(db, client, tmp_path, name):
    import_case_file(path=case_sample(name))
    identifier = sample(name)["CFDocument"]["identifier"]
    served = client.get(f"{CASE}/CFPackages/{identifier}").json()
    snapshot = database_snapshot()
    report = import_case_file(path=write_json(tmp_path / "again.json", served))
    assert not report.changes_anything, report.summary()
    assert database_snapshot() == snapshot
    assert ExternalFramework.objects.count() == 1


def test_columns_are_derived_from_the_package(db):
    data = sample("Ordering.json")
    import_case_file(path=case_sample("Ordering.json"))
    framework = framework_of(data)
    first = data["CFItems"][0]
    item = ExternalItem.objects.get(identifier=first["identifier"])
    assert item.human_coding_scheme == first["humanCodingScheme"] == "H.A.MATH.GM"
    assert item.full_statement == first["fullStatement"]
    assert item.abbreviated_statement == first["abbreviatedStatement"] == "Geometry and Measurement"
    assert item.uri == first["uri"] and item.framework == framework
    # The hierarchy: every isChildOf association made a parent (or a root under the document).
    child_of = [a for a in data["CFAssociations"] if a["associationType"] == "isChildOf"]
    for association in child_of:
        child = ExternalItem.objects.get(identifier=association["originNodeURI"]["identifier"])
        parent = association["destinationNodeURI"]["identifier"]
        if parent == data["CFDocument"]["identifier"]:
            assert child.parent is None
        else:
            assert str(child.parent.identifier) == parent
    assert ExternalAssociation.objects.filter(framework=framework, association_type="isChildOf").count() == len(child_of)

    types = sample("ItemTypeTestFramework.json")
    import_case_file(path=case_sample("ItemTypeTestFramework.json"))
    typed = ExternalItem.objects.get(identifier="00000000-0000-0000-0000-000000000001")
    assert typed.item_type == "Standard" and str(typed.item_type_identifier) == "b0000000-0000-0000-0000-000000000000"
    definition = ExternalDefinition.objects.get(kind="CFItemTypes")
    assert definition.original == types["CFDefinitions"]["CFItemTypes"][0]


def rich_external():
    """A CASE 1.1 package using every kind of object: types, grades, definitions, rubrics, ext: types."""
    document_id = "5e0d2b6e-2a4c-4f4e-9a51-1c0b8f9b2a01"
    base = "https://standards.example.org/ims/case/v1p1"

    def link(kind, identifier, title="x"):
        return {"title": title, "identifier": identifier, "uri": f"{base}/{kind}/{identifier}"}

    items = [
        {"identifier": f"5e0d2b6e-2a4c-4f4e-9a51-00000000000{n}", "uri": f"{base}/CFItems/5e0d2b6e-2a4c-4f4e-9a51-00000000000{n}",
         "fullStatement": text, "humanCodingScheme": code, "abbreviatedStatement": f"abbr {n}",
         "CFItemType": "Strand", "CFItemTypeURI": link("CFItemTypes", "5e0d2b6e-2a4c-4f4e-9a51-0000000000a1", "Strand"),
         "educationLevel": ["07", "08"], "language": "en", "listEnumeration": str(n), "notes": f"note {n}",
         "statusStartDate": "2020-01-01", "lastChangeDateTime": "2024-05-01T10:00:00+00:00",
         "CFDocumentURI": link("CFDocuments", document_id, "Cambridge Lower Secondary Mathematics")}
        for n, code, text in ((1, "7Ni", "Number: integers"), (2, "7Ni.01", "Estimate, add and subtract integers"),
                              (3, "7Ni.02", "Multiply and divide integers"))
    ]

    def association(n, kind, origin, destination, **extra):
        identifier = f"5e0d2b6e-2a4c-4f4e-9a51-0000000001{n:02d}"
        return {"identifier": identifier, "uri": f"{base}/CFAssociations/{identifier}", "associationType": kind,
                "originNodeURI": origin, "destinationNodeURI": destination,
                "lastChangeDateTime": "2024-05-01T10:00:00+00:00", **extra}

    doc = link("CFDocuments", document_id, "Cambridge Lower Secondary Mathematics")
    item_links = [link("CFItems", item["identifier"], item["humanCodingScheme"]) for item in items]
    return {
        "CFDocument": {
            "identifier": document_id, "uri": f"{base}/CFDocuments/{document_id}", "creator": "Cambridge",
            "title": "Cambridge Lower Secondary Mathematics", "lastChangeDateTime": "2024-05-01T10:00:00+00:00",
            "version": "2020", "language": "en", "subject": ["Mathematics"], "adoptionStatus": "Adopted",
            "statusStartDate": "2020-09-01", "notes": "Stage 7", "publisher": "Cambridge University Press",
            "licenseURI": link("CFLicenses", "5e0d2b6e-2a4c-4f4e-9a51-0000000000c1", "CC BY"),
            "caseVersion": "1.1", "frameworkType": "Curriculum", "extensions": {"vendor": {"stage": 7}},
        },
        "CFItems": items,
        "CFAssociations": [
            association(1, "isChildOf", item_links[0], doc, sequenceNumber=1),
            association(2, "isChildOf", item_links[1], item_links[0], sequenceNumber=2),
            association(3, "isChildOf", item_links[2], item_links[0], sequenceNumber=1),
            association(4, "precedes", item_links[1], item_links[2]),
            association(5, "isRelatedTo", item_links[2],
                        link("CFItems", "7a1e0c44-0f7b-4e53-8a0c-2f9d1b7c9e10", "outside")),
            association(6, "ext:buildsOn", item_links[2], item_links[1], notes="1.1 custom type"),
            association(7, "exactMatchOf", item_links[1], item_links[1],
                        CFAssociationGroupingURI=link("CFAssociationGroupings", "5e0d2b6e-2a4c-4f4e-9a51-0000000000d1")),
        ],
        "CFDefinitions": {
            "CFConcepts": [{"identifier": "5e0d2b6e-2a4c-4f4e-9a51-0000000000e1", "uri": f"{base}/CFConcepts/e1",
                            "title": "Integers", "hierarchyCode": "1", "keywords": "integer",
                            "lastChangeDateTime": "2024-05-01T10:00:00+00:00"}],
            "CFSubjects": [{"identifier": "5e0d2b6e-2a4c-4f4e-9a51-0000000000f1", "uri": f"{base}/CFSubjects/f1",
                            "title": "Mathematics", "hierarchyCode": "MA", "lastChangeDateTime": "2024-05-01T10:00:00+00:00"}],
            "CFLicenses": [{"identifier": "5e0d2b6e-2a4c-4f4e-9a51-0000000000c1", "uri": f"{base}/CFLicenses/c1",
                            "title": "CC BY", "licenseText": "Attribution", "lastChangeDateTime": "2024-05-01T10:00:00+00:00"}],
            "CFItemTypes": [{"identifier": "5e0d2b6e-2a4c-4f4e-9a51-0000000000a1", "uri": f"{base}/CFItemTypes/a1",
                             "title": "Strand", "hierarchyCode": "1", "lastChangeDateTime": "2024-05-01T10:00:00+00:00"}],
            "CFAssociationGroupings": [{"identifier": "5e0d2b6e-2a4c-4f4e-9a51-0000000000d1", "uri": f"{base}/g/d1",
                                        "title": "Crosswalk 2020", "lastChangeDateTime": "2024-05-01T10:00:00+00:00"}],
        },
        "CFRubrics": [{"identifier": "5e0d2b6e-2a4c-4f4e-9a51-0000000000b9", "uri": f"{base}/CFRubrics/b9",
                       "title": "Integers rubric", "lastChangeDateTime": "2024-05-01T10:00:00+00:00",
                       "CFRubricCriteria": [{"identifier": "5e0d2b6e-2a4c-4f4e-9a51-0000000000b8",
                                             "uri": f"{base}/CFRubricCriteria/b8", "description": "accuracy",
                                             "lastChangeDateTime": "2024-05-01T10:00:00+00:00"}]}],
    }


def test_a_rich_1_1_package_keeps_everything_and_every_object_resolves(db, client, tmp_path):
    data = rich_external()
    report = import_case_file(path=write_json(tmp_path / "cambridge.json", data))
    assert (report.counts["item"].created, report.counts["association"].created,
            report.counts["definition"].created) == (3, 7, 6)
    framework = framework_of(data)
    assert (framework.version, framework.language, framework.subject, framework.adoption_status,
            framework.case_version, framework.framework_type, framework.license_uri["title"]) == (
        "2020", "en", ["Mathematics"], "Adopted", "1.1", "Curriculum", "CC BY")
    item = ExternalItem.objects.get(human_coding_scheme="7Ni.01")
    assert item.education_level == ["07", "08"] and item.list_enumeration == "2" and item.sequence_number == 2
    assert item.item_type == "Strand" and item.notes == "note 2" and item.language == "en"
    assert set(ExternalAssociation.objects.values_list("association_type", flat=True)) == {
        "isChildOf", "precedes", "isRelatedTo", "ext:buildsOn", "exactMatchOf"}

    assert client.get(f"{CASE}/CFPackages/{data['CFDocument']['identifier']}").json() == data
    assert client.get(f"{CASE}/CFDocuments/{data['CFDocument']['identifier']}").json() == data["CFDocument"]
    for item in data["CFItems"]:
        assert client.get(f"{CASE}/CFItems/{item['identifier']}").json() == item
    for association in data["CFAssociations"]:
        assert client.get(f"{CASE}/CFAssociations/{association['identifier']}").json() == association
    touching = client.get(f"{CASE}/CFItemAssociations/{data['CFItems'][2]['identifier']}").json()
    assert touching["CFItem"] == data["CFItems"][2]
    assert {a["identifier"] for a in touching["CFAssociations"]} == {
        a["identifier"] for a in data["CFAssociations"]
        if data["CFItems"][2]["identifier"] in (a["originNodeURI"]["identifier"], a["destinationNodeURI"]["identifier"])}
    for endpoint, kind in (("CFConcepts", "CFConcepts"), ("CFSubjects", "CFSubjects"), ("CFLicenses", "CFLicenses"),
                           ("CFItemTypes", "CFItemTypes"), ("CFAssociationGroupings", "CFAssociationGroupings")):
        definition = data["CFDefinitions"][kind][0]
        assert client.get(f"{CASE}/{endpoint}/{definition['identifier']}").json() == definition
    assert client.get(f"{CASE}/CFRubrics/{data['CFRubrics'][0]['identifier']}").json() == data["CFRubrics"][0]
    listed = client.get(f"{CASE}/CFDocuments").json()["CFDocuments"]
    assert data["CFDocument"] in listed
    only = client.get(f"{CASE}/CFDocuments", {"filter": "creator='Cambridge'"}).json()["CFDocuments"]
    assert only == [data["CFDocument"]]


def test_re_sync_updates_adds_and_deprecates_by_identifier(db, client, tmp_path):
    data = rich_external()
    import_case_file(path=write_json(tmp_path / "v1.json", data))
    changed = copy.deepcopy(data)
    changed["CFItems"][1]["fullStatement"] = "Estimate, add and subtract positive and negative integers"
    removed = changed["CFItems"].pop(2)
    changed["CFAssociations"] = [a for a in changed["CFAssociations"] if removed["identifier"] not in (
        a["originNodeURI"]["identifier"], a["destinationNodeURI"]["identifier"])]
    new = dict(copy.deepcopy(data["CFItems"][1]), identifier="5e0d2b6e-2a4c-4f4e-9a51-000000000009",
               uri="https://standards.example.org/ims/case/v1p1/CFItems/5e0d2b6e-2a4c-4f4e-9a51-000000000009",
               humanCodingScheme="7Ni.03", fullStatement="Powers of integers")
    changed["CFItems"].append(new)
    path = write_json(tmp_path / "v2.json", changed)

    snapshot = database_snapshot()
    preview = import_case_file(path=path, dry_run=True)
    assert database_snapshot() == snapshot
    counts = preview.counts["item"]
    assert (counts.created, counts.updated, counts.unchanged, counts.deprecated) == (1, 1, 1, 1)
    assert preview.counts["association"].deprecated == 4  # every association that touches the removed item

    report = import_case_file(path=path)
    assert report.counts["item"] == preview.counts["item"]
    assert ExternalItem.objects.get(identifier=data["CFItems"][1]["identifier"]).full_statement.startswith(
        "Estimate, add and subtract positive")
    gone = ExternalItem.objects.get(identifier=removed["identifier"])
    assert gone.is_deprecated  # kept, not deleted
    served = client.get(f"{CASE}/CFPackages/{data['CFDocument']['identifier']}").json()
    assert served == changed  # the package now says what the new one says
    # The deprecated item still resolves, marked with its end.
    alone = client.get(f"{CASE}/CFItems/{removed['identifier']}").json()
    assert alone["fullStatement"] == removed["fullStatement"] and alone["statusEndDate"]
    # Coming back undeprecates it.
    import_case_file(path=write_json(tmp_path / "v1.json", data))
    assert not ExternalItem.objects.get(identifier=removed["identifier"]).is_deprecated


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def package_server(tmp_path):
    """A loopback HTTP server serving files of tmp_path (the publisher's CFPackages endpoint)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_re_sync_from_a_url(db, tmp_path, package_server, settings):
    data = rich_external()
    write_json(tmp_path / "package.json", data)
    report = external_url_import(url=f"{package_server}/package.json")
    framework = framework_of(data)
    assert report.counts["item"].created == 3 and framework.source_url == f"{package_server}/package.json"
    data["CFItems"][0]["fullStatement"] = "Number: integers and powers"
    write_json(tmp_path / "package.json", data)
    call_command("import_case", "--url", f"{package_server}/package.json")
    assert ExternalItem.objects.get(identifier=data["CFItems"][0]["identifier"]).full_statement == (
        "Number: integers and powers")

    snapshot = database_snapshot()
    with pytest.raises(ImportFileError) as error:
        package_from_url(f"{package_server}/missing.json")
    assert "404" in error.value.messages[0]
    settings.GOSO_IMPORT_MAX_FILE_BYTES = 1000
    with pytest.raises(ImportFileError) as error:
        external_url_import(url=f"{package_server}/package.json")
    assert "larger than" in error.value.messages[0]
    with pytest.raises(ImportFileError) as error:
        external_url_import(url="file:///etc/passwd")
    assert "only http and https" in error.value.messages[0]
    assert database_snapshot() == snapshot


def test_delete_one_external_framework(db, tmp_path):
    import_case_file(path=write_json(tmp_path / "c.json", rich_external()))
    import_case_file(path=case_sample("Ordering.json"))
    cambridge = framework_of(rich_external())
    external_framework_delete(framework=cambridge)
    assert not ExternalFramework.objects.filter(pk=cambridge.pk).exists()
    assert not ExternalItem.objects.filter(framework_id=cambridge.pk).exists()
    assert not ExternalAssociation.objects.filter(framework_id=cambridge.pk).exists()
    assert ExternalItem.objects.count() == 28  # the other framework is untouched


def test_a_school_cannot_write_external_frameworks(db, tmp_path, school_a):
    import_case_file(path=write_json(tmp_path / "c.json", rich_external()))
    framework = framework_of(rich_external())
    with tenant_context(school_id=school_a.pk):
        assert ExternalItem.objects.filter(framework=framework).count() == 3  # reads
        for statement in ("UPDATE external_items SET full_statement = 'x'",
                          "DELETE FROM external_associations", "DELETE FROM external_frameworks"):
            with connection.cursor() as cursor:
                cursor.execute(statement)
                assert cursor.rowcount == 0  # row-level security: no row is the school's to write
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO external_definitions (framework_id, kind, identifier, uri, title, position, "
                           "is_deprecated, original, created_at, updated_at) VALUES (%s, 'CFConcepts', "
                           "gen_random_uuid(), '', '', 0, false, '{}', now(), now())", [framework.pk])
    assert ExternalItem.objects.filter(framework=framework, full_statement="x").count() == 0


def malformed_cases():
    data = rich_external()
    duplicate = copy.deepcopy(data)
    duplicate["CFItems"].append(copy.deepcopy(duplicate["CFItems"][0]))
    cycle = copy.deepcopy(data)
    cycle["CFAssociations"][0]["destinationNodeURI"] = copy.deepcopy(cycle["CFAssociations"][1]["originNodeURI"])
    wrong_type = copy.deepcopy(data)
    wrong_type["CFAssociations"][1]["sequenceNumber"] = "two"
    no_statement = copy.deepcopy(data)
    del no_statement["CFItems"][0]["fullStatement"]
    bad_id = copy.deepcopy(data)
    bad_id["CFItems"][0]["identifier"] = "not-a-uuid"
    unknown_type = copy.deepcopy(data)
    unknown_type["CFAssociations"][3]["associationType"] = "isCousinOf"
    return {
        "duplicate identifier": (duplicate, "CFItems[3].identifier: duplicate identifier"),
        "cycle": (cycle, "make a cycle"),
        "sequence of the wrong type": (wrong_type, "CFAssociations[1].sequenceNumber: 'two' is not of type 'integer'"),
        "missing fullStatement": (no_statement, "CFItems[0]: 'fullStatement' is a required property"),
        "malformed identifier": (bad_id, "CFItems[0].identifier: 'not-a-uuid' does not match"),
        "unknown association type": (unknown_type, "CFAssociations[3].associationType: 'isCousinOf' is not one of"),
    }


@pytest.mark.parametrize("case", sorted(malformed_cases()))
def test_malformed_packages_are_clear_errors_and_change_nothing(db, tmp_path, case):
    import_case_file(path=case_sample("Ordering.json"))
    data, expected = malformed_cases()[case]
    snapshot = database_snapshot()
    with pytest.raises(ImportFileError) as error:
        import_case_file(path=write_json(tmp_path / "bad.json", data))
    assert any(expected in message for message in error.value.messages), error.value.messages
    assert database_snapshot() == snapshot


def test_identifiers_of_another_framework_or_of_ours_are_refused(db, tmp_path):
    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    import_case_file(path=write_json(tmp_path / "c.json", rich_external()))
    snapshot = database_snapshot()
    thief = rich_external()
    thief["CFDocument"]["identifier"] = "9e0d2b6e-2a4c-4f4e-9a51-1c0b8f9b2a09"
    with pytest.raises(ImportFileError) as error:
        import_case_file(path=write_json(tmp_path / "thief.json", thief))
    assert "already used by the external framework \"Cambridge Lower Secondary Mathematics\"" in error.value.messages[0]
    ours = rich_external()
    ours["CFDocument"]["identifier"] = "9e0d2b6e-2a4c-4f4e-9a51-1c0b8f9b2a09"
    for index, item in enumerate(ours["CFItems"]):
        item["identifier"] = f"9e0d2b6e-2a4c-4f4e-9a51-00000000000{index}"
    ours["CFItems"][0]["identifier"] = export("goso_test", "ru")["CFItems"][0]["identifier"]
    ours["CFAssociations"] = []
    with pytest.raises(ImportFileError) as error:
        import_case_file(path=write_json(tmp_path / "ours.json", ours))
    assert "is one of our GOSO objects" in " ".join(error.value.messages)
    assert database_snapshot() == snapshot


def test_a_goso_coded_package_of_another_publisher_is_external_not_republished_as_ours(db, tmp_path):
    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    package = export("goso_test", "ru")
    foreign = json.loads(json.dumps(package).replace(package["CFDocument"]["identifier"],
                                                     "3f1e0c44-0f7b-4e53-8a0c-2f9d1b7c9e10"))
    for index, item in enumerate(foreign["CFItems"]):
        foreign["CFItems"][index] = json.loads(json.dumps(item).replace(item["identifier"], f"3f1e0c44-0f7b-4e53-8a0c-{index:012d}"))
    del foreign["CFDocument"]["extensions"]
    for item in foreign["CFItems"]:
        del item["extensions"]
    foreign["CFAssociations"] = []
    foreign["CFDocument"]["creator"] = "Another publisher"
    frameworks = connection_count("frameworks")
    report = import_case_file(path=write_json(tmp_path / "foreign.json", foreign))
    assert report.counts["framework"].created == 1 and connection_count("frameworks") == frameworks
    assert framework_of(foreign).creator == "Another publisher"


def connection_count(table):
    with super_admin_context(), connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]



# The admin -------------------------------------------------------------------------------------


def admin_url(name, *args):
    from django.urls import reverse

    return reverse(f"admin:curriculum_{name}", args=args)


def test_methodologist_browses_the_list_tree_and_an_item(db, client, methodologist, tmp_path):
    import_case_file(path=write_json(tmp_path / "c.json", rich_external()))
    import_case_file(path=case_sample("Ordering.json"))
    framework = framework_of(rich_external())
    client.force_login(methodologist)
    listing = client.get(admin_url("externalframework_changelist")).content.decode()
    for text in ("Cambridge Lower Secondary Mathematics", "Cambridge", "2020", "ACT Holistic Framework, Math",
                 admin_url("externalframework_import")):
        assert text in listing
    assert "<td class=\"field-item_count\">3</td>" in listing and "<td class=\"field-item_count\">28</td>" in listing
    tree = client.get(admin_url("externalframework_tree", framework.pk)).content.decode()
    # Nested in sequence order: 7Ni, then its children 7Ni.02 (sequence 1) before 7Ni.01 (sequence 2).
    assert tree.index(">7Ni<") < tree.index(">7Ni.02<") < tree.index(">7Ni.01<")
    assert "<details open>" in tree and 'id="external-tree-search"' in tree and "external_tree.js" in tree
    item = ExternalItem.objects.get(human_coding_scheme="7Ni.02")
    page = client.get(admin_url("externalitem_change", item.pk)).content.decode()
    assert "Multiply and divide integers" in page
    for kind in ("isChildOf", "precedes", "isRelatedTo", "ext:buildsOn"):
        assert kind in page
    assert "7a1e0c44-0f7b-4e53-8a0c-2f9d1b7c9e10" in page  # an end outside the package, by identifier
    chooser = client.get("/admin/autocomplete/", {"term": "7Ni.0", "app_label": "curriculum",
                                                  "model_name": "crosswalk", "field_name": "external_item"})
    assert {r["text"].split()[0] for r in chooser.json()["results"]} == {"7Ni.01", "7Ni.02"}


def test_import_through_the_admin_is_previewed_first(db, client, methodologist, tmp_path):
    client.force_login(methodologist)
    url = admin_url("externalframework_import")
    snapshot = database_snapshot()
    body = json.dumps(rich_external()).encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    preview = client.post(url, {"package": SimpleUploadedFile("cambridge.json", body), "preview": "1"})
    assert preview.status_code == 200 and database_snapshot() == snapshot
    token = preview.context["form"].initial["token"]
    assert [preview.context["report"].counts["item"].created] == [3]
    done = client.post(url, {"token": token, "import": "1"})
    framework = framework_of(rich_external())
    assert done.status_code == 302 and done["Location"] == admin_url("externalframework_tree", framework.pk)
    assert framework.items.count() == 3

    broken = client.post(url, {"package": SimpleUploadedFile("bad.json", b'{"CFDocument": {"identifier": "'
                                                             b'1e0d2b6e-2a4c-4f4e-9a51-1c0b8f9b2a01"}}'),
                               "preview": "1"})
    assert broken.status_code == 200 and "&#x27;uri&#x27; is a required property" in broken.content.decode()


def test_re_sync_and_delete_through_the_admin(db, client, methodologist, tmp_path, package_server):
    data = rich_external()
    write_json(tmp_path / "package.json", data)
    external_url_import(url=f"{package_server}/package.json")
    framework = framework_of(data)
    data["CFItems"].pop()
    write_json(tmp_path / "package.json", data)
    client.force_login(methodologist)
    url = admin_url("externalframework_import") + f"?framework={framework.pk}"
    assert f'value="{package_server}/package.json"' in client.get(url).content.decode()
    preview = client.post(url, {"url": f"{package_server}/package.json", "preview": "1"})
    assert preview.context["report"].counts["item"].deprecated == 1
    client.post(url, {"url": f"{package_server}/package.json", "import": "1"})
    assert framework.items.filter(is_deprecated=True).count() == 1
    response = client.post(admin_url("externalframework_delete", framework.pk), {"post": "yes"})
    assert response.status_code == 302 and not ExternalFramework.objects.filter(pk=framework.pk).exists()


def test_school_staff_may_browse_but_not_import_or_delete(db, client, admin_a, tmp_path):
    import_case_file(path=write_json(tmp_path / "c.json", rich_external()))
    framework = framework_of(rich_external())
    client.force_login(admin_a)
    host = {"HTTP_HOST": "school-a.localhost"}
    listing = client.get(admin_url("externalframework_changelist"), **host)
    assert listing.status_code == 200 and admin_url("externalframework_import") not in listing.content.decode()
    assert client.get(admin_url("externalframework_tree", framework.pk), **host).status_code == 200
    assert client.get(admin_url("externalframework_import"), **host).status_code == 403
    assert client.post(admin_url("externalframework_delete", framework.pk), {"post": "yes"}, **host).status_code == 403
    assert ExternalFramework.objects.filter(pk=framework.pk).exists()


# Crosswalks ------------------------------------------------------------------------------------


@pytest.fixture
def crosswalked(db, tmp_path):
    """Our rich framework and the Cambridge one, one outcome linked to two external items."""
    from curriculum.external import crosswalk_create
    from curriculum.models import LearningOutcome

    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    import_case_file(path=write_json(tmp_path / "c.json", rich_external()))
    with super_admin_context():
        outcome = LearningOutcome.objects.get(framework__code="goso_test", code="5.1.1.2")
        first = crosswalk_create(outcome=outcome, external_item=ExternalItem.objects.get(human_coding_scheme="7Ni.01"),
                                 association_type="exactMatchOf", notes="same skill")
        second = crosswalk_create(outcome=outcome, external_item=ExternalItem.objects.get(human_coding_scheme="7Ni"),
                                  association_type="isPartOf")
    return outcome, [first, second]


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_crosswalks_are_published_as_associations_of_our_packages(client, crosswalked, language):
    from curriculum.case import document_identifier

    outcome, crosswalks = crosswalked
    package = client.get(f"{CASE}/CFPackages/{document_identifier('goso_test', language)}").json()
    package_validator().validate(package)
    published = {a["identifier"]: a for a in package["CFAssociations"]
                 if a["associationType"] in ("exactMatchOf", "isPartOf")}
    first = published[str(getattr(crosswalks[0], f"case_id_{language}"))]
    external = ExternalItem.objects.get(human_coding_scheme="7Ni.01")
    assert first["originNodeURI"]["identifier"] == str(getattr(outcome, f"case_id_{language}"))
    assert first["destinationNodeURI"] == {"title": "7Ni.01", "identifier": str(external.identifier),
                                           "uri": external.uri}
    assert first["notes"] == "same skill" and len(published) == 2
    # Every published crosswalk resolves, alone and among the outcome's associations.
    assert client.get(f"{CASE}/CFAssociations/{first['identifier']}").json() == first
    touching = client.get(f"{CASE}/CFItemAssociations/{first['originNodeURI']['identifier']}").json()
    assert first in touching["CFAssociations"]


def test_crosswalks_survive_a_round_trip_of_our_package(crosswalked, tmp_path):
    snapshot = database_snapshot()
    report = import_case_file(path=write_json(tmp_path / "ours.json", export("goso_test", "ru")))
    assert not report.changes_anything and database_snapshot() == snapshot


def test_crosswalk_responses_match_the_service_description(client, crosswalked):
    from tests.test_case_contract import check

    openapi = client.get(f"{CASE}/discovery").json()
    outcome, crosswalks = crosswalked
    check(openapi, "/CFAssociations/{sourcedId}", client.get(f"{CASE}/CFAssociations/{crosswalks[0].case_id_kk}"))
    check(openapi, "/CFItemAssociations/{sourcedId}", client.get(f"{CASE}/CFItemAssociations/{outcome.case_id_ru}"))
    check(openapi, "/CFPackages/{sourcedId}", client.get(f"{CASE}/CFPackages/{framework_of(rich_external()).identifier}"))
    check(openapi, "/CFItems/{sourcedId}", client.get(f"{CASE}/CFItems/{rich_external()['CFItems'][0]['identifier']}"))
    check(openapi, "/CFDocuments", client.get(f"{CASE}/CFDocuments"))


def test_methodologist_manages_crosswalks_in_the_admin_and_the_api(client, methodologist, crosswalked, admin_a):
    from django.urls import reverse

    from curriculum.external_models import Crosswalk
    from tests.api_support import api_client

    outcome, crosswalks = crosswalked
    client.force_login(methodologist)
    page = client.get(reverse("admin:curriculum_learningoutcome_change", args=[outcome.pk])).content.decode()
    assert "crosswalks-TOTAL_FORMS" in page and "7Ni.01" in page
    api = api_client(methodologist)
    item = ExternalItem.objects.get(human_coding_scheme="7Ni.02")
    created = api.post("/api/v1/crosswalks/", {"outcome": outcome.pk, "external_item": item.pk,
                                               "association_type": "isRelatedTo", "notes": "partly"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["external_item_code"] == "7Ni.02"
    listed = api.get("/api/v1/crosswalks/", {"outcome": outcome.pk}).json()
    assert len(listed["results"]) == 3
    wrong = api.post("/api/v1/crosswalks/", {"outcome": outcome.pk, "external_item": item.pk,
                                             "association_type": "isCousinOf"}, format="json")
    assert wrong.status_code == 400 and "association_type" in wrong.content.decode()
    assert api.delete(f"/api/v1/crosswalks/{created.json()['id']}/").status_code == 204
    school = api_client(admin_a, host="school-a.localhost")
    assert school.get("/api/v1/crosswalks/").status_code == 200
    assert school.post("/api/v1/crosswalks/", {"outcome": outcome.pk, "external_item": item.pk,
                                               "association_type": "isRelatedTo"}, format="json").status_code == 403
    assert Crosswalk.objects.count() == 2


def test_re_sync_moves_an_item_to_its_new_parent(db, tmp_path):
    data = rich_external()
    import_case_file(path=write_json(tmp_path / "v1.json", data))
    moved = copy.deepcopy(data)
    # 7Ni.02 becomes a child of 7Ni.01 instead of 7Ni.
    moved["CFAssociations"][2]["destinationNodeURI"] = copy.deepcopy(moved["CFAssociations"][1]["originNodeURI"])
    import_case_file(path=write_json(tmp_path / "v2.json", moved))
    item = ExternalItem.objects.select_related("parent").get(human_coding_scheme="7Ni.02")
    assert item.parent.human_coding_scheme == "7Ni.01"
    snapshot = database_snapshot()
    assert not import_case_file(path=write_json(tmp_path / "v2.json", moved)).changes_anything
    assert database_snapshot() == snapshot
