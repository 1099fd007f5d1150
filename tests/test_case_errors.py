"""Malformed CASE packages: a clear message naming the package's own path, and nothing written."""

import copy
import json
import uuid

import pytest
from django.core.management import call_command
from django.db import transaction
from django.core.management.base import CommandError

from curriculum.case import import_case_file
from curriculum.importing import ImportFileError, goso_file_import
from tests.import_snapshot import database_snapshot, in_english  # noqa: F401 (fixture)
from tests.test_case_roundtrip import export, rich_framework
from tests.test_import_goso import write_json

pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def package(db, tmp_path, global_alignment):
    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    return export("goso_test", "ru")


def items_by_code(package):
    return {item["humanCodingScheme"]: item for item in package["CFItems"]}


def association_of(package, code):
    return next(a for a in package["CFAssociations"] if a["originNodeURI"]["title"] == code)


def dangling_destination(p):
    association_of(p, "1.2")["destinationNodeURI"]["identifier"] = "00000000-0000-4000-8000-000000000000"


def dangling_origin(p):
    association_of(p, "1.2")["originNodeURI"]["identifier"] = "00000000-0000-4000-8000-000000000000"


def outcome_under_a_section(p):
    association_of(p, "5.1.1.2")["destinationNodeURI"] = association_of(p, "1.1")["destinationNodeURI"]


def orphan(p):
    p["CFAssociations"].remove(association_of(p, "2.1"))


def second_parent(p):
    extra = copy.deepcopy(association_of(p, "1.2"))
    extra["identifier"] = "00000000-0000-4000-8000-000000000001"
    extra["destinationNodeURI"] = association_of(p, "2")["destinationNodeURI"]
    p["CFAssociations"].append(extra)


def recode(code, new, *, keep_identifier=False):
    """Item `code` as a new item coded `new` (a fresh identifier, its associations following)."""
    def change(p):
        item = items_by_code(p)[code]
        item["humanCodingScheme"] = new
        if keep_identifier:
            return
        old, fresh = item["identifier"], str(uuid.uuid5(uuid.NAMESPACE_URL, new))
        item["identifier"] = fresh
        for association in p["CFAssociations"]:
            for end in ("originNodeURI", "destinationNodeURI"):
                if association[end]["identifier"] == old:
                    association[end]["identifier"] = fresh
    return change


def duplicate_identifier(p):
    items_by_code(p)["2"]["identifier"] = items_by_code(p)["1"]["identifier"]


def too_long_statement(p):
    items_by_code(p)["2"]["fullStatement"] = "я" * 501


CASES = {
    "dangling destination": (dangling_destination, "CFAssociations[3].destinationNodeURI.identifier: \"00000000-0000-4000-8000-000000000000\" is neither this package's CFDocument nor one of its items (a dangling association)"),
    "dangling origin": (dangling_origin, 'CFAssociations[3].originNodeURI.identifier: "00000000-0000-4000-8000-000000000000" is not an item of this package (a dangling association)'),
    "not in the schema": (lambda p: p["CFItems"][0].pop("fullStatement"), "CFItems[0]: 'fullStatement' is a required property"),
    "bad identifier": (lambda p: p["CFDocument"].update(identifier="not-a-uuid"), "CFDocument.identifier: 'not-a-uuid' does not match"),
    "unknown association type": (lambda p: p["CFAssociations"][0].update(associationType="isCousinOf"), "CFAssociations[0].associationType: 'isCousinOf' is not one of"),
    "unknown top-level key": (lambda p: p.update(CFThings=[]), "$: Additional properties are not allowed ('CFThings' was unexpected)"),
    "outcome under a section": (outcome_under_a_section, 'CFAssociations[6]: outcome "5.1.1.2" is a child of section "1"; expected subsection'),
    "item outside the tree": (orphan, 'CFItems[4]: item "2.1" is not in the tree (no isChildOf association)'),
    "two parents": (second_parent, "CFAssociations[8]: CFItems[3] has a second parent; a GOSO item has exactly one"),
    "subsection code of another section": (recode("2.1", "1.3"), 'CFItems[4].humanCodingScheme: "1.3" does not start with its section code "2"'),
    "outcome code of another grade": (recode("5.1.1.2", "6.1.1.2"), 'CFItems[6].humanCodingScheme: "6.1.1.2" does not agree with grade 5'),
    "not a GOSO code": (recode("1", "A"), 'CFItems[0].humanCodingScheme: "A" is not a GOSO code'),
    "code contradicting its identifier": (recode("5.1.1.2", "5.1.1.3", keep_identifier=True), 'CFItems[6].humanCodingScheme: "5.1.1.3" contradicts the identifier, which is outcome "5.1.1.2" of this framework'),
    "extension code contradicting humanCodingScheme": (lambda p: items_by_code(p)["5.1.1.2"]["extensions"]["goso"].update(code="5.1.1.9"), 'CFItems[6].extensions.goso.code: "5.1.1.9" contradicts humanCodingScheme "5.1.1.2"'),
    "extension grade contradicting educationLevel": (lambda p: items_by_code(p)["5.1.1.2"]["extensions"]["goso"].update(grade=6), 'CFItems[6].extensions.goso.grade: "6" contradicts educationLevel "05"'),
    "extension title contradicting the document title": (lambda p: p["CFDocument"]["extensions"]["goso"]["framework"].update(title_ru="Другая"), 'CFDocument.extensions.goso.framework.title_ru: "Другая" contradicts title'),
    "extension pointing at another framework": (lambda p: p["CFDocument"]["extensions"]["goso"]["framework"].update(code="goso_other"), 'CFDocument.extensions.goso.framework.code: "goso_other" contradicts the CFDocument identifier'),
    "display_order of the wrong type": (lambda p: items_by_code(p)["1.1"]["extensions"]["goso"].update(display_order="first"), "CFItems[2].display_order (sections[1].subsections[0]): expected"),
    "a cycle": (lambda p: association_of(p, "1").update(destinationNodeURI=copy.deepcopy(association_of(p, "1.1")["originNodeURI"])), 'CFAssociations[0]: section "1" is a child of subsection "1.1"; expected the document'),
    "an item identifier naming the document": (lambda p: items_by_code(p)["2"].update(identifier=p["CFDocument"]["identifier"]), "CFAssociations"),
    "a number no column can hold": (lambda p: items_by_code(p)["1.1"]["extensions"]["goso"].update(display_order=10 ** 30), "CFItems[2].display_order (sections[1].subsections[1]): 1000000000000000000000000000000 is out of range"),
    "duplicate identifier": (duplicate_identifier, "CFItems[1].identifier: duplicate identifier"),
    "extension not an object": (lambda p: p["CFItems"][2].update(extensions={"goso": "x"}), "CFItems[2].extensions.goso: expected an object"),
    "document extension not an object": (lambda p: p["CFDocument"].update(extensions={"goso": ["x"]}), "CFDocument.extensions.goso: expected an object"),
    "text too long (checked by the GOSO rules)": (too_long_statement, "CFItems[1].name_ru (sections[0]): is 501 characters long"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_malformed_package_is_refused_and_changes_nothing(package, tmp_path, case):
    change, expected = CASES[case]
    broken = json.loads(json.dumps(package))  # no shared sub-objects: change one place only
    change(broken)
    path = write_json(tmp_path / "package.json", broken)
    before = database_snapshot()
    with pytest.raises(ImportFileError) as error:
        import_case_file(path=path)
    assert any(message.startswith(f"{path}: {expected}") for message in error.value.messages), error.value.messages
    assert database_snapshot() == before


def test_import_case_command_reports_and_fails(package, tmp_path, capsys):
    broken = json.loads(json.dumps(package))
    dangling_destination(broken)
    bad = write_json(tmp_path / "bad.json", broken)
    good = write_json(tmp_path / "good.json", package)
    with pytest.raises(CommandError, match="1 of 2 files were not imported"):
        call_command("import_case", str(bad), str(good))
    captured = capsys.readouterr()
    assert "dangling association" in captured.err
    assert "good.json: framework goso_test: created 0, updated 0, unchanged 10, missing 0 (nothing changed)" in captured.out


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_fast_schema_check_agrees_with_the_detailed_one(package, case):
    from curriculum.case import fast_package_validator, package_validator

    broken = json.loads(json.dumps(package))
    CASES[case][0](broken)
    for data in (package, broken):
        assert fast_package_validator().is_valid(data) == package_validator().is_valid(data)


WRONG_VALUES = {"list": [1], "object": {"a": 1}, "text": "x", "bool": True, "null": None, "huge": 10 ** 30,
                "negative": -1, "deep": json.loads("[" * 200 + "]" * 200)}


def extension_fields(package):
    """(path, setter) for every field of every goso extension in the package."""
    targets = [("CFDocument", package["CFDocument"]["extensions"]["goso"]["framework"]),
               ("CFDocument.subject", package["CFDocument"]["extensions"]["goso"]["subject"])]
    targets += [(f"CFItems[{index}]", item["extensions"]["goso"]) for index, item in enumerate(package["CFItems"])]
    return [(path, extension, key) for path, extension in targets for key in extension]


def test_wrong_types_in_any_extension_field_are_clear_errors_or_harmless(package, tmp_path):
    """Every field of every extension set to every wrong type and imported for real (each in a savepoint
    rolled back): an ImportFileError naming the file, or a clean import; never another exception."""
    fields = extension_fields(package)
    assert len(fields) > 60
    refused = 0
    before = database_snapshot()
    for number, (path, _extension, key) in enumerate(fields):
        for kind, value in WRONG_VALUES.items():
            broken = json.loads(json.dumps(package))
            extension_fields(broken)[number][1][key] = json.loads(json.dumps(value))
            file = write_json(tmp_path / "package.json", broken)
            with transaction.atomic():
                try:
                    import_case_file(path=file)
                except ImportFileError as error:
                    refused += 1
                    assert all(message.startswith(f"{file}: ") for message in error.messages), (path, key, kind)
                transaction.set_rollback(True)
    assert refused > len(fields) * 3  # most wrong types are refused, each with a message
    assert database_snapshot() == before
