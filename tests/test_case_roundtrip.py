"""CASE 1.1: export (schema-valid, stable identifiers), import into an empty database reproduces the
framework exactly, the OpenSALT sample packages."""

import json
import re

import pytest
from django.core.management import call_command

from curriculum.case import SCHEMA_PATH, framework_package, import_case_file, package_validator
from curriculum.importing import ImportFileError, goso_file_import
from curriculum.models import Framework, LearningOutcome, Section, Subject, Subsection
from tenants.context import super_admin_context
from tests.import_snapshot import database_snapshot, in_english  # noqa: F401 (fixture)
from tests.prerequisites import shared_standard
from tests.test_import_goso import goso_files, small_framework, write_json

BASE_URL = "https://goso.example.kz"
V1P1_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[8-9a-b][0-9a-f]{3}-[0-9a-f]{12}$"

pytestmark = pytest.mark.usefixtures("in_english")


def rich_framework():
    data = small_framework()
    data["framework"].update(
        title_kz="Сынақ бағдарламасы", document_type="Типовая учебная программа", ministry_ru="Министерство",
        ministry_kz="Министрлік", appendix_number=61, amendments=[{"order_number": "467", "date": "2022-11-21"}],
        valid_from="2022-09-01", valid_to="2027-08-31",
    )
    data["sections"][0].update(description_ru="Описание", description_kz="Сипаттама", display_order=7)
    data["outcomes"][0].update(description_ru="подробно", cognitive_level="понимание", is_sample=True)
    return data


# Not what a user sees of a framework: row ids and timestamps. Links to other rows are compared by
# the other row's code (subsection__code...), the framework's own subject as a whole.
NOT_COMPARED = {"id", "created_at", "updated_at"}


def visible_fields(model):
    """Every other concrete field of the model (Model._meta): a field the CASE export loses fails the
    round trip."""
    return [field.name for field in model._meta.concrete_fields if field.name not in NOT_COMPARED and not field.is_relation]


def framework_state(code):
    """Everything a user can see of a framework, without ids and timestamps."""
    def rows(queryset, *fields):
        return sorted(queryset.values_list(*fields))

    with super_admin_context():
        framework = Framework.objects.select_related("subject").get(code=code)
        return {
            "subject": Subject.objects.filter(pk=framework.subject_id).values(*visible_fields(Subject)).get(),
            "framework": Framework.objects.filter(pk=framework.pk).values(*visible_fields(Framework)).get(),
            "sections": rows(Section.objects.filter(framework=framework), *visible_fields(Section)),
            "subsections": rows(
                Subsection.objects.filter(section__framework=framework), "section__code", *visible_fields(Subsection)
            ),
            "outcomes": rows(
                LearningOutcome.objects.filter(framework=framework), "subsection__code", *visible_fields(LearningOutcome)
            ),
        }


def export(code, language):
    with super_admin_context():
        return framework_package(framework=Framework.objects.get(code=code), language=language, base_url=BASE_URL)


def empty_the_database():
    with super_admin_context():
        LearningOutcome.objects.all().delete()
        Subsection.objects.all().delete()
        Section.objects.all().delete()
        Framework.objects.all().delete()
        Subject.objects.all().delete()


def validate(package):
    package_validator().validate(package)


def case_sample(name):
    """An OpenSALT sample package of the shared standards (a prerequisite)."""
    return shared_standard("case", "samples", name)


def test_the_bundled_schema_is_the_published_one():
    published = shared_standard("case", "case-v1p0-cfpackage-schema.json")
    assert json.loads(published.read_text()) == json.loads(SCHEMA_PATH.read_text())


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_export_import_into_an_empty_database_reproduces_the_framework(db, tmp_path, language):
    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    before = framework_state("goso_test")
    package = export("goso_test", language)
    validate(package)

    empty_the_database()
    path = tmp_path / "package.json"
    path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    report = import_case_file(path=path)
    assert report.created == 1 + 1 + 2 + 3 + 3
    assert framework_state("goso_test") == before

    again = export("goso_test", language)
    assert [item["identifier"] for item in again["CFItems"]] == [item["identifier"] for item in package["CFItems"]]
    assert again["CFDocument"]["identifier"] == package["CFDocument"]["identifier"]
    assert [a["identifier"] for a in again["CFAssociations"]] == [a["identifier"] for a in package["CFAssociations"]]

    snapshot = database_snapshot()
    report = import_case_file(path=path)
    assert not report.changes_anything and database_snapshot() == snapshot


def test_every_real_framework_exports_valid_packages_and_round_trips(db, tmp_path):
    files = goso_files()
    assert files
    for goso_file in files:
        goso_file_import(path=goso_file)
    codes = list(Framework.objects.values_list("code", flat=True))
    states = {code: framework_state(code) for code in codes}
    packages = {(code, language): export(code, language) for code in codes for language in ("ru", "kk")}
    for package in packages.values():
        validate(package)
    empty_the_database()
    for (code, language), package in packages.items():
        path = write_json(tmp_path / f"{code}.{language}.json", package)
        import_case_file(path=path)
        assert framework_state(code) == states[code], (code, language)


def test_package_shape(db, tmp_path):
    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    ru, kk = export("goso_test", "ru"), export("goso_test", "kk")
    document = ru["CFDocument"]
    assert document["caseVersion"] == "1.1" and document["language"] == "ru"
    assert document["uri"] == f"{BASE_URL}/ims/case/v1p1/CFDocuments/{document['identifier']}"
    objects = [document, *ru["CFItems"], *ru["CFAssociations"], kk["CFDocument"], *kk["CFItems"]]
    for case_object in objects:
        assert case_object["identifier"] in case_object["uri"]
        assert case_object["lastChangeDateTime"]
        assert re.match(V1P1_UUID, case_object["identifier"])
    assert {item["humanCodingScheme"] for item in ru["CFItems"]} == {"1", "2", "1.1", "1.2", "2.1", "5.1.1.1", "5.1.1.2", "7.2.1.10"}
    assert {a["associationType"] for a in ru["CFAssociations"]} == {"isChildOf"}
    by_code = {item["humanCodingScheme"]: item for item in kk["CFItems"]}
    assert (by_code["1"]["fullStatement"], by_code["1"]["language"]) == ("Бөлім 1", "kk")
    # No Kazakh name: the Russian one, marked as Russian, and the missing translation said in the notes.
    assert (by_code["2"]["fullStatement"], by_code["2"]["language"]) == ("Раздел 2", "ru")
    assert "мәтіні жоқ" in by_code["2"]["notes"] and "notes" not in by_code["1"]
    assert by_code["7.2.1.10"]["educationLevel"] == ["07"]
    parent = {a["originNodeURI"]["title"]: a["destinationNodeURI"]["identifier"]
              for a in kk["CFAssociations"] if a["associationType"] == "isChildOf"}
    assert parent["1.2"] == by_code["1"]["identifier"] and parent["1"] == kk["CFDocument"]["identifier"]
    # One identifier per object and language: the two packages share none.
    assert not {i["identifier"] for i in ru["CFItems"]} & {i["identifier"] for i in kk["CFItems"]}


def test_semantics(db, tmp_path):
    data = rich_framework()
    data["sections"][0]["subsections"][1]["display_order"] = 0  # 1.2 before 1.1
    goso_file_import(path=write_json(tmp_path / "f.json", data))
    ru, kk = export("goso_test", "ru"), export("goso_test", "kk")
    for package in (ru, kk):
        validate(package)
        children = {}
        for a in package["CFAssociations"]:
            if a["associationType"] == "isChildOf":
                children.setdefault(a["destinationNodeURI"]["identifier"], []).append(
                    (a["sequenceNumber"], a["originNodeURI"]["title"]))
        for siblings in children.values():  # 1, 2, 3... in GOSO order, no ties
            assert sorted(number for number, _code in siblings) == list(range(1, len(siblings) + 1))
        ranks = {code: number for siblings in children.values() for number, code in siblings}
        assert (ranks["1.2"], ranks["1.1"]) == (1, 2) and (ranks["2"], ranks["1"]) == (1, 2)  # section 1: display order 7
        types = {t["uri"]: t for t in package["CFDefinitions"]["CFItemTypes"]}
        for item in package["CFItems"]:
            assert types[item["CFItemTypeURI"]["uri"]]["title"] == item["CFItemType"]
        document = package["CFDocument"]
        assert document["subjectURI"][0]["identifier"] == package["CFDefinitions"]["CFSubjects"][0]["identifier"]
        assert document["officialSourceURL"].startswith("https://")
        # A sample outcome (demonstration text) is never published as the adopted standard.
        assert document["adoptionStatus"] == "Draft"
        sample = next(i for i in package["CFItems"] if i["humanCodingScheme"] == "5.1.1.1")
        assert "notes" in sample and sample["extensions"]["goso"]["is_sample"] is True
    assert [t["title"] for t in kk["CFDefinitions"]["CFItemTypes"]] == ["Бөлім", "Бөлімше", "Оқу мақсаты"]
    assert kk["CFDocument"]["title"] == "Сынақ бағдарламасы" and kk["CFDocument"]["publisher"] == "Министрлік"
    assert "frameworkType" not in kk["CFDocument"] and ru["CFDocument"]["frameworkType"]
    # kk is a translation of ru: the document and every item.
    translations = {(a["originNodeURI"]["identifier"], a["destinationNodeURI"]["identifier"])
                    for a in kk["CFAssociations"] if a["associationType"] == "isTranslationOf"}
    ru_ids = {i["humanCodingScheme"]: i["identifier"] for i in ru["CFItems"]}
    assert translations == {(kk["CFDocument"]["identifier"], ru["CFDocument"]["identifier"])} | {
        (i["identifier"], ru_ids[i["humanCodingScheme"]]) for i in kk["CFItems"]}
    with super_admin_context():
        LearningOutcome.objects.filter(is_sample=True).update(is_sample=False)
    assert export("goso_test", "ru")["CFDocument"]["adoptionStatus"] == "Adopted"


def next_version_with_link(tmp_path, code, *, status="accepted"):
    """A second framework `code` like goso_test, and a version link of outcome 5.1.1.2 to it."""
    from curriculum.models import OutcomeVersionLink

    second = rich_framework()
    second["framework"]["code"] = code
    goso_file_import(path=write_json(tmp_path / f"{code}.json", second))
    with super_admin_context():
        return OutcomeVersionLink.objects.create(
            old_outcome=LearningOutcome.objects.get(framework__code="goso_test", code="5.1.1.2"),
            new_outcome=LearningOutcome.objects.get(framework__code=code, code="5.1.1.2"),
            kind="same_code", similarity=1, status=status)


def test_accepted_version_links_are_replaced_by(db, tmp_path):
    from curriculum.models import OutcomeVersionLink

    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    link = next_version_with_link(tmp_path, "goso_test_2")
    old, new = link.old_outcome, link.new_outcome
    with super_admin_context():
        old.refresh_from_db()
        new.refresh_from_db()
        OutcomeVersionLink.objects.create(
            old_outcome=LearningOutcome.objects.get(framework__code="goso_test", code="5.1.1.1"),
            new_outcome=LearningOutcome.objects.get(framework__code="goso_test_2", code="5.1.1.1"),
            kind="same_code", similarity=1, status="proposed")
    package = export("goso_test", "ru")
    validate(package)
    replaced = [(a["originNodeURI"]["identifier"], a["destinationNodeURI"]["identifier"])
                for a in package["CFAssociations"] if a["associationType"] == "replacedBy"]
    assert replaced == [(str(old.case_id_ru), str(new.case_id_ru))]
    # The new version's package lists the same association (the reverse direction of the link).
    newer = export("goso_test_2", "ru")
    assert [a for a in newer["CFAssociations"] if a["associationType"] == "replacedBy"] == [
        a for a in package["CFAssociations"] if a["associationType"] == "replacedBy"]
    # It stays when the new version's code changes: CASE identifiers are permanent (migration stable_case_identifiers).
    with super_admin_context():
        Framework.objects.filter(code="goso_test_2").update(code="goso_test_3")
    renamed = [a for a in export("goso_test", "ru")["CFAssociations"] if a["associationType"] == "replacedBy"]
    assert [a["identifier"] for a in renamed] == [
        a["identifier"] for a in package["CFAssociations"] if a["associationType"] == "replacedBy"]
    assert renamed[0]["destinationNodeURI"]["identifier"] == item_identifier_of("goso_test_2", "ru", "outcome", "5.1.1.2")


def item_identifier_of(*parts):
    from curriculum.case import item_identifier

    return item_identifier(*parts)


def test_export_command_writes_a_package(db, tmp_path, settings):
    goso_file_import(path=write_json(tmp_path / "f.json", small_framework()))
    output = tmp_path / "out.json"
    call_command("export_case", "goso_test", "--language", "kk", "--output", str(output))
    package = json.loads(output.read_text(encoding="utf-8"))
    validate(package)
    assert package["CFDocument"]["language"] == "kk"
    assert package["CFDocument"]["uri"].startswith(f"{settings.CASE_BASE_URL}/ims/case/v1p1/CFDocuments/")


def test_export_uses_the_configured_base_url(db, tmp_path, settings):
    goso_file_import(path=write_json(tmp_path / "f.json", small_framework()))
    settings.CASE_BASE_URL = "https://case.edu.kz/"
    output = tmp_path / "out.json"
    call_command("export_case", "goso_test", "--output", str(output))
    package = json.loads(output.read_text(encoding="utf-8"))
    uris = [package["CFDocument"]["uri"], *(o["uri"] for o in package["CFItems"] + package["CFAssociations"])]
    assert all(uri.startswith("https://case.edu.kz/ims/case/v1p1/") for uri in uris)


def test_the_base_url_setting_is_read_from_the_environment():
    import os
    import subprocess
    import sys

    from django.conf import settings as django_settings

    code = "import django; django.setup(); from django.conf import settings; print(settings.CASE_BASE_URL)"
    environment = dict(os.environ, CASE_BASE_URL="https://case.example.kz", DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True,
                            cwd=django_settings.BASE_DIR)
    assert result.stdout.strip() == "https://case.example.kz"


def test_opensalt_samples_are_not_goso_and_go_to_the_external_store(db, global_alignment):
    """A package that is not one of ours is never republished as a GOSO framework (tests/test_case_external.py
    covers the external store itself)."""
    frameworks = Framework.objects.count()
    for name in ("Ordering.json", "EmptyExternalFramework.json"):
        report = import_case_file(path=case_sample(name))
        assert report.counts["framework"].created == 1
    assert Framework.objects.count() == frameworks


def strip_extensions(value):
    if isinstance(value, dict):
        return {key: strip_extensions(item) for key, item in value.items() if key not in ("extensions", "caseVersion",
                                                                                           "frameworkType")}
    if isinstance(value, list):
        return [strip_extensions(item) for item in value]
    return value


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_our_package_stripped_of_extensions_is_recognised_and_changes_nothing(db, tmp_path, language):
    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    before = framework_state("goso_test")
    frameworks = Framework.objects.count()
    stripped = strip_extensions(export("goso_test", language))
    validate(stripped)
    snapshot = database_snapshot()
    report = import_case_file(path=write_json(tmp_path / "stripped.json", stripped))
    assert not report.changes_anything, report.plan_lines()
    assert database_snapshot() == snapshot
    assert Framework.objects.count() == frameworks and framework_state("goso_test") == before


def test_a_stripped_package_with_an_edit_updates_only_that(db, tmp_path):
    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    before = framework_state("goso_test")
    stripped = strip_extensions(export("goso_test", "kk"))
    item = next(i for i in stripped["CFItems"] if i["humanCodingScheme"] == "5.1.1.2")
    item["fullStatement"] = "мақсат 2 (жаңа)"
    import_case_file(path=write_json(tmp_path / "stripped.json", stripped))
    after = framework_state("goso_test")
    changed = [row for row in after["outcomes"] if row not in before["outcomes"]]
    assert len(changed) == 1 and "5.1.1.2" in changed[0] and "мақсат 2 (жаңа)" in changed[0]
    assert {k: v for k, v in after.items() if k != "outcomes"} == {k: v for k, v in before.items() if k != "outcomes"}


def test_a_package_updates_only_the_framework_whose_identifier_it_carries(db, tmp_path):
    goso_file_import(path=write_json(tmp_path / "f.json", rich_framework()))
    other = rich_framework()
    other["framework"]["code"] = "goso_algebra"
    goso_file_import(path=write_json(tmp_path / "g.json", other))
    package = export("goso_test", "ru")
    package["CFDocument"]["extensions"]["goso"]["framework"]["code"] = "goso_algebra"  # retarget attempt
    snapshot = database_snapshot()
    with pytest.raises(ImportFileError) as error:
        import_case_file(path=write_json(tmp_path / "p.json", package), dry_run=True)
    assert 'CFDocument.extensions.goso.framework.code: "goso_algebra" contradicts the CFDocument identifier' in (
        error.value.messages[0])
    # A new identifier may not borrow an existing framework's code either.
    package["CFDocument"]["identifier"] = "5f0e9d36-7e0c-4d3a-9c7e-6d0e1b8b0a11"
    with pytest.raises(ImportFileError) as error:
        import_case_file(path=write_json(tmp_path / "q.json", package))
    assert any('is not the framework of the CFDocument identifier 5f0e9d36' in m for m in error.value.messages)
    assert database_snapshot() == snapshot


def test_malformed_files_are_clear_errors(db, tmp_path, settings):
    snapshot = database_snapshot()
    deep = tmp_path / "deep.json"
    deep.write_text('{"CFDocument": ' + "[" * 100_000 + "]" * 100_000 + "}")
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"CFDocument": {"title": "Математика"}}'.encode("cp1251"))
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2048 + b"{}")
    for path, expected in ((deep, "nested too deeply"), (latin, "UTF-8"), (big, "GOSO_IMPORT_MAX_FILE_BYTES")):
        settings.GOSO_IMPORT_MAX_FILE_BYTES = 1024 if path == big else 80 * 1024 * 1024
        with pytest.raises(ImportFileError) as error:
            import_case_file(path=path)
        assert expected in " ".join(error.value.messages), error.value.messages
    assert database_snapshot() == snapshot


def test_the_import_limit_is_a_real_setting_above_our_largest_exports():
    from django.conf import settings as django_settings

    from importkit.files import max_file_bytes

    assert max_file_bytes() == django_settings.GOSO_IMPORT_MAX_FILE_BYTES >= 70 * 1024 * 1024
