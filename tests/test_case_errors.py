"""Malformed CASE packages: a clear message naming the package's own path, and nothing written."""

import copy
import json

import pytest
from django.core.management import call_command
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


def recode(code, new):
    def change(p):
        items_by_code(p)[code]["humanCodingScheme"] = new
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
